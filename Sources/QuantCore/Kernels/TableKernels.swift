import TensorCore

/// The vector loops of the table and element formats: nearest-level searches, the symmetric integers,
/// bitsandbytes' FP4 decision tree, and the searches they share. The only code in the engine that
/// walks raw pointers for encoding; the formats call it with a block's pointers.
enum TableKernels {
    /// Encodes a contiguous or strided block to the nearest level of `table` with the search `nearest`
    /// (NF4, AF4, the dynamic maps, quantile tables): the code of `x · inv`, decoded as
    /// `table[code] · decodeScale`.
    static func encodeNearest(_ x: UnsafePointer<Float>, count: Int, stride: Int, inv: Float, decodeScale: Float,
                              nearest: NearestLevel, wideMidpoints: [SIMD4<Float>], table levels: [Float],
                              codes: UnsafeMutablePointer<UInt8>, deq: UnsafeMutablePointer<Float>) {
        levels.withUnsafeBufferPointer { table in
            if stride == 1, !wideMidpoints.isEmpty {
                wideMidpoints.withUnsafeBufferPointer { wide in
                    encodeSmallTable(x: x, count: count, inv: inv, midpoints: nearest.midpoints, wide: wide, table: table,
                                     decodeScale: decodeScale, codes: codes, deq: deq)
                }
            } else if stride == 1, !nearest.buckets.isEmpty {
                encodeBucketed(x: x, count: count, inv: inv, nearest: nearest, table: table,
                               decodeScale: decodeScale, codes: codes, deq: deq)
            } else {
                nearest.padded.withUnsafeBufferPointer { mids in
                    var i = 0
                    for _ in 0..<count {
                        let c = nearest.index(of: x[i] * inv, padded: mids)
                        codes[i] = UInt8(truncatingIfNeeded: c)
                        deq[i] = table[c] * decodeScale
                        i += stride
                    }
                }
            }
        }
    }

    /// The four-lane midpoints of a small table searched with ties down (empty when the table is
    /// too large or ties go elsewhere: the bucketed search serves those).
    static func wideMidpoints(_ nearest: NearestLevel) -> [SIMD4<Float>] {
        nearest.tie == .lower && nearest.midpoints.count <= 16 ? nearest.midpoints.map { SIMD4<Float>(repeating: $0) } : []
    }

    /// Element-format encoding: divide by the block scale, saturate, round to nearest even
    /// (ties to the even magnitude pattern), keep the sign bit (so −0 stays −0).
    @inline(__always)
    static func encodeElements(_ x: UnsafePointer<Float>, count: Int, stride: Int, divisor: Float, decodeScale: Float,
                               maxValue: Float, nearest: NearestLevel, table levels: [Float],
                               codes: UnsafeMutablePointer<UInt8>, deq: UnsafeMutablePointer<Float>) {
        let signBit = nearest.levels.count <= 128 ? UInt8(truncatingIfNeeded: levels.count / 2) : 0x80
        if stride == 1, divisor > 0, !nearest.buckets.isEmpty {
            levels.withUnsafeBufferPointer { table in
                encodeElementsBucketed(x: x, count: count, divisor: divisor, decodeScale: decodeScale,
                                       maxValue: maxValue, signBit: signBit, nearest: nearest, table: table,
                                       codes: codes, deq: deq)
            }
            return
        }
        levels.withUnsafeBufferPointer { table in
            nearest.padded.withUnsafeBufferPointer { mids in
                var i = 0
                for _ in 0..<count {
                    let v = divisor > 0 ? x[i] / divisor : (x[i].isNaN ? x[i] : 0)
                    // The sign as arithmetic, not a branch (random signs would mispredict half the time):
                    // the sign bit of anything but NaN, so −0 keeps its sign.
                    let bits = v.bitPattern
                    let notNaN = ((0x7F80_0000 &- (bits & 0x7FFF_FFFF)) >> 31) ^ 1
                    let negative = UInt8(truncatingIfNeeded: (bits >> 31) & notNaN)
                    let a = Swift.min(abs(v), maxValue)
                    let m = nearest.index(of: a, padded: mids)
                    let c = UInt8(truncatingIfNeeded: m) | (negative &* signBit)
                    codes[i] = c
                    deq[i] = table[Int(c)] * decodeScale
                    i += stride
                }
            }
        }
    }

