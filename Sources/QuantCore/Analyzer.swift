import TensorIO

/// Runs one full analysis: quantize, decode, metrics, histograms, code usage, outlier columns.
public enum Analyzer {
    public static func analyze(_ tensor: Tensor, config: QuantConfig,
                               options: AnalysisOptions = AnalysisOptions()) throws(QuantError) -> Analysis {
        try config.validate(cols: tensor.cols)
        return tensor.values.withUnsafeBufferPointer { x in
            analyzeValidated(x, tensor: tensor, config: config, options: options)
        }
    }

    /// The analysis in three passes over memory:
    /// 1. the tensor's statistics and column absmax (`TensorProfile`, independent of the configuration);
    /// 2. quantization, with the error sums, code usage and value histogram taken from each block
    ///    right after it is encoded, while it is still in cache;
    /// 3. the error and normalised histograms, whose ranges are known only after pass 2.
    static func analyzeValidated(_ x: UnsafeBufferPointer<Float>, tensor: Tensor, config: QuantConfig,
                                 options: AnalysisOptions) -> Analysis {
        let threads = options.threads
        let profile = TensorProfile.compute(x, rows: tensor.rows, cols: tensor.cols, threads: threads)
        let stats = profile.stats
        let bins = Swift.max(1, options.bins)
        let valueHist = Histogram.empty(lower: stats.min, upper: stats.max, bins: bins)
        let hasCodes = config.dtype.hasCodes
        // Codes are bytes; the count is cut to the codebook's size once it is known.
        let slots = hasCodes ? 256 : 65536
        let isHalf = config.dtype == .fp16
        let vLower = Float(valueHist.lower), vUpper = Float(valueHist.upper)
        let vMult = Float(Double(bins) / (valueHist.upper - valueHist.lower))

        let (q, accs) = Quantizer.quantizeValidated(
            x, rows: tensor.rows, cols: tensor.cols, config: config, threads: threads,
            makeAccumulator: { FusedAccumulator(codes: slots, bins: bins) },
            visit: { acc, v in
                acc.add(v, hasCodes: hasCodes, isHalf: isHalf, lower: vLower, upper: vUpper, mult: vMult)
            })

        var sums = ErrorMetrics.Sums()
        let codeCount = hasCodes ? q.codebook.codeCount : slots
        var usage = [Int](repeating: 0, count: codeCount)
        var excluded = 0
        var vh = valueHist
        for a in accs {
            sums.merge(a.sums)
            excluded += a.excluded
            for copy in 0..<4 {
                for i in 0..<codeCount { usage[i] += a.usage[copy * slots + i] }
                for k in 0..<bins { vh.counts[k] += a.values[copy * bins + k] }
            }
        }
        let metrics = ErrorMetrics(sums: sums, excluded: excluded, bitsPerParam: q.bitsPerParam,
                                   bytes: q.storedBytes, usage: usage)
        let (nh, eh) = errorAndNormalizedHistograms(x, quantized: q, maxErr: metrics.maxAbsErr, bins: bins,
                                                    statsMin: stats.min, statsMax: stats.max, threads: threads)
        let outliers = profile.outliers(threshold: options.outlierThreshold, k: options.outlierK)
        return Analysis(tensorName: tensor.name, shape: tensor.shape, sourceDType: tensor.sourceDType,
                        config: q.config, quantized: q, stats: stats, metrics: metrics,
                        valueHistogram: vh, normalizedHistogram: nh, errorHistogram: eh,
                        codeUsage: hasCodes ? usage : [], outliers: outliers, values: tensor.values)
    }

    /// What one worker accumulates while the quantizer hands it blocks.
    struct FusedAccumulator: Sendable {
        var sums = ErrorMetrics.Sums()
        var excluded = 0
        var usage: [Int]
        /// Four interleaved copies of the code counts and of the value histogram: neighbouring values
        /// often share a code or a bin, and four counters let their increments overlap.
        var values: [Int]
        let bins: Int
        let slots: Int

