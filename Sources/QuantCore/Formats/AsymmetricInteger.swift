import TensorCore

/// Asymmetric min–max integers (uint8-asym … uint2-asym), GPTQ/AWQ-style group quantization with
/// round to nearest: `2^bits` even levels spanning `[min(x, 0), max(x, 0)]`, an fp16 scale and a
/// `bits`-bit zero point per block.
public struct AsymmetricInteger: QuantFormat {
    public let bits: Int

    public init(bits: Int) { self.bits = bits }

    var maxCode: Float { Float((1 << bits) - 1) }

    public var traits: FormatTraits {
        FormatTraits(
            name: "uint\(bits)-asym", family: .asymmetricInteger, bitsPerCode: bits, hasZeroPoint: true,
            doubleQuant: .notApplicable(stores: "an fp16 scale and a zero point"), layout: .scaleAndZero,
            summary: "asymmetric min-max integer (group quantization with round to nearest, the storage layout GPTQ and AWQ use): \(1 << bits) levels spanning [min(x, 0), max(x, 0)], fp16 scale and a \(bits)-bit zero point per block",
            domainLabel: "x ÷ scale + zero")
    }

    public func codebook(fitted: [Float]?) -> Codebook {
        Codebook(levels: (0..<(1 << bits)).map { Float($0) }, domainLabel: traits.domainLabel)
    }

    public func codec(codebook: Codebook, tensorAbsmax: Float) -> Codec { Codec(maxq: maxCode) }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int {
        count * bits + blocks * (16 + bits)
    }

    public func explanation(_ facts: ExplanationFacts) -> String {
        "Asymmetric integers fit \(1 << bits) even levels between each block's min and max (with 0 "
            + "inside the range) and store a scale and a zero point. A distribution that is not centred at 0 — a LayerNorm "
            + "scale, a ReLU output — uses every level instead of leaving half of them on the empty side. Rounding is to "
            + "the nearest level, as everywhere in qscope: GPTQ and AWQ use this storage layout but choose codes with "
            + "second-order or activation-aware corrections that qscope does not model."
    }

    public struct Codec: BlockCodec {
        let maxq: Float

        public func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic st: BlockStatistic,
                           codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide {
            var lo = Swift.min(st.minimum, 0)
            var hi = Swift.max(st.maximum, 0)
            if lo == 0 && hi == 0 { lo = -1; hi = 1 }
            var s = (hi - lo) / maxq
            let s16 = HalfPrecision.roundToHalf(s)
            if s16 > 0 && s16.isFinite { s = s16 }
            let z = Swift.min(Swift.max((-lo / s).rounded(.toNearestOrEven), 0), maxq)
            var i = 0
            for _ in 0..<count {
                var q = (x[i] / s).rounded(.toNearestOrEven) + z
                if q.isNaN { q = z }
                q = Swift.min(Swift.max(q, 0), maxq)
                codes[i] = UInt8(q)
                decoded[i] = s * (q - z)
                i += stride
            }
            return BlockSide(scale: s, zero: z)
        }

        public func decode(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, side: BlockSide, statistic: BlockStatistic,
                           into out: UnsafeMutablePointer<Float>) {
            var i = 0
            for _ in 0..<count {
                out[i] = side.scale * (Float(codes[i]) - side.zero)
                i += stride
            }
        }
    }
}
