import TensorCore

/// llama.cpp's GGUF block formats as datatypes (q8_0, q4_0, q4_1, q5_0, q4_k, q6_k), quantized as
/// llama.cpp's reference code does (`quantize_row_*_ref`, no importance matrix), so that the codes are
/// the ones a GGUF file of the tensor would hold. Rows must hold whole blocks.
public struct GGMLBlockFormat: QuantFormat {
    let kernel: GGMLKernel
    let label: String
    let bits: Int
    let block: Int
    /// Bytes of one stored block.
    let blockBytes: Int
    let levels: [Float]
    let domain: String
    let summaryText: String
    /// Whether blocks store a minimum (Q4_1, Q4_K), shown as a zero point in the normalised domain.
    var zeroPoint = false

    public var traits: FormatTraits {
        FormatTraits(
            name: label, family: .ggml, bitsPerCode: bits, fixedBlock: block, wholeBlocksPerRow: true, hasZeroPoint: zeroPoint,
            doubleQuant: .notApplicable(stores: "fp16 scales in llama.cpp's block layout"), layout: .ggmlBlocks,
            summary: summaryText, domainLabel: domain)
    }

    public func codebook(fitted: [Float]?) -> Codebook { Codebook(levels: levels, domainLabel: domain) }

    public func codec(codebook: Codebook, tensorAbsmax: Float) -> Codec { Codec(kernel: kernel) }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int { blocks * blockBytes * 8 }

    public func explanation(_ facts: ExplanationFacts) -> String {
        "llama.cpp's GGUF block format: \(summaryText). qscope quantizes as llama.cpp's reference code does, so these "
            + "are the codes a GGUF file of this tensor would hold (round to nearest, without an importance matrix)."
    }

    public struct Codec: BlockCodec {
        let kernel: GGMLKernel

        public func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic st: BlockStatistic,
                           codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide {
            precondition(stride == 1, "llama.cpp's blocks are contiguous")
            return kernel.run(x: x, length: count, minimum: st.minimum, maximum: st.maximum, codes: codes, deq: decoded)
        }

        /// The stored form of these formats is llama.cpp's block bytes, decoded by `GGMLType`; codes and
        /// one scale per block do not determine the K-quants' values, so there is no decoding from them.
        public func decode(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, side: BlockSide, statistic: BlockStatistic,
                           into out: UnsafeMutablePointer<Float>) {
            var i = 0
            for _ in 0..<count { out[i] = .nan; i += stride }
        }
    }
}

extension GGMLBlockFormat {
    static let q8_0 = GGMLBlockFormat(
        kernel: .q8_0, label: "q8_0", bits: 8, block: 32, blockBytes: 34,
        levels: (0..<256).map { Float(Int8(truncatingIfNeeded: $0)) }, domain: "x ÷ d",
        summaryText: "llama.cpp Q8_0: 32 int8 values and an fp16 scale d = absmax / 127 per block, rounded half away from zero (8.5 bits)")
    static let q4_0 = GGMLBlockFormat(
        kernel: .q4_0, label: "q4_0", bits: 4, block: 32, blockBytes: 18,
        levels: (0..<16).map { Float($0 - 8) }, domain: "x ÷ d",
        summaryText: "llama.cpp Q4_0: 32 4-bit values and an fp16 scale d = (the value of largest |x|) / -8, so that value lands exactly on a level (4.5 bits)")
    static let q4_1 = GGMLBlockFormat(
        kernel: .q4_1, label: "q4_1", bits: 4, block: 32, blockBytes: 20,
        levels: (0..<16).map { Float($0) }, domain: "(x − min) ÷ d",
        summaryText: "llama.cpp Q4_1: 32 4-bit values between the block min and max, fp16 scale and fp16 min (5 bits)", zeroPoint: true)
    static let q5_0 = GGMLBlockFormat(
        kernel: .q5_0, label: "q5_0", bits: 5, block: 32, blockBytes: 22,
        levels: (0..<32).map { Float($0 - 16) }, domain: "x ÷ d",
        summaryText: "llama.cpp Q5_0: 32 5-bit values and an fp16 scale d = (the value of largest |x|) / -16 (5.5 bits)")
    static let q4K = GGMLBlockFormat(
        kernel: .q4K, label: "q4_k", bits: 4, block: 256, blockBytes: 144,
        levels: (0..<16).map { Float($0) }, domain: "(x + m) ÷ (d · sc), largest-scale sub-block",
        summaryText: "llama.cpp Q4_K: super-blocks of 256 = 8 × 32, each sub-block an asymmetric 4-bit fit (weighted search) with 6-bit scale and min under fp16 d and dmin (4.5 bits)",
        zeroPoint: true)
    static let q6K = GGMLBlockFormat(
        kernel: .q6K, label: "q6_k", bits: 6, block: 256, blockBytes: 210,
        levels: (0..<64).map { Float($0 - 32) }, domain: "x ÷ (d · largest sub-block scale)",
        summaryText: "llama.cpp Q6_K: super-blocks of 256 = 16 × 16, each sub-block a symmetric 6-bit fit with an 8-bit scale under one fp16 d (6.5625 bits)")
}

/// A plain cast to a 16-bit float (fp16, bf16), round to nearest even: the baselines.
public struct HalfCast: QuantFormat {
    let brain: Bool

    public init(bfloat16: Bool) { brain = bfloat16 }

    public var traits: FormatTraits {
        FormatTraits(
            name: brain ? "bf16" : "fp16", family: .cast, bitsPerCode: 16, hasCodes: false,
            doubleQuant: .notApplicable(stores: "no scale"), layout: .halfValues,
            summary: brain ? "bfloat16 cast (round to nearest even), a baseline" : "IEEE half precision cast (round to nearest even), a baseline",
            domainLabel: "x")
    }

    public func codebook(fitted: [Float]?) -> Codebook { Codebook(levels: [], boundaries: [], domainLabel: "x") }

    public func codec(codebook: Codebook, tensorAbsmax: Float) -> Codec { Codec(brain: brain) }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int { count * 16 }

    public func explanation(_ facts: ExplanationFacts) -> String {
        "A cast, not a quantization: \(traits.summary). fp16 keeps 10 mantissa bits but only reaches 65504; bf16 keeps "
            + "fp32's range with 7 mantissa bits. They are the baselines every 8- and 4-bit format is measured against."
    }

    public struct Codec: BlockCodec {
        let brain: Bool

        /// The 16-bit pattern a decoded value is stored as (code usage of a cast counts distinct patterns).
        @inline(__always)
        public func usageSlot(code: UInt8, decoded v: Float) -> Int {
            Int(brain ? HalfPrecision.bfloat16Bits(from: v) : HalfPrecision.halfBits(from: v))
        }

        public func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic: BlockStatistic,
                           codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide {
            var i = 0
            if brain {
                for _ in 0..<count { decoded[i] = HalfPrecision.roundToBFloat16(x[i]); i += stride }
            } else {
                for _ in 0..<count { decoded[i] = HalfPrecision.roundToHalf(x[i]); i += stride }
            }
            return BlockSide(scale: 1)
        }

        public func decode(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, side: BlockSide, statistic: BlockStatistic,
                           into out: UnsafeMutablePointer<Float>) {
            var i = 0
            for _ in 0..<count { out[i] = .nan; i += stride }
        }
    }
}
