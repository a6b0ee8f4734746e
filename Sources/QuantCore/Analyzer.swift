import TensorCore

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
    /// 2. quantization (each block's extremes measured just before it is encoded), with the error
    ///    sums, code usage and value histogram taken from each block right after it is encoded,
    ///    while it is still in cache;
    /// 3. the error and normalised histograms, whose ranges are known only after pass 2.
    ///
    /// When the profile counted no NaN or infinity, passes 2 and 3 take contiguous blocks four
    /// values at a time (`SIMDKernels`); the vector-path tests hold them to the plain loops.
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
        let allFinite = stats.finiteCount == stats.count
        // Codes of at most 4 bits count (code, value bin) pairs in one table (llama.cpp's formats,
        // whose kernels are not this engine's, keep the plain counters).
        let jointCodes = hasCodes && config.dtype.family != .ggml && config.dtype.bitsPerCode <= 4 && bins <= 256 ? 16 : 0

        let (q, accs) = Quantizer.quantizeValidated(
            x, rows: tensor.rows, cols: tensor.cols, config: config, threads: threads,
            makeAccumulator: { FusedAccumulator(codes: slots, bins: bins, jointCodes: jointCodes) },
            visit: { acc, v in
                acc.add(v, hasCodes: hasCodes, isHalf: isHalf, lower: vLower, upper: vUpper, mult: vMult,
                        allFinite: allFinite)
            })

        var sums = ErrorMetrics.Sums()
        let codeCount = hasCodes ? q.codebook.codeCount : slots
        var usage = [Int](repeating: 0, count: codeCount)
        var excluded = 0
        var vh = valueHist
        for var a in accs {
            a.flush()
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
                                                    statsMin: stats.min, statsMax: stats.max,
                                                    allFinite: allFinite, threads: threads)
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
        /// For codebooks of at most 16 codes: one counter per (value bin, code), cell `bin · 16 + code`,
        /// so that an element costs one increment instead of two; folded into `usage` and `values` by `flush()`.
        var joint: [UInt32]
        var pending = 0

        init(codes: Int, bins: Int, jointCodes: Int = 0) {
            slots = codes
            usage = [Int](repeating: 0, count: 4 * codes)
            values = [Int](repeating: 0, count: 4 * bins)
            self.bins = bins
            joint = [UInt32](repeating: 0, count: jointCodes > 0 ? 16 * bins : 0)
        }

        /// Folds the joint counters into the code and bin counts (copy 0).
        mutating func flush() {
            guard !joint.isEmpty, pending > 0 else { return }
            let bins = self.bins
            for k in 0..<bins {
                for c in 0..<16 {
                    let n = Int(joint[k &* 16 &+ c])
                    usage[c] &+= n; values[k] &+= n
                }
            }
            for i in joint.indices { joint[i] = 0 }
            pending = 0
        }

        @inline(__always)
        mutating func add(_ v: Quantizer.BlockView, hasCodes: Bool, isHalf: Bool, lower: Float, upper: Float, mult: Float,
                          allFinite: Bool = false) {
            if allFinite, v.stride == 1, let codes = v.codes {
                addFinite(v, codes: codes, lower: lower, mult: mult)
                return
            }
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

        /// A contiguous block of finite inputs with codes: the sums four values at a time in float64
        /// (x, x̂ and their products are exact there, as in the scalar loop), the bins without checks.
        @inline(__always)
        mutating func addFinite(_ v: Quantizer.BlockView, codes c0: UnsafePointer<UInt8>, lower: Float, mult: Float) {
            let n = v.length
            let x = v.x + v.start, y = v.dequantized + v.start, c = c0 + v.start
            let bins = self.bins, slots = self.slots
            if !joint.isEmpty {
                joint.withUnsafeMutableBufferPointer { jb in
                    FusedAccumulator.countJoint(x: x, codes: c, count: n & ~3, joint: jb.baseAddress!,
                                                lower: lower, mult: mult, bins: bins)
                }
            } else {
                usage.withUnsafeMutableBufferPointer { ub in
                values.withUnsafeMutableBufferPointer { vb in
                    FusedAccumulator.countSeparate(x: x, codes: c, count: n & ~3, usage: ub.baseAddress!, slots: slots,
                                                   values: vb.baseAddress!, lower: lower, mult: mult, bins: bins)
                }}
            }
            usage.withUnsafeMutableBufferPointer { ub in
            values.withUnsafeMutableBufferPointer { vb in
                for i in (n & ~3)..<n {
                    ub[Int(c[i])] &+= 1
                    vb[BinCounter.clampedBin(x[i], lower: lower, mult: mult, bins: bins)] &+= 1
                }
            }}
            let (b0, m0) = FusedAccumulator.finiteSums(x: x, y: y, count: n & ~3)
            var b = b0
            var m = m0
            for k in (n & ~3)..<n {
                let xd = Double(x[k]), yd = Double(y[k])
                let e = yd - xd
                b.sx2 += xd * xd; b.sy2 += yd * yd; b.sxy += xd * yd
                b.se2 += e * e; b.sae += abs(e)
                m = Swift.max(m, abs(e))
            }
            if b.sy2.isFinite {
                sums.sx2 += b.sx2; sums.sy2 += b.sy2; sums.sxy += b.sxy; sums.se2 += b.se2; sums.sae += b.sae
                if !(m <= sums.maxErr) { sums.maxErr = m }
            } else {
                // A decoded value that is not finite: the plain loop, for its exact NaN and ∞ rules.
                var s = sums
                for k in 0..<n {
                    let xd = Double(x[k]), yd = Double(y[k])
                    let e = yd - xd
                    s.sx2 += xd * xd; s.sy2 += yd * yd; s.sxy += xd * yd
                    s.se2 += e * e; s.sae += abs(e)
                    if !(abs(e) <= s.maxErr) { s.maxErr = abs(e) }
                }
                s.n = sums.n
                sums = s
            }
            sums.n += n
            if !joint.isEmpty {
                pending &+= n
                if pending >= 1 << 31 { flush() }
            }
        }

        /// x², x̂², x·x̂, e², |e| summed in float64 lanes and the largest |e|, over `count` (a multiple
        /// of 4) finite inputs. Its own function, so that its accumulators stay in registers.
        @inline(never)
        static func finiteSums(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int) -> (ErrorMetrics.Sums, Double) {
            var sx2 = SIMD2<Double>(), sy2 = SIMD2<Double>(), sxy = SIMD2<Double>(), se2 = SIMD2<Double>()
            var sae = SIMD2<Double>(), mx = SIMD2<Double>()
            var sx2b = SIMD2<Double>(), sy2b = SIMD2<Double>(), sxyb = SIMD2<Double>(), se2b = SIMD2<Double>()
            var saeb = SIMD2<Double>(), mxb = SIMD2<Double>()
            var i = 0
            while i < count {
                let xv = SIMDKernels.load4(x + i), yv = SIMDKernels.load4(y + i)
                let xa = SIMD2<Double>(Double(xv[0]), Double(xv[1])), xb = SIMD2<Double>(Double(xv[2]), Double(xv[3]))
                let ya = SIMD2<Double>(Double(yv[0]), Double(yv[1])), yb = SIMD2<Double>(Double(yv[2]), Double(yv[3]))
                let ea = ya - xa, eb = yb - xb
                sx2 += xa * xa; sy2 += ya * ya; sxy += xa * ya; se2 += ea * ea
                sx2b += xb * xb; sy2b += yb * yb; sxyb += xb * yb; se2b += eb * eb
                let aa = SIMDKernels.magnitude(ea), ab = SIMDKernels.magnitude(eb)
                sae += aa; saeb += ab
                // A plain maximum: a NaN error (a decoded NaN) sends the block to the plain loop.
                mx = mx.replacing(with: aa, where: aa .> mx); mxb = mxb.replacing(with: ab, where: ab .> mxb)
                i &+= 4
            }
            var b = ErrorMetrics.Sums()
            b.sx2 = (sx2 + sx2b).sum(); b.sy2 = (sy2 + sy2b).sum(); b.sxy = (sxy + sxyb).sum()
            b.se2 = (se2 + se2b).sum(); b.sae = (sae + saeb).sum()
            let mm = mx.replacing(with: mxb, where: mxb .> mx)
            return (b, Swift.max(mm[0], mm[1]))
        }

        /// (value bin, code) cells for `count` (a multiple of 4) values with codes below 16.
        @inline(never)
        static func countJoint(x: UnsafePointer<Float>, codes c: UnsafePointer<UInt8>, count: Int,
                               joint j: UnsafeMutablePointer<UInt32>, lower: Float, mult: Float, bins: Int) {
            let lo4 = SIMD4<Float>(repeating: lower), mult4 = SIMD4<Float>(repeating: mult)
            let top4 = SIMD4<Float>(repeating: Float(bins) - 0.5)
            var i = 0
            while i < count {
                // Bin-major cells: the bin's offset is shifted in the vector, the code added per value.
                let row = SIMDKernels.binIndex(SIMDKernels.load4(x + i), lower: lo4, mult: mult4, top: top4) &<< 4
                j[Int(row[0]) | Int(c[i] & 15)] &+= 1
                j[Int(row[1]) | Int(c[i &+ 1] & 15)] &+= 1
                j[Int(row[2]) | Int(c[i &+ 2] & 15)] &+= 1
                j[Int(row[3]) | Int(c[i &+ 3] & 15)] &+= 1
                i &+= 4
            }
        }

        /// Code and value-bin counts (four copies each) for `count` (a multiple of 4) values.
        @inline(never)
        static func countSeparate(x: UnsafePointer<Float>, codes c: UnsafePointer<UInt8>, count: Int,
                                  usage u: UnsafeMutablePointer<Int>, slots: Int,
                                  values vc: UnsafeMutablePointer<Int>, lower: Float, mult: Float, bins: Int) {
            let lo4 = SIMD4<Float>(repeating: lower), mult4 = SIMD4<Float>(repeating: mult)
            let top4 = SIMD4<Float>(repeating: Float(bins) - 0.5)
            var i = 0
            while i < count {
                let bin = SIMDKernels.binIndex(SIMDKernels.load4(x + i), lower: lo4, mult: mult4, top: top4)
                u[Int(c[i])] &+= 1; u[slots &+ Int(c[i &+ 1])] &+= 1
                u[2 &* slots &+ Int(c[i &+ 2])] &+= 1; u[3 &* slots &+ Int(c[i &+ 3])] &+= 1
                vc[Int(bin[0])] &+= 1; vc[bins &+ Int(bin[1])] &+= 1
                vc[2 &* bins &+ Int(bin[2])] &+= 1; vc[3 &* bins &+ Int(bin[3])] &+= 1
                i &+= 4
            }
        }
    }

    /// The error histogram over ±max |error| and the normalised histogram over the code levels
    /// (widened to the normalised values' own range where a shared scale clips), per block.
    static func errorAndNormalizedHistograms(_ x: UnsafeBufferPointer<Float>, quantized q: QuantizedTensor,
                                             maxErr: Double, bins: Int, statsMin: Double, statsMax: Double,
                                             allFinite: Bool = false, threads: Int) -> (Histogram, Histogram) {
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
        // The fast path: contiguous blocks and no value to exclude (the tensor's statistics counted none).
        let contiguous = grouping.block != .column
        let jointCells = bins * bins
        let parts = q.dequantized.withUnsafeBufferPointer { yb in
            let xs = SharedPointer(xb), ys = SharedPointer(yb.baseAddress!)
            let nLo = normHist.lower, nHi = normHist.upper, eLo = errHist.lower, eHi = errHist.upper
            return Parallel.mapChunks(count: grouping.blockCount, threads: threads,
                                      minimumPerChunk: Swift.max(1, (1 << 16) / Swift.max(1, grouping.nominalBlockLength))) { r -> ([Int], [Int]) in
                let nc = BinCounter(lower: nLo, upper: nHi, bins: bins)
                let ec = BinCounter(lower: eLo, upper: eHi, bins: bins)
                defer { nc.release(); ec.release() }
                if allFinite && contiguous && jointCells <= 8192 {
                    return jointErrorAndNormalized(xs: xs.base, ys: ys.base, blocks: r, quantized: q, nc: nc, ec: ec)
                }
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

    /// The normalised and error bins of every element of contiguous, all-finite blocks, four at a
    /// time, counted as one joint (normalised × error) bin: one increment per element instead of two,
    /// and a table of at most 8192 cells that stays in the first-level cache.
    static func jointErrorAndNormalized(xs: UnsafePointer<Float>, ys: UnsafePointer<Float>, blocks r: Range<Int>,
                                        quantized q: QuantizedTensor, nc: BinCounter, ec: BinCounter) -> ([Int], [Int]) {
        let bins = nc.bins, eb = ec.bins
        let cells = bins * eb
        let joint = UnsafeMutablePointer<UInt32>.allocate(capacity: cells)
        joint.initialize(repeating: 0, count: cells)
        defer { joint.deallocate() }
        var nCounts = [Int](repeating: 0, count: bins), eCounts = [Int](repeating: 0, count: eb)
        func flush() {
            for k in 0..<bins {
                for j in 0..<eb {
                    let c = Int(joint[k &* eb &+ j])
                    nCounts[k] &+= c; eCounts[j] &+= c
                }
            }
            joint.update(repeating: 0, count: cells)
        }
        let grouping = q.grouping
        let nLower = SIMD4<Float>(repeating: nc.lower), nMult = SIMD4<Float>(repeating: nc.mult)
        let eLower = SIMD4<Float>(repeating: ec.lower), eMult = SIMD4<Float>(repeating: ec.mult)
        let nTop = SIMD4<Float>(repeating: Float(bins) - 0.5), eTop = SIMD4<Float>(repeating: Float(eb) - 0.5)
        let ebF = SIMD4<Float>(repeating: Float(eb))
        var pending = 0
        q.normScale.withUnsafeBufferPointer { scales in
        q.zeroPoints.withUnsafeBufferPointer { zeros in
            for b in r {
                let (start, length, _) = grouping.extent(ofBlock: b)
                let inverse = 1 / scales[b]
                let zero = zeros.isEmpty ? 0 : zeros[b]
                let inv4 = SIMD4<Float>(repeating: inverse), zero4 = SIMD4<Float>(repeating: zero)
                let x = xs + start, y = ys + start
                var i = 0
                while i &+ 4 <= length {
                    let xv = SIMDKernels.load4(x + i)
                    let yv = SIMDKernels.load4(y + i)
                    let nf = SIMDKernels.binFloor(xv * inv4 + zero4, lower: nLower, mult: nMult, top: nTop)
                    let ef = SIMDKernels.binFloor(yv - xv, lower: eLower, mult: eMult, top: eTop)
                    let cell = SIMDKernels.integers(nf * ebF + ef)
                    joint[Int(cell[0])] &+= 1; joint[Int(cell[1])] &+= 1
                    joint[Int(cell[2])] &+= 1; joint[Int(cell[3])] &+= 1
                    i &+= 4
                }
                while i < length {
                    let nb = BinCounter.clampedBin(x[i] * inverse + zero, lower: nc.lower, mult: nc.mult, bins: bins)
                    let e = BinCounter.clampedBin(y[i] - x[i], lower: ec.lower, mult: ec.mult, bins: eb)
                    joint[nb &* eb &+ e] &+= 1
                    i &+= 1
                }
                pending &+= length
                if pending >= 1 << 31 { flush(); pending = 0 }
            }
        }}
        flush()
        return (nCounts, eCounts)
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
