import QuantCore
import Reports
import TensorCore

/// The workbench's entry for a file's own quantization: a GGUF tensor stored as Q4_K, IQ2_XXS, …
/// opens showing the figures of its stored blocks (`StoredAnalysis`: its codes, levels and, with
/// `--original FILE`, the error against its source) under the header `stored Q4_K`. The entry comes
/// first in the datatype cycle of such a tensor: `d` moves on to re-quantization, starting at the
/// qscope datatype nearest the stored type (`StoredFormat.counterpart`), and the cycle comes back to
/// the entry past its ends.
///
/// Block size and double quantization belong to the file in this entry, and the views that
/// re-quantize block by block (inspector, isolation, explanation) wait for a datatype.
enum StoredEntry {
    /// The stored quantization of a listed tensor, when its file keeps it in quantized ggml blocks.
    static func format(of info: TensorInfo) -> StoredFormat? {
        GGMLType(name: info.dtype).flatMap { StoredFormat($0) }
    }

    /// The stored quantization of the open tensor, if any.
    static func openFormat(_ s: WorkbenchState) -> StoredFormat? {
        guard let name = s.openTensor, let info = s.tensors.first(where: { $0.name == name }) else { return nil }
        return format(of: info)
    }

    /// `d` / `D`: through the stored entry (when the open tensor has one) and every datatype.
    static func cycle(_ s: inout WorkbenchState, forward: Bool) -> [Command] {
        let all = DataType.allCases
        if let stored = openFormat(s) {
            if s.storedView {
                s.storedView = false
                s.dtype = forward ? stored.counterpart : all[all.count - 1]
                return Update.request(&s)
            }
            let i = all.firstIndex(of: s.dtype) ?? 0
            if (forward && i == all.count - 1) || (!forward && i == 0) {
                s.storedView = true
                if let v = s.deepView, v == .inspector || v == .isolation || v == .explanation { s.deepView = nil }
                return Update.request(&s)
            }
        }
        let i = all.firstIndex(of: s.dtype) ?? 0
        s.dtype = all[(i + (forward ? 1 : all.count - 1)) % all.count]
        return Update.request(&s)
    }

    /// A tensor was opened: the stored entry stays current if the new tensor has a stored quantization too.
    static func opened(_ s: inout WorkbenchState) {
        if s.storedView && openFormat(s) == nil { s.storedView = false }
    }

    /// Keys that mean nothing in the stored entry: handled here (a status line), else nil.
    static func handle(_ action: Action, _ s: inout WorkbenchState) -> [Command]? {
        guard s.storedView, let stored = openFormat(s) else { return nil }
        switch action {
        case .largerBlock, .smallerBlock:
            s.status = "\(stored.label) has the file's blocks of \(stored.blockElements); d re-quantizes"
            return []
        case .toggleDoubleQuant:
            s.status = "\(stored.label) keeps its scales in fp16 in its blocks; d re-quantizes"
            return []
        case .show(let view) where view == .inspector || view == .isolation || view == .explanation:
            s.status = "\(view.title) re-quantizes: d picks a datatype (starting at \(stored.counterpart.name))"
            return []
        default:
            return nil
        }
    }

    /// A stored quantization shown without its original has no error to draw: its pane shows the code usage.
    static func hasNoError(_ a: Analysis) -> Bool { a.stored != nil && a.stored?.original == nil }

    /// The header's label while the stored entry is current: the figures on screen, and what is coming.
    static func headerLabel(_ s: WorkbenchState) -> String? {
        let shownStored = s.analysis.flatMap { $0.tensorName == s.openTensor ? $0.stored : nil }
        guard s.storedView || shownStored != nil else { return nil }
        let arrow = s.glyphs == .ascii ? "->" : "→"
        let against: (StoredFormat) -> String = { st in
            st.original != nil ? " vs original" : (s.originalFile != nil ? " · not in the original" : "")
        }
        var label: String
        if let st = shownStored {
            label = st.label + against(st)
            if !s.storedView { label += " \(arrow) \(s.dtype.name)" }
        } else if let a = s.analysis, a.tensorName == s.openTensor, let st = openFormat(s) {
            label = "\(a.config.dtype.name) · block \(a.config.block) · dq \(a.config.doubleQuant ? "on" : "off") \(arrow) \(st.label)"
        } else {
            label = openFormat(s)?.label ?? "stored"
        }
        if s.busy && s.analysisProgress > 0 { label = "\(Int(s.analysisProgress * 100)) % · " + label }
        return label
    }
}
