import TensorCore

/// Symmetric absmax integers (int8 … int2): `q = round(x ÷ absmax · qmax)`, half to even, clamped to
/// ±qmax, an fp32 absmax per block. int8 with one scale per row is LLM.int8()'s vector-wise scheme.
public struct SymmetricInteger: QuantFormat {
    public let bits: Int

    public init(bits: Int) { self.bits = bits }

    var qmax: Int { (1 << (bits - 1)) - 1 }

    public var traits: FormatTraits {
        let q = qmax
        return FormatTraits(
            name: "int\(bits)", family: .integer, bitsPerCode: bits, doubleQuant: .compressesAbsmax,
            layout: .absmaxScaled,
            summary: "symmetric absmax integer: q = round(x / absmax * \(q)), \(2 * q + 1) levels from -\(q) to \(q), round half to even, fp32 scale per block",
            domainLabel: "x ÷ absmax")
    }

    public func codebook(fitted: [Float]?) -> Codebook {
        let q = qmax
        return Codebook(levels: (0...(2 * q)).map { Float($0 - q) / Float(q) }, domainLabel: traits.domainLabel)
    }

    public func codec(codebook: Codebook, tensorAbsmax: Float) -> Codec { Codec(qmax: Float(qmax)) }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int {
        count * bits + Self.absmaxBits(blocks: blocks, doubleQuantBits: doubleQuantBits)
    }

    public func explanation(_ facts: ExplanationFacts) -> String {
        let q = qmax
        return "Symmetric integers: x ÷ absmax × \(q) rounded to the nearest integer, so \(2 * q + 1) evenly spaced "
            + "levels from -1 to 1 in steps of 1/\(q) (one of the \(1 << bits) codes is unused, keeping 0 exact). "
            + "Even spacing wastes levels in the tails, where few weights are; NF4 and FP4 move them towards 0."
    }

    public struct Codec: BlockCodec {
        let qmax: Float

        public func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic s: BlockStatistic,
                           codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide {
            let mult: Float = s.absmax > 0 ? qmax / s.absmax : 0
            let inv: Float = 1 / qmax
            if stride == 1 {
                TableKernels.encodeSymmetric(x: x, count: count, mult: mult, qmax: qmax, inv: inv,
                                             decodeScale: s.decodeAbsmax, codes: codes, deq: decoded)
            } else {
                let offset = Int(qmax)
                var i = 0
                for _ in 0..<count {
                    var q = (x[i] * mult).rounded(.toNearestOrEven)
                    if q.isNaN { q = 0 }
                    // + 0 turns −0 into +0: the stored code cannot carry the sign of a zero.
                    q = Swift.min(Swift.max(q, -qmax), qmax) + 0
                    codes[i] = UInt8(Int(q) + offset)
                    decoded[i] = (q * s.decodeAbsmax) * inv
                    i += stride
                }
            }
            return BlockSide(scale: s.absmax)
        }

        public func decode(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, side: BlockSide, statistic s: BlockStatistic,
                           into out: UnsafeMutablePointer<Float>) {
            let inv: Float = 1 / qmax
            let offset = Int(qmax)
            var i = 0
            for _ in 0..<count {
                out[i] = (Float(Int(codes[i]) - offset) * s.decodeAbsmax) * inv
                i += stride
            }
        }
    }
}
