/// The result of quantizing one tensor: codes, scales and the values they decode to.
///
/// Scales are kept per block in the form each format stores them, plus one
/// `normScale` per block that maps a value into the normalised domain where the
/// codebook's levels are fixed (x ÷ normScale, plus the zero point for the
/// asymmetric integers).
public struct QuantizedTensor: Sendable {
    public let config: QuantConfig
    public let grouping: Grouping
    public let codebook: Codebook
    /// One code index per element (empty for the 16-bit casts).
    public let codes: [UInt8]
    /// The decoded values, one per element.
    public let dequantized: [Float]
    /// Per block: max |x| over the finite values, the statistic every scale rule starts from.
    public let absmax: [Float]
    /// Per block: the smallest and largest finite value (for the normalised histogram's range).
    public let blockMinimum: [Float]
    public let blockMaximum: [Float]
    /// Per block: the divisor into the normalised domain.
    public let normScale: [Float]
    /// Per block zero points (asymmetric integers only).
    public let zeroPoints: [Float]
    /// Per block E8M0 scale bytes (MX only; the exponent is the byte − 127).
    public let sharedExponents: [UInt8]
    /// Per block FP8 E4M3 scale bytes (NVFP4 only).
    public let blockScaleCodes: [UInt8]
    /// The FP32 per-tensor scale (NVFP4 only).
    public let tensorScale: Float?
    /// The compressed absmax, when double quantization is on.
    public let doubleQuant: DoubleQuantState?

    /// Maps `x` of block `b` into the normalised domain.
    @inlinable
    public func normalized(_ x: Float, block b: Int) -> Float {
        let v = x / normScale[b]
        return zeroPoints.isEmpty ? v : v + zeroPoints[b]
    }

    /// The range of the normalised values over all blocks (empty blocks ignored).
    public var normalizedRange: ClosedRange<Float>? {
        var lo = Float.infinity, hi = -Float.infinity
        for b in 0..<blockMinimum.count {
            lo = Swift.min(lo, normalized(blockMinimum[b], block: b))
            hi = Swift.max(hi, normalized(blockMaximum[b], block: b))
        }
        return lo <= hi ? lo...hi : nil
    }

    /// Every bit stored: codes, scales, zero points, nested statistics, per-tensor scales and
    /// data-dependent code tables, as the format counts them.
    public let storedBits: Int

    public init(config: QuantConfig, grouping: Grouping, codebook: Codebook, codes: [UInt8], dequantized: [Float],
                absmax: [Float], blockMinimum: [Float], blockMaximum: [Float], normScale: [Float], zeroPoints: [Float],
                sharedExponents: [UInt8], blockScaleCodes: [UInt8], tensorScale: Float?, doubleQuant: DoubleQuantState?,
                storedBits: Int) {
        self.config = config
        self.grouping = grouping
        self.codebook = codebook
        self.codes = codes
        self.dequantized = dequantized
        self.absmax = absmax
        self.blockMinimum = blockMinimum
        self.blockMaximum = blockMaximum
        self.normScale = normScale
        self.zeroPoints = zeroPoints
        self.sharedExponents = sharedExponents
        self.blockScaleCodes = blockScaleCodes
        self.tensorScale = tensorScale
        self.doubleQuant = doubleQuant
        self.storedBits = storedBits
    }

    /// Bits per parameter, everything stored counted (0 for an empty tensor).
    public var bitsPerParam: Double {
        grouping.count == 0 ? 0 : Double(storedBits) / Double(grouping.count)
    }

    /// Bytes the quantized tensor takes (bits rounded up to whole bytes).
    public var storedBytes: Int { (storedBits + 7) / 8 }
}
