import TensorIO

/// Runs one full analysis: quantize, decode, metrics, histograms, code usage, outlier columns.
public enum Analyzer {
    public static func analyze(_ tensor: Tensor, config: QuantConfig,
                               options: AnalysisOptions = AnalysisOptions()) throws(QuantError) -> Analysis {
        try config.validate(cols: tensor.cols)
        return tensor.values.withUnsafeBufferPointer { x in
            let q = Quantizer.quantizeValidated(x, rows: tensor.rows, cols: tensor.cols, config: config,
                                                threads: options.threads)
            return assemble(x, tensor: tensor, quantized: q, options: options)
        }
    }

    static func assemble(_ x: UnsafeBufferPointer<Float>, tensor: Tensor, quantized q: QuantizedTensor,
                         options: AnalysisOptions) -> Analysis {
        let threads = options.threads
        let stats = TensorStats.compute(x, threads: threads)
        let n = x.count
        let (metrics, usage) = measure(x, quantized: q, threads: threads)
        let isCast = !q.config.dtype.hasCodes

        // Pass 2: histograms in three domains.
        let bins = Swift.max(1, options.bins)
        let valueHist = Histogram.empty(lower: stats.min, upper: stats.max, bins: bins)
        let levels = q.codebook.sortedLevels
        var lo = Double(levels.first ?? Float(stats.min)), hi = Double(levels.last ?? Float(stats.max))
        if let r = q.normalizedRange, r.lowerBound.isFinite, r.upperBound.isFinite {
            // Values past the extreme levels (clipped by a shared scale, or −1 below the dynamic map's
            // smallest code) must stay visible.
            lo = Swift.min(lo, Double(r.lowerBound)); hi = Swift.max(hi, Double(r.upperBound))
        }
        let normHist = Histogram.empty(lower: lo, upper: hi, bins: bins)
        let maxErr = metrics.maxAbsErr.isFinite ? metrics.maxAbsErr : 0
        let errHist = Histogram.empty(lower: -maxErr, upper: maxErr, bins: bins)
        let grouping = q.grouping
        let hists = q.dequantized.withUnsafeBufferPointer { yb in
            let xs = SharedPointer(x.baseAddress ?? UnsafePointer(bitPattern: 8)!)
            let ys = SharedPointer(yb.baseAddress ?? UnsafePointer(bitPattern: 8)!)
            // Per block, so the block's scale is looked up once; bins by multiplication, not division.
            return Parallel.mapChunks(count: grouping.blockCount, threads: threads,
                                      minimumPerChunk: Swift.max(1, (1 << 16) / Swift.max(1, grouping.nominalBlockLength))) { r in
                var v = valueHist, nh = normHist, eh = errHist
                let vb = BinMap(v), nb = BinMap(nh), ebm = BinMap(eh)
                let bins = vb.last + 1
                // One flat buffer of counts for the three histograms, written through a raw pointer.
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: 3 * bins)
                counts.initialize(repeating: 0, count: 3 * bins)
                defer { counts.deallocate() }
                let vc = counts, nc = counts + bins, ec = counts + 2 * bins
                for b in r {
                    let (start, length, stride) = grouping.extent(ofBlock: b)
                    let scale = q.normScale[b]
                    let zero = q.zeroPoints.isEmpty ? 0 : q.zeroPoints[b]
                    var i = start
                    for _ in 0..<length {
                        let xv = xs.base[i]
                        if xv.isFinite {
                            if let k = vb.bin(Double(xv)) { vc[k] += 1 }
                            if let k = nb.bin(Double(xv / scale + zero)) { nc[k] += 1 }
                            if let k = ebm.bin(Double(ys.base[i]) - Double(xv)) { ec[k] += 1 }
                        }
                        i += stride
                    }
                }
                for k in 0..<bins { v.counts[k] = vc[k]; nh.counts[k] = nc[k]; eh.counts[k] = ec[k] }
                return (v, nh, eh)
            }
        }
        var vh = valueHist, nh = normHist, eh = errHist
        for (a, b, c) in hists { vh.merge(a); nh.merge(b); eh.merge(c) }

        let outliers = OutlierColumns.find(x, rows: tensor.rows, cols: tensor.cols,
                                           threshold: options.outlierThreshold, k: options.outlierK,
                                           threads: threads)
        return Analysis(tensorName: tensor.name, shape: tensor.shape, sourceDType: tensor.sourceDType,
                        config: q.config, quantized: q, stats: stats, metrics: metrics,
                        valueHistogram: vh, normalizedHistogram: nh, errorHistogram: eh,
                        codeUsage: isCast ? [] : usage, outliers: outliers)
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
