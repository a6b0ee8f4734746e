import TensorCore

/// The figures of a file's own quantization of a tensor (a GGUF Q4_K, IQ2_XXS, … tensor), read from
/// its stored blocks rather than re-quantized: code usage (grid points for the lattice types), the
/// levels of its code book, the normalised histogram and, with the original it was made from, the
/// error metrics and error histogram of the stored values against it.
///
/// The normalised value of an element is where its group's line puts it: each group of elements
/// sharing a scale (`StoredFormat.scaleGroup`) decodes as `value = slope · level + intercept`, and the
/// line through the group's (level, stored value) pairs recovers the stored scale and minimum exactly
/// (to float rounding); the reference value (the original, else the stored value) is then
/// `(x − intercept) ÷ slope`. A group whose elements all share one level has no line and is left out
/// of the normalised histogram.
///
/// Streams like the analysis: a profile pass over the reference (statistics, column absmax), a pass
/// for the sums, code usage, value histogram and the normalised range, and a pass for the normalised
/// and error histograms, each over chunks of whole blocks on every core, float sums merged in chunk
/// order. Neither tensor is ever held whole.
public enum StoredAnalysis {
    /// Analyses the stored quantization of `stored`'s tensor, against `original` when given (a reader
    /// of the same number of values, in the stored tensor's element order).
    ///
    /// - Throws: `StoredAnalysisError` when the reader's file does not store the tensor in quantized
    ///   ggml blocks or the original does not fit; `CancellationError` when `cancellation` was set.
    public static func analyze(_ stored: any TensorReader, original: (any TensorReader)? = nil, originalLabel: String? = nil,
                               options: AnalysisOptions = AnalysisOptions(), cancellation: Cancellation = .never,
                               progress: Progress? = nil) throws -> Analysis {
        let info = stored.info
        guard let blocksReader = stored as? any StoredBlocksReader, let type = stored.storedGGMLType,
              let format = StoredFormat(type, original: original == nil ? nil : (originalLabel ?? "the original")) else {
            throw StoredAnalysisError.notStored(tensor: info.name, dtype: info.dtype)
        }
        let qk = type.blockLayout.elements
        guard info.count % qk == 0 else { throw StoredAnalysisError.partialBlock(tensor: info.name, count: info.count, block: qk) }
        if let original, original.info.count != info.count {
            throw StoredAnalysisError.countMismatch(tensor: info.name, stored: info.count, original: original.info.count)
        }
        let reference: any TensorReader = original ?? stored
        let threads = options.threads
        let bins = Swift.max(1, options.bins)
        let profile = try TensorProfile.compute(reference, threads: threads, cancellation: cancellation, progress: progress)
        let stats = profile.stats

        let n = info.count
        let length = Comparison.chunkLength(Swift.max(qk, options.chunkValues), qk, reference.granularity)
        let chunks = n == 0 ? 0 : (n + length - 1) / length
        let ctx = Context(format: format, reader: blocksReader, original: original, n: n, length: length)
        let valueHist = Histogram.empty(lower: stats.min, upper: stats.max, bins: bins)

        // Pass 1: sums, code usage, value histogram, normalised range, the group of the largest |x|.
        let perChunk = UnsafeMutableBufferPointer<ErrorMetrics.Sums>.allocate(capacity: Swift.max(1, chunks))
        perChunk.initialize(repeating: ErrorMetrics.Sums())
        defer { perChunk.deallocate() }
        let slots = SharedMutablePointer(perChunk.baseAddress!)
        progress?.add(total: 2 * chunks)
        let (vlo, vhi) = (valueHist.lower, valueHist.upper)
        let first = try Parallel.dynamic(count: chunks, threads: threads, cancellation: cancellation, progress: progress,
                                         makeState: { PassOne(ctx, bins: bins, lower: vlo, upper: vhi) }) { w, k in
            let range = ctx.range(k)
            ctx.load(range, into: w.buffers, usage: &w.usage)
            var s = ErrorMetrics.Sums()
            if ctx.original != nil {
                w.excluded += Comparison.accumulate(x: w.buffers.x, y: w.buffers.y, count: range.count, into: &s)
            }
            slots.base[k] = s
            w.values.add(w.buffers.reference, count: range.count)
            ctx.normalize(range, w.buffers) { group, slope, intercept, absmax in
                if absmax > w.peak.absmax || (absmax == w.peak.absmax && group < w.peak.group) {
                    w.peak = Peak(group: group, absmax: absmax, slope: slope, intercept: intercept)
                }
            }
            for i in 0..<range.count {
                let v = w.buffers.normalized[i]
                if v.isFinite { w.low = Swift.min(w.low, v); w.high = Swift.max(w.high, v) }
            }
        }
        var sums = ErrorMetrics.Sums()
        for k in 0..<chunks { sums.merge(perChunk[k]) }
        var usage = [Int](repeating: 0, count: format.codeCount)
        var values = [Int](repeating: 0, count: bins)
        var excluded = 0
        var peak = Peak()
        var low = Float.infinity, high = -Float.infinity
        for w in first {
            for i in usage.indices { usage[i] += w.usage[i] }
            let v = w.values.merged()
            for i in values.indices { values[i] += v[i] }
            excluded += w.excluded
            if w.peak.absmax > peak.absmax || (w.peak.absmax == peak.absmax && w.peak.group < peak.group) { peak = w.peak }
            low = Swift.min(low, w.low); high = Swift.max(high, w.high)
            w.release()
        }
        let bitsPerParam = n == 0 ? 0 : Double(info.byteCount) * 8 / Double(n)
        // Without an original the sums are empty: every error metric is NaN (null in JSON), the cost and codes remain.
        let metrics = ErrorMetrics(sums: sums, excluded: excluded, bitsPerParam: bitsPerParam, bytes: info.byteCount, usage: usage)
        var vh = valueHist
        vh.counts = values

        // Pass 2: the normalised histogram over the levels and the values' own range, the error histogram over ±max error.
        let levelSet = format.levelSet
        var lo = Double(levelSet.first ?? -1), hi = Double(levelSet.last ?? 1)
        if low.isFinite && high.isFinite && low <= high { lo = Swift.min(lo, Double(low)); hi = Swift.max(hi, Double(high)) }
        var nh = Histogram.empty(lower: lo, upper: hi, bins: bins)
        let m = metrics.maxAbsErr.isFinite ? metrics.maxAbsErr : 0
        var eh = Histogram.empty(lower: -m, upper: m, bins: bins)
        let (nlo, nhi, elo, ehi) = (nh.lower, nh.upper, eh.lower, eh.upper)
        let second = try Parallel.dynamic(count: chunks, threads: threads, cancellation: cancellation, progress: progress,
                                          makeState: { PassTwo(ctx, bins: bins, normalized: (nlo, nhi), error: (elo, ehi)) }) { w, k in
            let range = ctx.range(k)
            ctx.load(range, into: w.buffers, usage: &w.usage)
            ctx.normalize(range, w.buffers) { _, _, _, _ in }
            w.normalized.add(w.buffers.normalized, count: range.count)
            if ctx.original != nil {
                let x = w.buffers.x, y = w.buffers.y
                for i in 0..<range.count where x[i].isFinite {
                    w.error.add(y[i] - x[i], copy: i & 3)
                }
            }
        }
        var ncounts = [Int](repeating: 0, count: bins), ecounts = [Int](repeating: 0, count: bins)
        for w in second {
            let a = w.normalized.merged(), b = w.error.merged()
            for i in 0..<bins { ncounts[i] += a[i]; ecounts[i] += b[i] }
            w.release()
        }
        nh.counts = ncounts
        eh.counts = ecounts

        let (rows, cols) = Analyzer.shape2D(info.shape)
        let grouping = Grouping(count: n, rows: rows, cols: cols, block: .elements(format.scaleGroup))
        let config = QuantConfig(dtype: format.counterpart, block: format.counterpart.fixedBlock.map { .elements($0) } ?? .elements(64))
        let slope = peak.slope.isFinite && peak.slope != 0 ? peak.slope : 1
        return Analysis(tensorName: info.name, shape: info.shape, sourceDType: info.dtype, config: config, grouping: grouping,
                        codebook: Codebook(levels: levelSet, domainLabel: format.domainLabel), stats: stats, metrics: metrics,
                        valueHistogram: vh, normalizedHistogram: nh, errorHistogram: eh, codeUsage: usage,
                        outliers: profile.outliers(threshold: options.outlierThreshold, k: options.outlierK),
                        peakBlock: Swift.max(0, peak.group), peakBlockScale: Float(slope), peakBlockZero: Float(-peak.intercept / slope),
                        coverage: nil, stored: format)
    }

