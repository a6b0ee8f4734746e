import TensorCore

/// llama.cpp's GGUF block formats as datatypes (q8_0, q4_0, q4_1, q5_0, q5_1, q2_k … q6_k, iq4_nl):
/// each block is quantized to its true block bytes by llama.cpp's reference quantizer (no importance
/// matrix, `GGMLType.quantize`), decoded by ggml's `dequantize_row_*` (`GGMLType.dequantize`), and
/// its codes read from those bytes — so the codes and values are the ones a GGUF file of this tensor
/// holds, and `quantize -o X.gguf` writes exactly these bytes. Rows must hold whole blocks.
///
/// The normalised view divides each block by the line through its (level, value) pairs: exact for
/// the one-scale formats (x ÷ d, plus −min ÷ d for Q4_1 and Q5_1); for the K-quants, whose
/// sub-blocks have scales of their own, one line fitted to the whole super-block.
public struct GGMLBlockFormat: QuantFormat {
    public let type: GGMLType
    let label: String
    let bits: Int
    let domain: String
    let summaryText: String
    /// Whether blocks store a minimum (Q4_1, Q5_1 and the asymmetric K-quants), shown as a zero point.
    let zeroPoint: Bool

    public var traits: FormatTraits {
        FormatTraits(
            name: label, family: .ggml, bitsPerCode: bits, fixedBlock: type.blockLayout.elements, wholeBlocksPerRow: true,
            hasZeroPoint: zeroPoint, doubleQuant: .notApplicable(stores: "fp16 scales in llama.cpp's block layout"),
            layout: .ggmlBlocks, ggmlType: type, summary: summaryText, domainLabel: domain)
    }

    public func codebook(fitted: [Float]?) -> Codebook {
        Codebook(levels: type.codeBook?.levels ?? [], domainLabel: domain)
    }

    public func codec(codebook: Codebook, tensorAbsmax: Float) -> Codec { Codec(type: type, levels: codebook.levels) }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int { blocks * type.blockLayout.bytes * 8 }

    public func explanation(_ facts: ExplanationFacts) -> String {
        "llama.cpp's GGUF block format: \(summaryText). qscope quantizes as llama.cpp's reference code does "
            + "(quantize_row_*_ref, round to nearest within its scale search, no importance matrix), so these are the "
            + "codes and values a GGUF file of this tensor would hold."
    }

    public struct Codec: BlockCodec {
        let type: GGMLType
        let levels: [Float]

        public func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic st: BlockStatistic,
                           codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide {
            precondition(stride == 1 && count == type.blockLayout.elements, "llama.cpp's blocks are whole and contiguous")
            let size = type.blockLayout.bytes
            return withUnsafeTemporaryAllocation(byteCount: size, alignment: 16) { raw in
                type.quantize(x, count: count, into: raw.baseAddress!)
                let bytes = UnsafeRawBufferPointer(raw)
                type.dequantize(bytes, blocks: 1, into: decoded)
                type.codes(bytes, blocks: 1, into: codes)
                return normalization(codes: codes, decoded: decoded, count: count)
            }
        }

