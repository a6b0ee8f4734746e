import TensorCore

/// Runs one full analysis: quantize, decode, metrics, histograms, code usage, outlier columns —
/// streamed from the tensor's reader in chunks, with bounded memory whatever the tensor's size.
///
/// The passes over the tensor:
/// 1. the profile (`TensorProfile`: statistics and column absmax), independent of the configuration,
///    so a caller that keeps it (the workbench) pays for it once per tensor;
/// 2. only where a configuration needs them before the first block: every block's statistics
///    (double quantization's absmax, column and tensor blocks) and the quantile codes' sample;
/// 3. quantization with the error sums, code usage, value histogram and the normalised range taken
///    from each block right after it is encoded, while it is in cache;
/// 4. quantization again for the error and normalised histograms, whose ranges pass 3 found.
/// Each pass splits the chunks across every core with dynamic scheduling, checks for cancellation
/// between chunks, and merges float sums in chunk order, so results do not depend on the threads.
public enum Analyzer {
    /// Analyses an in-memory tensor.
    public static func analyze(_ tensor: Tensor, config: QuantConfig,
                               options: AnalysisOptions = AnalysisOptions()) throws(QuantError) -> Analysis {
        try uncancellable("an analysis") { try analyze(tensor as any TensorReader, config: config, options: options) }
    }

    /// Analyses a tensor read from `reader`.
    ///
    /// - Parameters:
    ///   - profile: the tensor's profile, when the caller has it already (it must be of the whole tensor).
    ///   - sampleValues: analyse only about this many values, in whole chunks spread evenly over the
    ///     tensor, for a quick estimate (`Analysis.coverage` says how many were seen).
    /// - Throws: `QuantError` when the configuration does not fit the tensor, `CancellationError` when
    ///   `cancellation` was set.
    public static func analyze(_ reader: any TensorReader, config: QuantConfig, options: AnalysisOptions = AnalysisOptions(),
                               profile given: TensorProfile? = nil, sampleValues: Int? = nil,
                               cancellation: Cancellation = .never, progress: Progress? = nil) throws -> Analysis {
        let info = reader.info
        let (rows, cols) = Analyzer.shape2D(info.shape)
        try config.validate(cols: cols)
        let threads = options.threads
        let grouping = Grouping(count: info.count, rows: rows, cols: cols, block: config.block)
        let plan = ChunkPlan(grouping: grouping, granularity: reader.granularity, sampleValues: sampleValues,
                             targetLength: options.chunkValues)
        // Without a profile of the plan's values, the first pass makes one while it quantizes — unless the
        // format needs the tensor's absmax before its first block (NVFP4), which takes a pass of its own.
        var profile: TensorProfile? = plan.isSample ? nil : given
        if profile == nil && config.dtype.traits.needsTensorAbsmax {
            profile = try TensorProfile.compute(reader, plan: plan.isSample ? plan : nil, threads: threads, cancellation: cancellation,
                                                progress: progress)
        }
        let prepared = try config.dtype.entry.engine.prepare(reader, config, profile ?? .empty, plan, threads, cancellation)
        let bins = Swift.max(1, options.bins)
        let valueRange = profile.map { p -> (Float, Float) in
            let h = Histogram.empty(lower: p.stats.min, upper: p.stats.max, bins: bins)
            return (Float(h.lower), Float(h.upper))
        }
        let pass = try prepared.measure(reader, valueRange: valueRange, bins: bins,
                                        allFinite: profile.map { $0.stats.finiteCount == $0.stats.count } ?? false,
                                        profileColumns: profile == nil ? cols : nil, threads: threads,
                                        cancellation: cancellation, progress: progress)
        let finalProfile = profile ?? pass.profile!
        let stats = finalProfile.stats
        let hasCodes = config.dtype.hasCodes
        let usage = hasCodes ? Array(pass.usage.prefix(prepared.codebook.codeCount)) : pass.usage
        let bits = prepared.storedBits
        let metrics = ErrorMetrics(sums: pass.sums, excluded: pass.excluded,
                                   bitsPerParam: info.count == 0 ? 0 : Double(bits) / Double(info.count),
                                   bytes: (bits + 7) / 8, usage: usage)

        // The normalised histogram spans the code levels, widened to the normalised values' own range where
        // a shared scale clips (MX) or the values pass the extreme levels (−1 below the dynamic map's codes).
        let levels = prepared.codebook.sortedLevels
        var lo = Double(levels.first ?? Float(stats.min)), hi = Double(levels.last ?? Float(stats.max))
        if pass.normalizedLow.isFinite && pass.normalizedHigh.isFinite && pass.normalizedLow <= pass.normalizedHigh {
            lo = Swift.min(lo, Double(pass.normalizedLow)); hi = Swift.max(hi, Double(pass.normalizedHigh))
        }
        let m = metrics.maxAbsErr.isFinite ? metrics.maxAbsErr : 0
        var valueHist = Histogram.empty(lower: stats.min, upper: stats.max, bins: bins)
        let valuesInPassC = valueRange != nil
        if valuesInPassC { valueHist.counts = pass.values }
        let (nh, eh, vh) = try prepared.histograms(reader, normalized: Histogram.empty(lower: lo, upper: hi, bins: bins),
                                                   error: Histogram.empty(lower: -m, upper: m, bins: bins),
                                                   values: valuesInPassC ? nil : valueHist, finiteChunks: pass.finiteChunks,
                                                   threads: threads, cancellation: cancellation, progress: progress)
        return Analysis(tensorName: info.name, shape: info.shape, sourceDType: info.dtype, config: config,
                        grouping: grouping, codebook: prepared.codebook, stats: stats, metrics: metrics,
                        valueHistogram: vh ?? valueHist, normalizedHistogram: nh, errorHistogram: eh,
                        codeUsage: hasCodes ? usage : [],
                        outliers: finalProfile.outliers(threshold: options.outlierThreshold, k: options.outlierK),
                        peakBlock: Swift.max(0, pass.peak.block), peakBlockScale: pass.peak.side.scale, peakBlockZero: pass.peak.side.zero,
                        coverage: plan.isSample ? plan.coveredValues : nil)
    }

