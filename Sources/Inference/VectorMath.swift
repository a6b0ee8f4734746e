/// exp and erf on eight lanes at once, for GELU and softmax.
///
/// The C library's `erff` and `expf` are one value per call; over MiniLM's FFN activations (1 536 values per
/// token, six layers) the scalar `erff` alone took about as long as the matrix products. These stay within
/// 5e-7 (erf, absolute) and 2e-7 (exp, relative) of them (tested), a few units in the last place of fp32.
enum VectorMath {
    /// e^x for x ≤ 0 (larger arguments are clamped to 0): x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor
    /// polynomial to degree 7 (truncation below 2e-8), 2^n from the exponent bits; below −87.3 the result is 0.
    @inline(__always)
    static func expNonPositive(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let c = x.clamped(lowerBound: SIMD8(repeating: -88), upperBound: SIMD8(repeating: 0))
        // Adding 1.5·2²³ rounds c·log₂e to an integer held in the low mantissa bits, read back without a
        // float-to-integer conversion (which Swift's SIMD types do lane by lane).
        let shifter = SIMD8<Float>(repeating: 12_582_912)
        let shifted = c * 1.442_695_04 + shifter
        let n = shifted - shifter
        // ln 2 in two parts, so that n·ln2 is subtracted without losing r's low bits.
        var r = c - n * 0.693_145_751_953_125
        r = r - n * 1.428_606_765_330_187e-6
        var p = SIMD8<Float>(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(shifter, to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
        return (p * scale).replacing(with: 0, where: c .< -87.3)
    }

    /// erf(x) by Abramowitz and Stegun 7.1.26: 1 − (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵)·e^(−x²), t = 1/(1 + p|x|),
    /// |error| ≤ 1.5e-7, odd in x.
    @inline(__always)
    static func erf(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let a = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (a * 0.327_591_1 + 1)
        var poly = SIMD8<Float>(repeating: 1.061_405_429)
        poly = poly * t - 1.453_152_027
        poly = poly * t + 1.421_413_741
        poly = poly * t - 0.284_496_736
        poly = poly * t + 0.254_829_592
        let y = 1 - poly * t * expNonPositive(-(a * a))
        return y.replacing(with: -y, where: x .< 0)
    }

    /// The exact GELU, x·½(1 + erf(x/√2)), on eight values.
    @inline(__always)
    static func gelu(_ x: SIMD8<Float>) -> SIMD8<Float> {
        0.5 * x * (1 + erf(x * 0.707_106_781_186_547_6))
    }
}