        /// The line `value = scale · (level − zero)` through the block's (level, value) pairs, by least
        /// squares (exact when the block has one scale).
        func normalization(codes: UnsafePointer<UInt8>, decoded: UnsafePointer<Float>, count: Int) -> BlockSide {
            var sl = 0.0, sy = 0.0, sll = 0.0, sly = 0.0
            for i in 0..<count {
                let l = Double(levels[Int(codes[i])]), y = Double(decoded[i])
                sl += l; sy += y; sll += l * l; sly += l * y
            }
            let n = Double(count)
            let varL = sll - sl * sl / n
            guard varL > 0, n > 0 else { return BlockSide(scale: 1, zero: Float(sl / n) - Float(sy / n)) }
            let slope = (sly - sl * sy / n) / varL
            let intercept = (sy - slope * sl) / n
            guard slope > 0, slope.isFinite else { return BlockSide(scale: 1) }
            return BlockSide(scale: Float(slope), zero: Float(-intercept / slope))
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
        type: .q8_0, label: "q8_0", bits: 8, domain: "x ÷ d",
        summaryText: "llama.cpp Q8_0: 32 int8 values and an fp16 scale d = absmax / 127 per block, rounded half away from zero (8.5 bits)",
        zeroPoint: false)
    static let q4_0 = GGMLBlockFormat(
        type: .q4_0, label: "q4_0", bits: 4, domain: "x ÷ d",
        summaryText: "llama.cpp Q4_0: 32 4-bit values and an fp16 scale d = (the value of largest |x|) / -8, so that value lands exactly on a level (4.5 bits)",
        zeroPoint: false)
    static let q4_1 = GGMLBlockFormat(
        type: .q4_1, label: "q4_1", bits: 4, domain: "(x − min) ÷ d",
        summaryText: "llama.cpp Q4_1: 32 4-bit values between the block min and max, fp16 scale and fp16 min (5 bits)", zeroPoint: true)
    static let q5_0 = GGMLBlockFormat(
        type: .q5_0, label: "q5_0", bits: 5, domain: "x ÷ d",
        summaryText: "llama.cpp Q5_0: 32 5-bit values and an fp16 scale d = (the value of largest |x|) / -16 (5.5 bits)", zeroPoint: false)
    static let q5_1 = GGMLBlockFormat(
        type: .q5_1, label: "q5_1", bits: 5, domain: "(x − min) ÷ d",
        summaryText: "llama.cpp Q5_1: 32 5-bit values between the block min and max, fp16 scale and fp16 min (6 bits)", zeroPoint: true)
    static let q2K = GGMLBlockFormat(
        type: .q2_K, label: "q2_k", bits: 2, domain: "(x + m) ÷ (d · sc), a line fitted to the super-block",
        summaryText: "llama.cpp Q2_K: super-blocks of 256 = 16 × 16, each sub-block an asymmetric 2-bit fit with 4-bit scale and min under fp16 d and dmin (2.625 bits)",
        zeroPoint: true)
    static let q3K = GGMLBlockFormat(
        type: .q3_K, label: "q3_k", bits: 3, domain: "x ÷ (d · sc), a line fitted to the super-block",
        summaryText: "llama.cpp Q3_K: super-blocks of 256 = 16 × 16, each sub-block a symmetric 3-bit fit with a 6-bit scale under one fp16 d (3.4375 bits)",
        zeroPoint: false)
    static let q4K = GGMLBlockFormat(
        type: .q4_K, label: "q4_k", bits: 4, domain: "(x + m) ÷ (d · sc), a line fitted to the super-block",
        summaryText: "llama.cpp Q4_K: super-blocks of 256 = 8 × 32, each sub-block an asymmetric 4-bit fit (weighted search) with 6-bit scale and min under fp16 d and dmin (4.5 bits)",
        zeroPoint: true)
    static let q5K = GGMLBlockFormat(
        type: .q5_K, label: "q5_k", bits: 5, domain: "(x + m) ÷ (d · sc), a line fitted to the super-block",
        summaryText: "llama.cpp Q5_K: super-blocks of 256 = 8 × 32, each sub-block an asymmetric 5-bit fit with 6-bit scale and min under fp16 d and dmin (5.5 bits)",
        zeroPoint: true)
    static let q6K = GGMLBlockFormat(
        type: .q6_K, label: "q6_k", bits: 6, domain: "x ÷ (d · sc), a line fitted to the super-block",
        summaryText: "llama.cpp Q6_K: super-blocks of 256 = 16 × 16, each sub-block a symmetric 6-bit fit with an 8-bit scale under one fp16 d (6.5625 bits)",
        zeroPoint: false)
    static let iq4NL = GGMLBlockFormat(
        type: .iq4_NL, label: "iq4_nl", bits: 4, domain: "x ÷ d (levels −127 … 113)",
        summaryText: "llama.cpp IQ4_NL: 32 values on a fixed non-linear table of 16 levels (−127 … 113, denser near 0 like NF4) with an fp16 scale per block, reference quantizer without an importance matrix (4.5 bits)",
        zeroPoint: false)
}

/// A plain cast to a 16-bit float (fp16, bf16), round to nearest even: the baselines.
public struct HalfCast: QuantFormat {
    let brain: Bool

    public init(bfloat16: Bool) { brain = bfloat16 }

    public var traits: FormatTraits {
        FormatTraits(
            name: brain ? "bf16" : "fp16", family: .cast, bitsPerCode: 16, hasCodes: false,
            doubleQuant: .notApplicable(stores: "no scale"), layout: .halfValues, ggmlType: brain ? .bf16 : .f16,
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