    /// Decodes codes through a level table: `table[code] · scale`, eight at a time for contiguous blocks.
    static func decodeTable(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, table levels: [Float], scale: Float,
                            into out: UnsafeMutablePointer<Float>) {
        levels.withUnsafeBufferPointer { table in
            if stride == 1 {
                let s8 = SIMD8<Float>(repeating: scale)
                var j = 0
                while j + 8 <= count {
                    var v = SIMD8<Float>()
                    for l in 0..<8 { v[l] = table[Int(codes[j + l])] }
                    v *= s8
                    for l in 0..<8 { out[j + l] = v[l] }
                    j += 8
                }
                while j < count { out[j] = table[Int(codes[j])] * scale; j += 1 }
            } else {
                var i = 0
                for _ in 0..<count { out[i] = table[Int(codes[i])] * scale; i += stride }
            }
        }
    }

    /// Nearest level with ties down for tables of at most 17 levels (NF4, small quantile tables),
    /// eight values at a time: the code is the number of midpoints strictly below `x · inv`, counted
    /// with vector compares instead of a search. NaN compares false everywhere and gets code 0.
    /// The levels are gathered into vectors and scaled with one multiply; the codes are packed and
    /// stored eight at a time. Not inlined: inside the large block loop the compiler lowers the
    /// compare-and-count to a much longer mask sequence.
    @inline(never)
    static func encodeSmallTable(x: UnsafePointer<Float>, count: Int, inv: Float, midpoints: [Float],
                                 wide: UnsafeBufferPointer<SIMD4<Float>>,
                                 table: UnsafeBufferPointer<Float>, decodeScale: Float,
                                 codes: UnsafeMutablePointer<UInt8>, deq: UnsafeMutablePointer<Float>) {
        let scale = SIMD4<Float>(repeating: inv)
        let ds = SIMD4<Float>(repeating: decodeScale)
        let one = SIMD4<Int32>(repeating: 1)
        let t = table.baseAddress!
        var i = 0
        while i &+ 8 <= count {
            let v0 = SIMDKernels.load4(x + i) * scale, v1 = SIMDKernels.load4(x + (i &+ 4)) * scale
            var c0 = SIMD4<Int32>(), c1 = SIMD4<Int32>()
            for m in wide {
                c0.replace(with: c0 &+ one, where: v0 .> m)
                c1.replace(with: c1 &+ one, where: v1 .> m)
            }
            let packed = SIMD8<UInt8>(truncatingIfNeeded: SIMD8<Int32>(lowHalf: c0, highHalf: c1))
            let c = codes + i
            UnsafeMutableRawPointer(c).storeBytes(of: packed, as: SIMD8<UInt8>.self)
            // The codes are read back as bytes to index the table: cheaper than taking lanes apart.
            let y0 = SIMD4<Float>(t[Int(c[0])], t[Int(c[1])], t[Int(c[2])], t[Int(c[3])]) * ds
            let y1 = SIMD4<Float>(t[Int(c[4])], t[Int(c[5])], t[Int(c[6])], t[Int(c[7])]) * ds
            SIMDKernels.store4(y0, deq + i)
            SIMDKernels.store4(y1, deq + (i &+ 4))
            i &+= 8
        }
        midpoints.withUnsafeBufferPointer { mids in
            while i < count {
                let v = x[i] * inv
                var code = 0
                for m in mids where v > m { code += 1 }
                codes[i] = UInt8(truncatingIfNeeded: code)
                deq[i] = table[code] * decodeScale
                i += 1
            }
        }
    }

    /// One bucketed nearest-level search: the bucket of `key` names the first midpoint to compare
    /// (low 15 bits) and whether more than one may follow (the top bit); `single` says no bucket holds
    /// two. Ties go to the even index where the table asks for it.
    @inline(__always)
    static func bucketSearch(_ v: Float, key: Int, buckets b: UnsafePointer<UInt16>, mids m: UnsafePointer<Float>,
                             single: Bool, even: Bool, real: Int) -> Int {
        let e = Int(b[key])
        var k = e & 0x7FFF
        if single {
            k &+= m[k] < v ? 1 : 0
        } else if e & 0x8000 != 0 {
            // The padding ends the table with +∞, so the walk stops inside it.
            while m[k] < v { k &+= 1 }
        }
        if even, k < real, m[k] == v, k & 1 == 1 { return k &+ 1 }
        return k
    }

