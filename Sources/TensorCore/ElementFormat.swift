/// A small sign–exponent–mantissa float format (FP8, FP6, FP4 elements).
///
/// The OCP element formats are defined by their field widths, bias and the
/// special values they reserve, so one value type covers all of them. Encoding
/// saturates to ± the largest finite value first (as the MX emulator's
/// `saturate_normals`), then rounds to nearest with ties to even, which is the
/// behaviour a cast in ml_dtypes has inside the range.
public struct ElementFormat: Sendable, Hashable {
    /// Short name as users write it (`e4m3`, `e2m1`, ...).
    public let name: String
    public let exponentBits: Int
    public let mantissaBits: Int
    public let bias: Int
    /// Which magnitude bit patterns are not finite.
    let specials: Specials

    enum Specials: Sendable, Hashable {
        /// No infinity or NaN (FP6, FP4).
        case none
        /// Only the all-ones pattern is NaN (E4M3FN).
        case allOnesNaN
        /// IEEE-like: an all-ones exponent is infinity or NaN (E5M2).
        case ieee
    }

    /// OCP FP8 E4M3 (E4M3FN): bias 7, max 448, no infinity.
    public static let e4m3 = ElementFormat(name: "e4m3", exponentBits: 4, mantissaBits: 3, bias: 7, specials: .allOnesNaN)
    /// OCP FP8 E5M2: bias 15, max 57344, IEEE infinities and NaNs.
    public static let e5m2 = ElementFormat(name: "e5m2", exponentBits: 5, mantissaBits: 2, bias: 15, specials: .ieee)
    /// OCP FP6 E2M3: bias 1, max 7.5.
    public static let e2m3 = ElementFormat(name: "e2m3", exponentBits: 2, mantissaBits: 3, bias: 1, specials: .none)
    /// OCP FP6 E3M2: bias 3, max 28.
    public static let e3m2 = ElementFormat(name: "e3m2", exponentBits: 3, mantissaBits: 2, bias: 3, specials: .none)
    /// OCP FP4 E2M1 (MXFP4, NVFP4 elements): bias 1, values 0, 0.5, 1, 1.5, 2, 3, 4, 6.
    public static let e2m1 = ElementFormat(name: "e2m1", exponentBits: 2, mantissaBits: 1, bias: 1, specials: .none)

    /// Bits per element including the sign.
    public var bits: Int { 1 + exponentBits + mantissaBits }

    /// Number of bit patterns of the magnitude (sign excluded).
    var magnitudeCount: Int { 1 << (exponentBits + mantissaBits) }

    /// The value of a magnitude bit pattern, or nil when the pattern is not finite.
    func magnitude(ofPattern p: Int) -> Float? {
        let e = p >> mantissaBits
        let m = p & ((1 << mantissaBits) - 1)
        let maxE = (1 << exponentBits) - 1
        switch specials {
        case .none: break
        case .allOnesNaN: if p == magnitudeCount - 1 { return nil }
        case .ieee: if e == maxE { return nil }
        }
        let frac = Float(m) / Float(1 << mantissaBits)
        if e == 0 {
            return frac * Float(sign: .plus, exponent: 1 - bias, significand: 1)
        }
        return (1 + frac) * Float(sign: .plus, exponent: e - bias, significand: 1)
    }

    /// Finite magnitudes in ascending order; index i is bit pattern i.
    public var magnitudes: [Float] {
        (0..<magnitudeCount).compactMap { magnitude(ofPattern: $0) }
    }

    /// The largest finite value.
    public var maxValue: Float { magnitudes.last! }

    /// The value of a full code (sign bit above the magnitude), NaN for non-finite patterns.
    public func value(ofCode code: Int) -> Float {
        let mag = magnitude(ofPattern: code & (magnitudeCount - 1)) ?? .nan
        return (code & magnitudeCount) != 0 ? -mag : mag
    }

    /// Values of every code, indexed by code (NaN where the pattern is not finite).
    public var codeValues: [Float] {
        (0..<(2 * magnitudeCount)).map { value(ofCode: $0) }
    }
}
