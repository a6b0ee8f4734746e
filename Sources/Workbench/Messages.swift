import QuantCore
import Reports
import Terminal

/// Messages the loop feeds into `update`: keys, the terminal, and the results of commands.
public enum Message: Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// Figures for `key`: an estimate from a sample of a large tensor (`analysis.isEstimate`), or the
    /// exact ones. A cache hit arrives the same way.
    case analyzed(generation: Int, key: AnalysisKey, analysis: Analysis)
    case failed(generation: Int, message: String)
    /// How far the running work has come, 0…1 (analysis or a deep-dive computation).
    case progress(generation: Int, fraction: Double)
    /// A deep-dive computation landed (sweep, LLM.int8() study, isolation), or failed.
    case swept(SweepResult)
    /// A sweep has measured `done` of its `total` configurations (on a sample when `estimate`).
    case sweepProgress(tensor: String, done: Int, total: Int, estimate: Bool)
    case int8Studied(Int8Study)
    case isolated(IsolationResult)
    /// The block the inspector asked for, laid open.
    case inspected(key: AnalysisKey, inspection: BlockInspection)
    /// The block a search found (`w` the worst, `v` the one holding the largest |x|).
    case blockFound(key: AnalysisKey, block: Int, reason: String)
    case deepFailed(String)
    /// The view was written (`E`): the status line's sentence.
    case exported(String)
    case tick
}

/// Work `update` asks the effect runner to do; every result comes back as a `Message`.
public enum Command: Sendable, Equatable {
    /// Analyse the tensor under the configuration (an estimate first when the tensor is large).
    case analyze(AnalysisKey, generation: Int)
    /// Sweep every datatype × block on a tensor (the sweep view).
    case sweep(tensor: String)
    /// The LLM.int8() study of a weight against an activation tensor, at `Int8Study.thresholds`.
    case int8(weight: String, activations: ActivationSource)
    /// Outlier isolation of the tensor under the configuration, ranked both ways.
    case isolate(AnalysisKey)
    /// Lay open one block for the inspector.
    case inspect(AnalysisKey, block: Int)
    /// Find the block with the largest squared error (`worst`) or holding the largest |x|.
    case findBlock(AnalysisKey, worst: Bool)
    /// Stop the deep-dive work that is running (its view was left).
    case cancelDeep
    /// Write the view on screen to files (`E`).
    case export(ViewExport)
}