    /// `NearestLevel.index(of:padded:)` for a contiguous block (large tables: the dynamic maps,
    /// 8-bit quantile tables), with the buffers hoisted out of the loop, the scaling and the bucket
    /// keys (a float's upper 16 bits) taken four at a time, and the levels gathered from the stored
    /// codes. A group of four with a NaN takes the search itself.
    @inline(never)
    static func encodeBucketed(x: UnsafePointer<Float>, count: Int, inv: Float, nearest: NearestLevel,
                               table: UnsafeBufferPointer<Float>, decodeScale: Float,
                               codes: UnsafeMutablePointer<UInt8>, deq: UnsafeMutablePointer<Float>) {
        let inv4 = SIMD4<Float>(repeating: inv), ds = SIMD4<Float>(repeating: decodeScale)
        let real = nearest.midpoints.count
        let even = nearest.tie == .even
        let single = nearest.singleStep
        let t = table.baseAddress!
        nearest.buckets.withUnsafeBufferPointer { bk in
        nearest.padded.withUnsafeBufferPointer { mids in
            let b = bk.baseAddress!, m = mids.baseAddress!
            @inline(__always) func search(_ v: Float, key: Int) -> Int {
                TableKernels.bucketSearch(v, key: key, buckets: b, mids: m, single: single, even: even, real: real)
            }
            var i = 0
            while i &+ 4 <= count {
                let v = SIMDKernels.load4(x + i) * inv4
                let c = codes + i
                if any(v .!= v) {
                    for j in 0..<4 { c[j] = UInt8(truncatingIfNeeded: nearest.index(of: v[j], padded: mids)) }
                } else {
                    let key = SIMDKernels.bits(v) &>> 16
                    c[0] = UInt8(truncatingIfNeeded: search(v[0], key: Int(key[0])))
                    c[1] = UInt8(truncatingIfNeeded: search(v[1], key: Int(key[1])))
                    c[2] = UInt8(truncatingIfNeeded: search(v[2], key: Int(key[2])))
                    c[3] = UInt8(truncatingIfNeeded: search(v[3], key: Int(key[3])))
                }
                SIMDKernels.store4(SIMD4<Float>(t[Int(c[0])], t[Int(c[1])], t[Int(c[2])], t[Int(c[3])]) * ds, deq + i)
                i &+= 4
            }
            while i < count {
                let k = nearest.index(of: x[i] * inv, padded: mids)
                codes[i] = UInt8(truncatingIfNeeded: k)
                deq[i] = t[k] * decodeScale
                i &+= 1
            }
        }}
    }