    /// The tensor's profile, read from `reader` (the workbench keeps it per tensor).
    public static func profile(_ reader: any TensorReader, threads: Int = Parallel.defaultThreads,
                               cancellation: Cancellation = .never, progress: Progress? = nil) throws -> TensorProfile {
        try TensorProfile.compute(reader, threads: threads, cancellation: cancellation, progress: progress)
    }

    /// The error metrics alone (a sweep row): one pass, no histograms.
    public static func measure(_ reader: any TensorReader, config: QuantConfig, profile: TensorProfile? = nil,
                               sampleValues: Int? = nil, threads: Int = Parallel.defaultThreads,
                               cancellation: Cancellation = .never, progress: Progress? = nil) throws -> ErrorMetrics {
        let info = reader.info
        let (rows, cols) = shape2D(info.shape)
        try config.validate(cols: cols)
        let grouping = Grouping(count: info.count, rows: rows, cols: cols, block: config.block)
        let plan = ChunkPlan(grouping: grouping, granularity: reader.granularity, sampleValues: sampleValues)
        let needsProfile = config.dtype.traits.needsTensorAbsmax
        var p = profile ?? TensorProfile.empty
        if profile == nil && needsProfile {
            p = try TensorProfile.compute(reader, plan: plan.isSample ? plan : nil, threads: threads, cancellation: cancellation, progress: nil)
        }
        let prepared = try config.dtype.entry.engine.prepare(reader, config, p, plan, threads, cancellation)
        let pass = try prepared.measure(reader, valueRange: nil, bins: 1, allFinite: false, profileColumns: nil, threads: threads,
                                        cancellation: cancellation, progress: progress)
        let usage = config.dtype.hasCodes ? Array(pass.usage.prefix(prepared.codebook.codeCount)) : pass.usage
        let bits = prepared.storedBits
        return ErrorMetrics(sums: pass.sums, excluded: pass.excluded,
                            bitsPerParam: info.count == 0 ? 0 : Double(bits) / Double(info.count),
                            bytes: (bits + 7) / 8, usage: usage)
    }

    /// `[rows, cols]`: cols the last axis, rows the product of the others (1 for 0-D and 1-D).
    public static func shape2D(_ shape: [Int]) -> (rows: Int, cols: Int) {
        (shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *), shape.last ?? 1)
    }
}

extension TensorProfile {
    /// A profile that knows nothing (for passes that need none).
    static let empty = TensorProfile(stats: TensorStats(count: 0, finiteCount: 0, mean: .nan, std: .nan, min: .nan, max: .nan,
                                                        absmax: .nan, kurtosis: .nan, nanCount: 0, infCount: 0),
                                     columnAbsmax: [])
}
