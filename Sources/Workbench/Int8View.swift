import TensorCore
import Foundation
import QuantCore
import TUI

/// LLM.int8() (`m`): the activation's column absmax against the outlier threshold, and the error of
/// the layer's output X·Wᵀ in plain int8 vector-wise and with the decomposition, as the threshold
/// moves (`o`/`O`).
enum Int8View {
    static func render(_ s: WorkbenchState, _ buf: inout Buffer, _ area: Rect) {
        let theme = s.theme, g = s.glyphs
        guard let study = s.int8, study.weight == s.openTensor, let current = study.result(near: s.int8Threshold) else {
            WorkbenchView.message("multiplying \(s.openTensor ?? "the weight") by its activations in fp32, int8 and LLM.int8()…",
                                  title: "LLM.int8() decomposition", focused: true, s, &buf, area)
            return
        }
        let (stripArea, rest) = area.splitTop(min(7, max(4, area.height / 4)))
        let (tableArea, summaryArea) = rest.splitBottom(min(4, rest.height / 3))

        // The activation's column absmax, the threshold line, the columns over it.
        let t = current.threshold
        let title = "activations \(study.activations) · \(study.tokens)×\(study.columnAbsmax.count) · column absmax, threshold "
            + (t > 0 ? String(format: "%g", t) : "off")
        let inner = WorkbenchView.panel(title, focused: false, theme).render(into: &buf, area: stripArea, glyphs: g)
        if inner.height >= 2 {
            let (strip, list) = inner.splitBottom(1)
            BarStrip(values: study.columnAbsmax.map(Double.init), threshold: t > 0 ? Double(t) : nil,
                     barStyle: theme.style(.bar), highlightStyle: theme.style(.outlier))
                .render(into: &buf, area: strip, glyphs: g)
            let cols = current.outlierColumns
            let top = cols.sorted { study.columnAbsmax[$0] > study.columnAbsmax[$1] }.prefix(10)
                .map { "\($0): \(NumberFormat.compact(Double(study.columnAbsmax[$0])))" }
            let text = t > 0 ? "\(cols.count) column\(cols.count == 1 ? "" : "s") ≥ \(String(format: "%g", t)) kept in 16-bit"
                + (top.isEmpty ? "" : ": " + top.joined(separator: "   ")) : "threshold off: every column in int8"
            buf.put(text, x: list.x, y: list.y, style: theme.style(.outlier), maxWidth: list.width)
        }

        // Every threshold the view can reach, the current one highlighted.
        let tin = WorkbenchView.panel("output error of X·Wᵀ against fp32 (\(s.openTensor ?? ""))", focused: true, theme)
            .render(into: &buf, area: tableArea, glyphs: g)
        if tin.height > 1 {
            let header = Text.padLeft("threshold", 10) + Text.padLeft("16-bit cols", 13) + Text.padLeft("share", 9)
                + Text.padLeft("int8 rel.err", 14) + Text.padLeft("LLM.int8()", 12) + Text.padLeft("int8 max", 11) + Text.padLeft("LLM max", 11)
            buf.put(header, x: tin.x, y: tin.y, style: theme.style(.dim), maxWidth: tin.width)
            let rows = study.results
            let sel = rows.firstIndex { $0.threshold == current.threshold } ?? 0
            let visible = tin.height - 1
            let first = max(0, min(sel - visible / 2, rows.count - visible))
            for (line, i) in (first..<min(rows.count, first + visible)).enumerated() {
                let r = rows[i]
                let text = Text.padLeft(r.threshold > 0 ? String(format: "%g", r.threshold) : "off", 10)
                    + Text.padLeft("\(r.outlierColumns.count)", 13) + Text.padLeft(String(format: "%.2f %%", r.fraction16Bit * 100), 9)
                    + Text.padLeft(NumberFormat.compact(r.int8Vectorwise.relFroErr), 14) + Text.padLeft(NumberFormat.compact(r.llmInt8.relFroErr), 12)
                    + Text.padLeft(NumberFormat.compact(r.int8Vectorwise.maxAbsErr), 11) + Text.padLeft(NumberFormat.compact(r.llmInt8.maxAbsErr), 11)
                buf.put(Text.pad(text, tin.width), x: tin.x, y: tin.y + 1 + line,
                        style: theme.style(i == sel ? .selection : .text), maxWidth: tin.width)
            }
        }

        let sin = WorkbenchView.panel("what it means", focused: false, theme).render(into: &buf, area: summaryArea, glyphs: g)
        for (i, line) in summary(current).prefix(sin.height).enumerated() {
            buf.put(line, x: sin.x + 1, y: sin.y + i, style: theme.style(i == 0 ? .accent : .text), maxWidth: sin.width - 1)
        }
    }

    /// Two sentences on the current threshold, with the numbers.
    static func summary(_ r: Int8Decomposition.Result) -> [String] {
        let f = NumberFormat.compact
        let plain = r.int8Vectorwise.relFroErr, mixed = r.llmInt8.relFroErr
        guard r.threshold > 0 else {
            return ["threshold off: LLM.int8() is plain int8 vector-wise here (rel. error \(f(plain)))",
                    "o raises the threshold from 0: columns of X with any |x| ≥ threshold go through 16-bit instead"]
        }
        let gain = mixed > 0 ? plain / mixed : .infinity
        return ["at threshold \(String(format: "%g", r.threshold)): \(r.outlierColumns.count) of the input features "
                + "(\(String(format: "%.2f", r.fraction16Bit * 100)) %) in 16-bit; output rel. error \(f(mixed)) against \(f(plain)) "
                + "for plain int8" + (gain.isFinite ? String(format: " (%.1f× lower)", gain) : ""),
                "one large activation column stretches every row's int8 scale; kept in 16-bit, it no longer does"]
    }
}