    /// `encodeElements` for a contiguous block with a positive divisor: the division, the sign and
    /// the saturation four at a time, the magnitude's bucket search per value (hoisted buffers, one
    /// step when the buckets allow it), the levels gathered from the stored codes. A group of four
    /// with a NaN takes the search itself.
    @inline(never)
    static func encodeElementsBucketed(x: UnsafePointer<Float>, count: Int, divisor: Float, decodeScale: Float,
                                       maxValue: Float, signBit: UInt8, nearest: NearestLevel,
                                       table: UnsafeBufferPointer<Float>,
                                       codes: UnsafeMutablePointer<UInt8>, deq: UnsafeMutablePointer<Float>) {
        let div4 = SIMD4<Float>(repeating: divisor), ds = SIMD4<Float>(repeating: decodeScale)
        let max4 = SIMD4<Float>(repeating: maxValue)
        let real = nearest.midpoints.count
        let even = nearest.tie == .even
        let single = nearest.singleStep
        let t = table.baseAddress!
        let sign32 = UInt32(signBit)
        nearest.buckets.withUnsafeBufferPointer { bk in
        nearest.padded.withUnsafeBufferPointer { mids in
            let b = bk.baseAddress!, m = mids.baseAddress!
            @inline(__always) func search(_ v: Float, key: Int) -> Int {
                TableKernels.bucketSearch(v, key: key, buckets: b, mids: m, single: single, even: even, real: real)
            }
            @inline(__always) func scalar(_ i: Int) {
                let v = x[i] / divisor
                let bits = v.bitPattern
                let notNaN = ((0x7F80_0000 &- (bits & 0x7FFF_FFFF)) >> 31) ^ 1
                let negative = UInt8(truncatingIfNeeded: (bits >> 31) & notNaN)
                let a = Swift.min(abs(v), maxValue)
                let c = UInt8(truncatingIfNeeded: nearest.index(of: a, padded: mids)) | (negative &* signBit)
                codes[i] = c
                deq[i] = t[Int(c)] * decodeScale
            }
            var i = 0
            while i &+ 4 <= count {
                let v = SIMDKernels.load4(x + i) / div4
                let bits = SIMDKernels.bits(v)
                var a = SIMDKernels.float(bits & SIMD4<UInt32>(repeating: 0x7FFF_FFFF))
                if any(a .!= a) {
                    for j in 0..<4 { scalar(i &+ j) }
                    i &+= 4
                    continue
                }
                a = a.replacing(with: max4, where: a .> max4)          // min(|v|, maxValue), as the scalar loop
                let key = SIMDKernels.bits(a) &>> 16
                // No NaN here: the sign bit is the sign.
                let sign = (SIMD4<UInt32>() &- (bits &>> 31)) & SIMD4<UInt32>(repeating: sign32)
                let c = codes + i
                c[0] = UInt8(truncatingIfNeeded: search(a[0], key: Int(key[0]))) | UInt8(truncatingIfNeeded: sign[0])
                c[1] = UInt8(truncatingIfNeeded: search(a[1], key: Int(key[1]))) | UInt8(truncatingIfNeeded: sign[1])
                c[2] = UInt8(truncatingIfNeeded: search(a[2], key: Int(key[2]))) | UInt8(truncatingIfNeeded: sign[2])
                c[3] = UInt8(truncatingIfNeeded: search(a[3], key: Int(key[3]))) | UInt8(truncatingIfNeeded: sign[3])
                SIMDKernels.store4(SIMD4<Float>(t[Int(c[0])], t[Int(c[1])], t[Int(c[2])], t[Int(c[3])]) * ds, deq + i)
                i &+= 4
            }
            while i < count { scalar(i); i &+= 1 }
        }}
    }