        init(codes: Int, bins: Int) {
            slots = codes
            usage = [Int](repeating: 0, count: 4 * codes)
            values = [Int](repeating: 0, count: 4 * bins)
            self.bins = bins
        }

        @inline(__always)
        mutating func add(_ v: Quantizer.BlockView, hasCodes: Bool, isHalf: Bool, lower: Float, upper: Float, mult: Float) {
            var s = sums
            var excl = 0
            let slots = self.slots
            usage.withUnsafeMutableBufferPointer { ub in
            values.withUnsafeMutableBufferPointer { vb in
                let u = ub.baseAddress!, vc = vb.baseAddress!
                var i = v.start
                for j in 0..<v.length {
                    let xv = v.x[i]
                    if xv.isFinite {
                        let yv = v.dequantized[i]
                        let xd = Double(xv), yd = Double(yv)
                        let e = yd - xd
                        s.sx2 += xd * xd; s.sy2 += yd * yd; s.sxy += xd * yd
                        s.se2 += e * e; s.sae += abs(e)
                        if !(abs(e) <= s.maxErr) { s.maxErr = abs(e) }
                        let copy = j & 3
                        if let codes = v.codes {
                            u[copy &* slots &+ Int(codes[i])] &+= 1
                        } else {
                            u[copy &* slots &+ Int(isHalf ? HalfPrecision.halfBits(from: yv) : HalfPrecision.bfloat16Bits(from: yv))] &+= 1
                        }
                        // The value histogram spans [min, max] of the finite values: every one is inside.
                        vc[copy &* bins &+ BinCounter.clampedBin(xv, lower: lower, mult: mult, bins: bins)] &+= 1
                    } else {
                        excl += 1
                    }
                    i += v.stride
                }
            }}
            s.n += v.length - excl
            excluded += excl
            sums = s
        }
    }

    /// The error histogram over ±max |error| and the normalised histogram over the code levels
    /// (widened to the normalised values' own range where a shared scale clips), per block.
    static func errorAndNormalizedHistograms(_ x: UnsafeBufferPointer<Float>, quantized q: QuantizedTensor,
                                             maxErr: Double, bins: Int, statsMin: Double, statsMax: Double,
                                             threads: Int) -> (Histogram, Histogram) {
        let levels = q.codebook.sortedLevels
        var lo = Double(levels.first ?? Float(statsMin)), hi = Double(levels.last ?? Float(statsMax))
        if let r = q.normalizedRange, r.lowerBound.isFinite, r.upperBound.isFinite {
            // Values past the extreme levels (clipped by a shared scale, or −1 below the dynamic map's
            // smallest code) must stay visible.
            lo = Swift.min(lo, Double(r.lowerBound)); hi = Swift.max(hi, Double(r.upperBound))
        }
        var normHist = Histogram.empty(lower: lo, upper: hi, bins: bins)
        let m = maxErr.isFinite ? maxErr : 0
        var errHist = Histogram.empty(lower: -m, upper: m, bins: bins)
        let grouping = q.grouping
        guard let xb = x.baseAddress, !x.isEmpty else { return (normHist, errHist) }
        let parts = q.dequantized.withUnsafeBufferPointer { yb in
            let xs = SharedPointer(xb), ys = SharedPointer(yb.baseAddress!)
            let nLo = normHist.lower, nHi = normHist.upper, eLo = errHist.lower, eHi = errHist.upper
            return Parallel.mapChunks(count: grouping.blockCount, threads: threads,
                                      minimumPerChunk: Swift.max(1, (1 << 16) / Swift.max(1, grouping.nominalBlockLength))) { r -> ([Int], [Int]) in
                let nc = BinCounter(lower: nLo, upper: nHi, bins: bins)
                let ec = BinCounter(lower: eLo, upper: eHi, bins: bins)
                defer { nc.release(); ec.release() }
                for b in r {
                    let (start, length, stride) = grouping.extent(ofBlock: b)
                    let inverse = 1 / q.normScale[b]
                    let zero = q.zeroPoints.isEmpty ? 0 : q.zeroPoints[b]
                    var i = start
                    for j in 0..<length {
                        let xv = xs.base[i]
                        if xv.isFinite {
                            nc.addClamped(xv * inverse + zero, copy: j & 3)
                            ec.addClamped(ys.base[i] - xv, copy: j & 3)
                        }
                        i += stride
                    }
                }
                return (nc.merged(), ec.merged())
            }
        }
        for (n, e) in parts {
            for k in 0..<bins { normHist.counts[k] += n[k]; errHist.counts[k] += e[k] }
        }
        return (normHist, errHist)
    }

