/// Four-wide building blocks of the hot loops (one SSE register on the baseline x86-64 target).
///
/// Each helper computes exactly what its scalar counterpart computes, lane by lane: same float32
/// operations in the same order, so a vector loop and the scalar tail give the same bits.
enum SIMDKernels {
    /// Loads four floats from any address.
    @inline(__always)
    static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func bits(_ v: SIMD4<Float>) -> SIMD4<UInt32> { unsafeBitCast(v, to: SIMD4<UInt32>.self) }

    /// |v| lane by lane (the sign bit cleared, as `abs` does).
    @inline(__always)
    static func magnitude(_ v: SIMD2<Double>) -> SIMD2<Double> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD2<UInt64>.self) & SIMD2<UInt64>(repeating: 0x7FFF_FFFF_FFFF_FFFF),
                      to: SIMD2<Double>.self)
    }

    @inline(__always)
    static func float(_ b: SIMD4<UInt32>) -> SIMD4<Float> { unsafeBitCast(b, to: SIMD4<Float>.self) }

    /// 2²³: adding it to a float in [0, 2²³) leaves the value rounded to an integer.
    static let magic: Float = 8_388_608

    /// `g < top ? g : top` for g that is not NaN, lane by lane (written per lane, which the
    /// compiler turns into one minps; a vector select here becomes a mask sequence).
    @inline(__always)
    static func clampTop(_ g: SIMD4<Float>, _ top: SIMD4<Float>) -> SIMD4<Float> {
        SIMD4<Float>(Swift.min(g[0], top[0]), Swift.min(g[1], top[1]), Swift.min(g[2], top[2]), Swift.min(g[3], top[3]))
    }

    /// `a < b ? a : b` lane by lane (minps: b where either is NaN).
    @inline(__always)
    static func minLanes(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        SIMD4<Float>(a[0] < b[0] ? a[0] : b[0], a[1] < b[1] ? a[1] : b[1], a[2] < b[2] ? a[2] : b[2], a[3] < b[3] ? a[3] : b[3])
    }

    /// `a > b ? a : b` lane by lane (maxps: b where either is NaN).
    @inline(__always)
    static func maxLanes(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        SIMD4<Float>(a[0] > b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1], a[2] > b[2] ? a[2] : b[2], a[3] > b[3] ? a[3] : b[3])
    }

    /// `BinCounter.clampedBin` for four values, as floats (exact small integers):
    /// `min(max(floor((v − lower) · mult), 0), bins − 1)`, NaN to 0.
    ///
    /// The clamps are `replacing(with:where:)` on whole vectors (maxps, minps); the floor is
    /// arithmetic on the sign of g − round(g) (exact: the two are within ½ of each other), because a
    /// select whose lanes are then read one by one tends to be compiled into branches.
    @inline(__always)
    static func binFloor(_ v: SIMD4<Float>, lower: SIMD4<Float>, mult: SIMD4<Float>, top: SIMD4<Float>) -> SIMD4<Float> {
        var g = (v - lower) * mult
        g = g.replacing(with: 0, where: .!(g .> 0))            // g > 0 ? g : 0 (NaN to 0)
        g = clampTop(g, top)                                   // g < top ? g : top (g is not NaN here)
        let m = SIMD4<Float>(repeating: magic)
        let r = (g + m) - m                                    // g rounded to nearest: Float(r) of the scalar code
        // r > g exactly when g − r is negative (never −0: g − g is +0); then the floor is r − 1.
        let negative = unsafeBitCast(g - r, to: SIMD4<Int32>.self) &>> 31
        return r - unsafeBitCast(negative & SIMD4<Int32>(repeating: 0x3F80_0000), to: SIMD4<Float>.self)
    }

    /// `BinCounter.clampedBin` for four values, as integers.
    @inline(__always)
    static func binIndex(_ v: SIMD4<Float>, lower: SIMD4<Float>, mult: SIMD4<Float>, top: SIMD4<Float>) -> SIMD4<UInt32> {
        var g = (v - lower) * mult
        g = g.replacing(with: 0, where: .!(g .> 0))
        g = clampTop(g, top)
        let m = SIMD4<Float>(repeating: magic)
        let shifted = g + m
        let r = shifted - m
        return (bits(shifted) & SIMD4<UInt32>(repeating: 0x7F_FFFF)) &- (bits(g - r) &>> 31)
    }

    /// Non-negative integral floats below 2²³ as integers.
    @inline(__always)
    static func integers(_ f: SIMD4<Float>) -> SIMD4<UInt32> {
        bits(f + SIMD4<Float>(repeating: magic)) & SIMD4<UInt32>(repeating: 0x7F_FFFF)
    }

    /// The smallest and largest finite value of `count` floats, as the scalar loops find them
    /// (`min` keeping the first of equal values, `max` the last), or nil when the vector answer
    /// might differ from theirs and the caller must run its scalar loop: a zero extreme (its sign
    /// depends on the order) or an infinite value (the scalar loops skip it; NaN the vector compares
    /// skip as well), or no finite value at all.
    @inline(__always)
    static func finiteExtremes(_ p: UnsafePointer<Float>, count: Int) -> (lo: Float, hi: Float)? {
        var lo4 = SIMD4<Float>(repeating: .infinity), hi4 = SIMD4<Float>(repeating: -.infinity)
        var i = 0
        while i &+ 4 <= count {
            let v = load4(p + i)
            // Equal values have equal bits unless they are zeros, and a zero extreme is refused
            // below: so "replace on greater" gives the scalar loop's "replace on greater or equal".
            lo4 = minLanes(v, lo4)
            hi4 = maxLanes(v, hi4)
            i &+= 4
        }
        var lo = Swift.min(Swift.min(lo4[0], lo4[1]), Swift.min(lo4[2], lo4[3]))
        var hi = Swift.max(Swift.max(hi4[0], hi4[1]), Swift.max(hi4[2], hi4[3]))
        while i < count {
            let v = p[i]
            if v < lo { lo = v }
            if v >= hi { hi = v }
            i &+= 1
        }
        guard lo.isFinite, hi.isFinite, lo != 0, hi != 0 else { return nil }
        return (lo, hi)
    }

    /// Whether every one of `count` floats is finite (not NaN, not ±∞).
    static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var i = 0
        let expMask = SIMD4<UInt32>(repeating: 0x7F80_0000)
        var bad = SIMDMask<SIMD4<Int32>>()
        while i + 4 <= count {
            bad = bad .| ((bits(load4(x + i)) & expMask) .== expMask)
            i += 4
        }
        if any(bad) { return false }
        while i < count { if !x[i].isFinite { return false }; i += 1 }
        return true
    }
}