    /// The symmetric integers of a contiguous block, four at a time: `q = round(x · mult)` half to
    /// even (adding and subtracting 1.5 · 2²³ rounds exactly that way for |x · mult| < 2²²; anything
    /// larger is clamped to ±qmax either way), NaN to 0, clamped, −0 to +0, code `q + qmax`,
    /// decoded `(q · decodeScale) · inv` — the scalar loop's operations in its order.
    @inline(never)
    static func encodeSymmetric(x: UnsafePointer<Float>, count: Int, mult: Float, qmax: Float, inv: Float,
                                decodeScale: Float, codes: UnsafeMutablePointer<UInt8>, deq: UnsafeMutablePointer<Float>) {
        let m4 = SIMD4<Float>(repeating: mult), hi = SIMD4<Float>(repeating: qmax), lo = SIMD4<Float>(repeating: -qmax)
        let round = SIMD4<Float>(repeating: 12_582_912)
        let ds = SIMD4<Float>(repeating: decodeScale), inv4 = SIMD4<Float>(repeating: inv)
        var i = 0
        while i &+ 4 <= count {
            var q = SIMDKernels.load4(x + i) * m4
            q = (q + round) - round
            q = q.replacing(with: 0, where: .!(q .== q))
            q = q.replacing(with: lo, where: q .<= lo)
            q = q.replacing(with: hi, where: q .> hi)
            q = q + SIMD4<Float>()
            let c = SIMDKernels.integers(q + hi)
            UnsafeMutableRawPointer(codes + i).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: c), as: SIMD4<UInt8>.self)
            SIMDKernels.store4((q * ds) * inv4, deq + i)
            i &+= 4
        }
        let offset = Int(qmax)
        while i < count {
            var q = (x[i] * mult).rounded(.toNearestOrEven)
            if q.isNaN { q = 0 }
            q = Swift.min(Swift.max(q, -qmax), qmax) + 0
            codes[i] = UInt8(Int(q) + offset)
            deq[i] = (q * decodeScale) * inv
            i &+= 1
        }
    }

    /// `CodeTables.encodeFP4` for a contiguous block, four at a time (the same integer arithmetic on
    /// the bit patterns; the rank-to-code table 0, 1, 6, 7, 4, 5, 2, 3 is `r ^ ((r & 2) << 1)`), and
    /// the levels gathered from the stored codes.
    @inline(never)
    static func encodeFP4(x: UnsafePointer<Float>, count: Int, inv: Float, table: UnsafeBufferPointer<Float>,
                          decodeScale: Float, codes: UnsafeMutablePointer<UInt8>, deq: UnsafeMutablePointer<Float>) {
        let inv4 = SIMD4<Float>(repeating: inv), ds = SIMD4<Float>(repeating: decodeScale)
        let thresholds = TableKernels.fp4WideThresholds
        let t0 = thresholds[0], t1 = thresholds[1], t2 = thresholds[2], t3 = thresholds[3]
        let t4 = thresholds[4], t5 = thresholds[5], t6 = thresholds[6]
        let t = table.baseAddress!
        var i = 0
        while i &+ 4 <= count {
            let bits = SIMDKernels.bits(SIMDKernels.load4(x + i) * inv4)
            let m = bits & SIMD4<UInt32>(repeating: 0x7FFF_FFFF)
            let notNaN = ((SIMD4<UInt32>(repeating: 0x7F80_0000) &- m) &>> 31) ^ SIMD4<UInt32>(repeating: 1)
            var rank = (t0 &- m) &>> 31
            rank &+= (t1 &- m) &>> 31
            rank &+= (t2 &- m) &>> 31
            rank &+= (t3 &- m) &>> 31
            rank &+= (t4 &- m) &>> 31
            rank &+= (t5 &- m) &>> 31
            rank &+= (t6 &- m) &>> 31
            rank &= SIMD4<UInt32>() &- notNaN
            let negative = (bits &>> 31) & ((SIMD4<UInt32>() &- m) &>> 31) & notNaN
            let code = (negative &<< 3) | (rank ^ ((rank & SIMD4<UInt32>(repeating: 2)) &<< 1))
            let c = codes + i
            UnsafeMutableRawPointer(c).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: code), as: SIMD4<UInt8>.self)
            SIMDKernels.store4(SIMD4<Float>(t[Int(c[0])], t[Int(c[1])], t[Int(c[2])], t[Int(c[3])]) * ds, deq + i)
            i &+= 4
        }
        while i < count {
            let c = CodeTables.encodeFP4(x[i] * inv)
            codes[i] = c
            deq[i] = table[Int(c)] * decodeScale
            i &+= 1
        }
    }

    /// The FP4 thresholds' bit patterns, each in four lanes.
    private static let fp4WideThresholds: [SIMD4<UInt32>] = {
        precondition(CodeTables.fp4Thresholds.count == 7)
        return CodeTables.fp4Thresholds.map { SIMD4<UInt32>(repeating: $0.bitPattern) }
    }()

    /// The E4M3 byte nearest to a positive block scale (round to nearest even, saturate at 448).
    static func encodeScaleE4M3(_ s: Float) -> UInt8 {
        let mags = e4m3Nearest
        return UInt8(mags.index(of: Swift.min(s, 448)))
    }

    private static let e4m3Nearest = NearestLevel(levels: ElementFormat.e4m3.magnitudes, tie: .even)

    /// The fixed tables' searches, built once (their bucket tables take about a millisecond).
    static let nf4Nearest = NearestLevel(levels: CodeTables.nf4, tie: .lower)
    static let dynamicSignedNearest = NearestLevel(levels: CodeTables.dynamicSigned, tie: .even)
    static let dynamicUnsignedNearest = NearestLevel(levels: CodeTables.dynamicUnsigned, tie: .even)
    private static let e4m3Search = NearestLevel(levels: ElementFormat.e4m3.magnitudes, tie: .even)
    private static let e5m2Search = NearestLevel(levels: ElementFormat.e5m2.magnitudes, tie: .even)
    private static let e2m3Search = NearestLevel(levels: ElementFormat.e2m3.magnitudes, tie: .even)
    private static let e3m2Search = NearestLevel(levels: ElementFormat.e3m2.magnitudes, tie: .even)
    private static let e2m1Search = NearestLevel(levels: ElementFormat.e2m1.magnitudes, tie: .even)

    /// The magnitude search of an element format (each OCP format's built once, on first use).
    static func magnitudeSearch(_ f: ElementFormat) -> NearestLevel {
        switch f {
        case .e4m3: e4m3Search
        case .e5m2: e5m2Search
        case .e2m3: e2m3Search
        case .e3m2: e3m2Search
        case .e2m1: e2m1Search
        default: NearestLevel(levels: f.magnitudes, tie: .even)
        }
    }
}

