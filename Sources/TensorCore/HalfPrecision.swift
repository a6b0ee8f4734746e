/// Conversions between `Float` and the 16-bit float formats found in tensor files.
///
/// IEEE binary16 goes through Swift's `Float16`, whose conversion from `Float`
/// rounds to nearest even. bfloat16 has no Swift type, so it is handled as bit
/// patterns: the upper half of a float32, rounded to nearest even.
public enum HalfPrecision {
    /// The float32 value of an IEEE binary16 bit pattern (exact).
    @inlinable
    public static func float(fromHalfBits bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// The binary16 bit pattern nearest to `x` (round to nearest even, overflow to infinity).
    @inlinable
    public static func halfBits(from x: Float) -> UInt16 {
        Float16(x).bitPattern
    }

    /// `x` rounded to binary16 and back (the value an fp16 cast would store).
    @inlinable
    public static func roundToHalf(_ x: Float) -> Float {
        Float(Float16(x))
    }

    /// The float32 value of a bfloat16 bit pattern (exact).
    @inlinable
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 bit pattern nearest to `x` (round to nearest even; NaN stays a quiet NaN).
    @inlinable
    public static func bfloat16Bits(from x: Float) -> UInt16 {
        let u = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: (u >> 16) | 0x0040) }
        let rounding = UInt32(0x7FFF) + ((u >> 16) & 1)
        return UInt16(truncatingIfNeeded: (u &+ rounding) >> 16)
    }

    /// `x` rounded to bfloat16 and back.
    @inlinable
    public static func roundToBFloat16(_ x: Float) -> Float {
        float(fromBFloat16Bits: bfloat16Bits(from: x))
    }
}
