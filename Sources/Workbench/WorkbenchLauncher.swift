import Foundation
import QuantCore
import TUI
import TensorCore
import TensorIO

/// Everything the workbench starts from, assembled from what the user typed.
public enum WorkbenchLauncher {
    /// The opening state: the file's tensors, the first (or chosen) tensor open, the configuration
    /// (a tensor stored in a quantized format starts in that format, so "what if it were NF4
    /// instead?" is one key away), themes, glyphs, and the activation tensors the LLM.int8() view may use.
    /// A tensor stored in quantized ggml blocks opens on its stored entry (`StoredEntry`) unless the user
    /// chose a datatype; `original` is the `--original` file, named in the header.
    public static func state(file: TensorFile, tensor: String?, config: (DataType) -> QuantConfig, userChoseBlock: Bool,
                             userChoseDatatype: Bool = false, original: String? = nil,
                             themes: [Theme], activations: [ActivationSource],
                             environment: [String: String] = ProcessInfo.processInfo.environment) -> WorkbenchState {
        let first = tensor ?? file.tensors.first { $0.isFloatConvertible && $0.count > 0 }?.name
        let firstInfo = first.flatMap { file.info(named: $0) }
        let stored = firstInfo.flatMap(StoredEntry.format(of:))
        let own = firstInfo.flatMap(DataType.storedFormat(of:)) ?? stored?.counterpart
        let c = config(own ?? .nf4)
        var state = WorkbenchState(file: file.path, tensors: file.tensors, themes: themes)
        state.dtype = c.dtype
        if userChoseBlock { state.userBlock = c.block }
        state.doubleQuant = c.doubleQuant
        // A bitsandbytes weight also starts at its own block size and double quantization.
        if !userChoseBlock, let stored = firstInfo?.storedQuantization?.quantConfig, stored.dtype == c.dtype {
            state.userBlock = stored.block
            state.doubleQuant = c.doubleQuant || stored.doubleQuant
        }
        state.storedView = stored != nil && !userChoseDatatype
        state.originalFile = original
        state.glyphs = GlyphSet.forEnvironment(environment)
        state.activationCandidates = activations
        if let first, let i = file.tensors.firstIndex(where: { $0.name == first }) {
            state.selection = i
            state.openTensor = first
        }
        return state
    }

    /// The activation tensors the LLM.int8() view may pair with a weight: the 2-D tensors of the open
    /// file, then those of `explicit` or, without it, of `NAME-activations.safetensors` beside the
    /// file. A companion found by name that cannot be read is skipped; one named explicitly fails.
    public static func activationCandidates(file: TensorFile, explicit: String?) throws -> [ActivationSource] {
        var out = file.tensors.filter { $0.shape.count == 2 }.map { ActivationSource(file: file.path, info: $0) }
        let url = URL(fileURLWithPath: file.path)
        let companion = explicit ?? url.deletingPathExtension().path + "-activations.safetensors"
        guard companion != file.path else { return out }
        if explicit != nil {
            let f = try TensorFile.open(companion)
            out += f.tensors.filter { $0.shape.count == 2 }.map { ActivationSource(file: companion, info: $0) }
        } else if FileManager.default.fileExists(atPath: companion), let f = try? TensorFile.open(companion) {
            // Only a guess: a companion that cannot be read is skipped, and the workbench still opens.
            out += f.tensors.filter { $0.shape.count == 2 }.map { ActivationSource(file: companion, info: $0) }
        }
        return out
    }
}
