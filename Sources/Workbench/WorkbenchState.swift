import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO

/// Which pane has the keyboard.
public enum Pane: Int, CaseIterable, Sendable {
    case tensors, values, errors, metrics
}

/// A pinned baseline, for the metric deltas and the side-by-side view: the whole analysis, whose
/// tensor, configuration and metrics it stands for.
public struct Pin: Sendable {
    public var analysis: Analysis
    public var tensor: String { analysis.tensorName }
    public var config: QuantConfig { analysis.config }
    public var metrics: ErrorMetrics { analysis.metrics }
}

/// A sweep on its way: `done` of `total` configurations measured.
public struct SweepProgress: Sendable, Equatable {
    public var done: Int
    public var total: Int
    public var estimate: Bool
}

/// What the analysis cache is keyed by: the tensor and the quantization configuration.
public struct AnalysisKey: Sendable, Hashable {
    public var tensor: String
    public var config: QuantConfig
    /// The file's own quantization of the tensor rather than `config` (`StoredEntry`).
    public var stored = false
}

/// The whole state of the workbench; the screen is a pure function of it.
public struct WorkbenchState: Sendable {
    public var file: String
    public var tensors: [TensorInfo]
    public var filter = ""
    public var filtering = false
    /// Index into `visibleTensors`.
    public var selection = 0
    public var focus: Pane = .tensors
    public var openTensor: String?
    public var dtype: DataType = .nf4
    /// The file's own quantization of the open tensor is current instead of `dtype` (`StoredEntry`).
    public var storedView = false
    /// The file given with `--original`, whose tensors the stored figures are measured against.
    public var originalFile: String?
    /// The block the user chose; fixed-block formats override it while they are current.
    public var userBlock: BlockSize = .elements(64)
    public var doubleQuant = false
    public var logAxis = false
    public var normalizedDomain = true
    public var showCodeUsage = false
    public var outlierThreshold: Float = 6
    public var outlierK: Float = 6
    public var pin: Pin?
    public var themes: [Theme]
    public var themeIndex = 0
    public var showHelp = false
    /// First help row on screen (the overlay scrolls on small terminals).
    public var helpScroll = 0
    public var analysis: Analysis?
    /// Generation of the newest request; results for older ones are dropped.
    public var generation = 0
    public var busy = false
    public var spinner = 0
    public var status = ""
    public var width = 120
    public var height = 40
    public var glyphs: GlyphSet = .unicode
    public var quit = false

    // Deep-dive views (docs/ARCHITECTURE.md, keys i s a m u e).
    /// The view shown instead of the panes, if any; Esc returns to the panes.
    public var deepView: DeepView?
    /// Block shown by the inspector, and that block laid open once it has been read and encoded.
    public var inspectBlock = 0
    public var inspection: BlockInspection?
    /// The configuration `inspection` was made under.
    public var inspectedKey: AnalysisKey?
    /// How far the running analysis has come (0…1), while it runs.
    public var analysisProgress = 0.0
    /// Configurations the running sweep has measured, of how many, and whether on a sample.
    public var sweepProgress: SweepProgress?
    /// The sweep of the open tensor, once computed, and the selected row.
    public var sweep: SweepResult?
    public var sweepSelection = 0
    /// The LLM.int8() study of the open weight, once computed, and its threshold.
    public var int8: Int8Study?
    public var int8Threshold: Float = 6
    /// Activation tensors the LLM.int8() view may pair with a weight: (source label, info).
    public var activationCandidates: [ActivationSource] = []
    /// The outlier-isolation curve for the current configuration, once computed.
    public var isolation: IsolationResult?
    /// First line of the explanation on screen.
    public var explainScroll = 0
    /// A deep-dive computation (sweep, study, isolation) is running.
    public var deepBusy = false

    public init(file: String, tensors: [TensorInfo], themes: [Theme] = [.fallback]) {
        self.file = file
        self.tensors = tensors
        self.themes = themes.isEmpty ? [.fallback] : themes
    }

    public var theme: Theme { themes[themeIndex % themes.count] }

    /// The configuration in effect (fixed blocks and double-quant support applied).
    public var config: QuantConfig {
        QuantConfig(dtype: dtype, block: dtype.fixedBlock.map { .elements($0) } ?? userBlock,
                    doubleQuant: doubleQuant && dtype.supportsDoubleQuant)
    }

    /// Tensors matching the filter (case-insensitive substring).
    public var visibleTensors: [TensorInfo] {
        guard !filter.isEmpty else { return tensors }
        let f = filter.lowercased()
        return tensors.filter { $0.name.lowercased().contains(f) }
    }

    public var selectedTensor: TensorInfo? {
        let v = visibleTensors
        return v.indices.contains(selection) ? v[selection] : nil
    }

    /// The analysis key of what should be on screen, if a tensor is open.
    public var currentKey: AnalysisKey? {
        openTensor.map { AnalysisKey(tensor: $0, config: config, stored: storedView) }
    }

    /// Outlier columns under the current threshold, recomputed from the column absmax
    /// (no re-analysis needed when only the threshold moves).
    public var outlierColumns: [OutlierColumns.Column] {
        analysis?.outliers.flagged(threshold: outlierThreshold, k: outlierK) ?? []
    }
}
