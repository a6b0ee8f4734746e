import TensorCore

/// Everything the workbench and `report` show for one tensor under one configuration: figures only.
///
/// An analysis keeps no codes, decoded values or input values (a tensor of 500 M values would need
/// gigabytes for them): what needs single values later — the block inspector, `quantize` — reads and
/// encodes the blocks it shows again.
public struct Analysis: Sendable {
    public var tensorName: String
    public var shape: [Int]
    public var sourceDType: String
    public var config: QuantConfig
    /// Which elements share a scale.
    public var grouping: Grouping
    /// The levels of the codes (the fitted table for the quantile codes).
    public var codebook: Codebook
    public var stats: TensorStats
    public var metrics: ErrorMetrics
    /// Values in the raw domain, over [min, max].
    public var valueHistogram: Histogram
    /// Values in the normalised domain (x ÷ block scale), where the code levels are fixed.
    public var normalizedHistogram: Histogram
    /// Quantization errors x̂ − x, symmetric around 0.
    public var errorHistogram: Histogram
    /// How many finite inputs landed on each code index (empty for the 16-bit casts).
    public var codeUsage: [Int]
    public var outliers: OutlierColumns
    /// The scale and zero point of the block with the largest absmax: the raw-domain histogram draws the
    /// code levels where that block puts them.
    public var peakBlock = 0
    public var peakBlockScale: Float = 1
    public var peakBlockZero: Float = 0
    /// For an estimate from evenly spread chunks: how many values it saw; nil when every value was analysed.
    public var coverage: Int?
    /// Set when the figures are a file's own quantization read from its blocks (`StoredAnalysis`), not
    /// a re-quantization: then `config` is only the datatype a re-quantization starts from.
    public var stored: StoredFormat?

    /// The tensor's shape as rows × columns (last axis).
    public var rows: Int { grouping.rows }
    public var cols: Int { grouping.cols }

    public var count: Int { grouping.count }

    /// What the figures are of: `stored Q4_K`, or the configuration (`nf4 · block 64 · dq off` style).
    public var label: String { stored?.label ?? config.description }

    /// Slots of the code usage: the code book's codes, or a lattice type's grid points.
    public var codeSlots: Int { stored?.codeCount ?? codebook.codeCount }

    /// Whether the figures come from a sample of the tensor.
    public var isEstimate: Bool { coverage != nil }
}

/// Options that do not change the quantization itself.
public struct AnalysisOptions: Sendable, Hashable {
    public var bins: Int
    public var outlierThreshold: Float
    public var outlierK: Float
    public var threads: Int
    /// Values a pass reads into a worker's buffer at a time (rounded to whole blocks or rows): small
    /// enough for the buffers to stay in cache. Results do not depend on it.
    public var chunkValues: Int
    /// Up to this many values, the first pass keeps what it decoded for the second, which then need
    /// not encode them again (4 bytes a value: 64 MiB at the default); past it, chunks are encoded
    /// twice. It bounds the analysis' memory whatever the tensor's size.
    public var reuseValues: Int

    public init(bins: Int = 64, outlierThreshold: Float = 6, outlierK: Float = 6,
                threads: Int = Parallel.defaultThreads, chunkValues: Int = 1 << 16, reuseValues: Int = 16 << 20) {
        self.bins = bins
        self.outlierThreshold = outlierThreshold
        self.outlierK = outlierK
        self.threads = threads
        self.chunkValues = chunkValues
        self.reuseValues = reuseValues
    }
}
