import TensorCore

/// Everything the workbench and `report` show for one tensor under one configuration.
public struct Analysis: Sendable {
    public var tensorName: String
    public var shape: [Int]
    public var sourceDType: String
    public var config: QuantConfig
    public var quantized: QuantizedTensor
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
    /// The input values the analysis was made from (the tensor's own storage, shared, not copied),
    /// for the views that look at single values: the block inspector and outlier isolation.
    public var values: [Float] = []
    /// The tensor's shape as rows × columns (last axis).
    public var rows: Int { quantized.grouping.rows }
    public var cols: Int { quantized.grouping.cols }

    public var count: Int { quantized.grouping.count }
}

/// Options that do not change the quantization itself.
public struct AnalysisOptions: Sendable, Hashable {
    public var bins: Int
    public var outlierThreshold: Float
    public var outlierK: Float
    public var threads: Int

    public init(bins: Int = 64, outlierThreshold: Float = 6, outlierK: Float = 6,
                threads: Int = Parallel.defaultThreads) {
        self.bins = bins
        self.outlierThreshold = outlierThreshold
        self.outlierK = outlierK
        self.threads = threads
    }
}