    /// The group holding the largest |x| and its line.
    struct Peak {
        var group = -1
        var absmax = -1.0
        var slope = 1.0
        var intercept = 0.0
    }

    /// A worker's buffers for one chunk.
    struct Buffers {
        let x: UnsafeMutablePointer<Float>
        let y: UnsafeMutablePointer<Float>
        let levels: UnsafeMutablePointer<Float>
        let normalized: UnsafeMutablePointer<Float>
        let codes: UnsafeMutablePointer<UInt8>
        let lattice: UnsafeMutablePointer<GGMLLatticeCode>
        /// The values the histograms and the line are read from: the original's, else the stored ones.
        let reference: UnsafeMutablePointer<Float>

        init(capacity: Int, hasOriginal: Bool) {
            x = .allocate(capacity: capacity)
            y = .allocate(capacity: capacity)
            levels = .allocate(capacity: capacity)
            normalized = .allocate(capacity: capacity)
            codes = .allocate(capacity: capacity)
            lattice = .allocate(capacity: capacity)
            reference = hasOriginal ? x : y
        }

        func release() {
            x.deallocate(); y.deallocate(); levels.deallocate(); normalized.deallocate(); codes.deallocate(); lattice.deallocate()
        }
    }

    /// What both passes share: the format, the readers and the chunking.
    struct Context: @unchecked Sendable {
        let format: StoredFormat
        let reader: any StoredBlocksReader
        let original: (any TensorReader)?
        let n: Int
        let length: Int