    /// A histogram's binning rule with the division hoisted out of the loop.
    struct BinMap {
        let lower: Double, upper: Double, mult: Double, last: Int
        init(_ h: Histogram) {
            lower = h.lower; upper = h.upper; last = h.counts.count - 1
            mult = Double(h.counts.count) / (h.upper - h.lower)
        }
        @inline(__always) func bin(_ v: Double) -> Int? {
            guard v >= lower, v <= upper else { return nil }
            return Swift.min(Int((v - lower) * mult), last)
        }
    }

    /// Error metrics and code usage of a quantization, in one parallel pass over x and x̂.
    ///
    /// The 16-bit casts have no codes; their "code usage" counts distinct bit patterns.
    public static func measure(_ x: UnsafeBufferPointer<Float>, quantized q: QuantizedTensor,
                               threads: Int = Parallel.defaultThreads) -> (ErrorMetrics, [Int]) {
        let n = x.count
        let codeCount = q.config.dtype.hasCodes ? q.codebook.codeCount : 65536
        let isCast = !q.config.dtype.hasCodes
        struct Acc: Sendable { var sums = ErrorMetrics.Sums(); var usage: [Int]; var excluded = 0 }
        let accs: [Acc] = q.dequantized.withUnsafeBufferPointer { yb in
            q.codes.withUnsafeBufferPointer { cb in
                let xs = SharedPointer(x.baseAddress ?? UnsafePointer(bitPattern: 8)!)
                let ys = SharedPointer(yb.baseAddress ?? UnsafePointer(bitPattern: 8)!)
                let cs = cb.isEmpty ? nil : cb.baseAddress.map(SharedPointer.init)
                return Parallel.mapChunks(count: n, threads: threads, minimumPerChunk: 1 << 16) { r -> Acc in
                    var a = Acc(usage: [Int](repeating: 0, count: codeCount))
                    var s = ErrorMetrics.Sums()
                    for i in r {
                        let xv = xs.base[i]
                        guard xv.isFinite else { a.excluded += 1; continue }
                        let yv = ys.base[i]
                        let xd = Double(xv), yd = Double(yv)
                        let e = yd - xd
                        s.n += 1
                        s.sx2 += xd * xd; s.sy2 += yd * yd; s.sxy += xd * yd
                        s.se2 += e * e; s.sae += abs(e)
                        if !(abs(e) <= s.maxErr) { s.maxErr = abs(e) }
                        if let cs { a.usage[Int(cs.base[i])] += 1 }
                        else if isCast {
                            let bits = q.config.dtype == .fp16 ? HalfPrecision.halfBits(from: yv)
                                                               : HalfPrecision.bfloat16Bits(from: yv)
                            a.usage[Int(bits)] += 1
                        }
                    }
                    a.sums = s
                    return a
                }
            }
        }
        var sums = ErrorMetrics.Sums()
        var usage = [Int](repeating: 0, count: codeCount)
        var excluded = 0
        for a in accs {
            sums.merge(a.sums)
            excluded += a.excluded
            for i in 0..<codeCount { usage[i] += a.usage[i] }
        }
        let metrics = ErrorMetrics(sums: sums, excluded: excluded, bitsPerParam: q.bitsPerParam,
                                   bytes: q.storedBytes, usage: usage)

        return (metrics, usage)
    }
}
