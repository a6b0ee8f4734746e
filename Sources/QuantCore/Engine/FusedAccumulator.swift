import TensorCore

/// One encoded block as a pass sees it, right after the codec wrote it (still in cache): pointers to
/// the chunk's buffers and the block's place in them.
struct BlockView {
    let block: Int
    /// Offset of the block's first element in the chunk buffers.
    let start: Int
    let length: Int
    let stride: Int
    let x: UnsafePointer<Float>
    let dequantized: UnsafePointer<Float>
    let codes: UnsafePointer<UInt8>?
    /// The block's normalising scale and zero point (x ÷ scale + zero is the normalised value).
    let scale: Float
    let zero: Float
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
    mutating func add<C: BlockCodec>(_ v: BlockView, codec: C, lower: Float, mult: Float, allFinite: Bool = false) {
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
                    u[copy &* slots &+ codec.usageSlot(code: v.codes?[i] ?? 0, decoded: yv)] &+= 1
                    // The value histogram spans [min, max] of the finite values: every one is inside.
                    if bins > 0 { vc[copy &* bins &+ BinCounter.clampedBin(xv, lower: lower, mult: mult, bins: bins)] &+= 1 }
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
    mutating func addFinite(_ v: BlockView, codes c0: UnsafePointer<UInt8>, lower: Float, mult: Float) {
        let n = v.length
        let x = v.x + v.start, y = v.dequantized + v.start, c = c0 + v.start
        let bins = self.bins, slots = self.slots
        if !joint.isEmpty {
            joint.withUnsafeMutableBufferPointer { jb in
                FusedAccumulator.countJoint(x: x, codes: c, count: n & ~3, joint: jb.baseAddress!,
                                            lower: lower, mult: mult, bins: bins)
            }
        } else if bins == 0 {
            usage.withUnsafeMutableBufferPointer { ub in
                FusedAccumulator.countCodes(codes: c, count: n & ~3, usage: ub.baseAddress!, slots: slots)
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
                if bins > 0 { vb[BinCounter.clampedBin(x[i], lower: lower, mult: mult, bins: bins)] &+= 1 }
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

    /// Code counts (four copies) for `count` (a multiple of 4) values.
    @inline(never)
    static func countCodes(codes c: UnsafePointer<UInt8>, count: Int, usage u: UnsafeMutablePointer<Int>, slots: Int) {
        var i = 0
        while i < count {
            u[Int(c[i])] &+= 1; u[slots &+ Int(c[i &+ 1])] &+= 1
            u[2 &* slots &+ Int(c[i &+ 2])] &+= 1; u[3 &* slots &+ Int(c[i &+ 3])] &+= 1
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