        func range(_ k: Int) -> Range<Int> { (k * length)..<Swift.min(n, (k + 1) * length) }

        /// Reads chunk `range`: the stored blocks' values, levels and code usage (added to `usage`), and
        /// the original's values.
        func load(_ range: Range<Int>, into b: Buffers, usage: inout [Int]) {
            let qk = format.blockElements
            let blocks = (range.lowerBound / qk)..<((range.upperBound + qk - 1) / qk)
            reader.withStoredBlocks(blocks) { raw in
                format.type.dequantize(raw, blocks: blocks.count, into: b.y)
                format.levels(raw, blocks: blocks.count, codes: b.codes, lattice: b.lattice, into: b.levels, usage: &usage)
            }
            if let original { original.read(range, into: UnsafeMutableBufferPointer(start: b.x, count: range.count)) }
        }

        /// Fits each group's line and writes every element's normalised value (NaN where the group has
        /// no line or the reference is not finite); `line` hears each group's line and reference absmax.
        func normalize(_ range: Range<Int>, _ b: Buffers, line: (Int, Double, Double, Double) -> Void) {
            let g = format.scaleGroup
            var start = 0
            while start < range.count {
                let count = Swift.min(g, range.count - start)
                var sl = 0.0, sy = 0.0, sll = 0.0, sly = 0.0, absmax = 0.0
                for i in start..<(start + count) {
                    let l = Double(b.levels[i]), y = Double(b.y[i])
                    sl += l; sy += y; sll += l * l; sly += l * y
                    let r = Double(b.reference[i])
                    if r.isFinite { absmax = Swift.max(absmax, abs(r)) }
                }
                let cn = Double(count)
                let varL = sll - sl * sl / cn
                let slope = varL > 0 ? (sly - sl * sy / cn) / varL : .nan
                let intercept = (sy - slope * sl) / cn
                if slope.isFinite && slope != 0 {
                    line((range.lowerBound + start) / g, slope, intercept, absmax)
                    for i in start..<(start + count) { b.normalized[i] = Float((Double(b.reference[i]) - intercept) / slope) }
                } else {
                    for i in start..<(start + count) { b.normalized[i] = .nan }
                }
                start += count
            }
        }
    }

    final class PassOne {
        let buffers: Buffers
        var usage: [Int]
        let values: BinCounter
        var excluded = 0
        var peak = Peak()
        var low = Float.infinity, high = -Float.infinity

        init(_ ctx: Context, bins: Int, lower: Double, upper: Double) {
            buffers = Buffers(capacity: ctx.length, hasOriginal: ctx.original != nil)
            usage = [Int](repeating: 0, count: ctx.format.codeCount)
            values = BinCounter(lower: lower, upper: upper, bins: bins)
        }

        func release() { buffers.release(); values.release() }
    }

    final class PassTwo {
        let buffers: Buffers
        /// Code usage again (the first pass has it; counting costs less than a branch per element).
        var usage: [Int]
        let normalized: BinCounter
        let error: BinCounter

        init(_ ctx: Context, bins: Int, normalized n: (Double, Double), error e: (Double, Double)) {
            buffers = Buffers(capacity: ctx.length, hasOriginal: ctx.original != nil)
            usage = [Int](repeating: 0, count: ctx.format.codeCount)
            normalized = BinCounter(lower: n.0, upper: n.1, bins: bins)
            error = BinCounter(lower: e.0, upper: e.1, bins: bins)
        }

        func release() { buffers.release(); normalized.release(); error.release() }
    }
}

/// A stored view that cannot be made.
public enum StoredAnalysisError: Error, Sendable, Equatable, CustomStringConvertible {
    case notStored(tensor: String, dtype: String)
    case partialBlock(tensor: String, count: Int, block: Int)
    case countMismatch(tensor: String, stored: Int, original: Int)

    public var description: String {
        switch self {
        case .notStored(let t, let d):
            "\(t) is stored as \(d), not in quantized ggml blocks: there is no stored quantization to show (a GGUF tensor of a quantized type has one)"
        case .partialBlock(let t, let n, let b): "\(t) holds \(n) values, not whole blocks of \(b)"
        case .countMismatch(let t, let s, let o): "\(t) holds \(s) values but its original \(o)"
        }
    }
}
