/// ggml tensor types as GGUF stores them, and their dequantization to `Float`.
///
/// Ids and block layouts are ggml's (`ggml.h`, `ggml-common.h`), checked against gguf-py 0.19.0's
/// `GGML_QUANT_SIZES`. Every type is readable: the decoders follow llama.cpp's `dequantize_row_*`
/// and agree bit for bit with gguf-py's NumPy `gguf.quants.dequantize` (float32 arithmetic in the
/// same order, fp16 scales converted exactly). Switches over this type have no `default:`, so the
/// compiler names every place a new type must be handled.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_XXS = 16, iq2_XS = 17, iq3_XXS = 18, iq1_S = 19, iq4_NL = 20, iq3_S = 21, iq2_S = 22, iq4_XS = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_M = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41, q2_0 = 42

    /// The name GGUF tools print (`Q4_K`, `BF16`, ...).
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .f64: "F64"
        case .i8: "I8"
        case .i16: "I16"
        case .i32: "I32"
        case .i64: "I64"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q8_1: "Q8_1"
        case .q1_0: "Q1_0"
        case .q2_0: "Q2_0"
        case .q2_K: "Q2_K"
        case .q3_K: "Q3_K"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .q8_K: "Q8_K"
        case .iq2_XXS: "IQ2_XXS"
        case .iq2_XS: "IQ2_XS"
        case .iq2_S: "IQ2_S"
        case .iq3_XXS: "IQ3_XXS"
        case .iq3_S: "IQ3_S"
        case .iq1_S: "IQ1_S"
        case .iq1_M: "IQ1_M"
        case .iq4_NL: "IQ4_NL"
        case .iq4_XS: "IQ4_XS"
        case .tq1_0: "TQ1_0"
        case .tq2_0: "TQ2_0"
        case .mxfp4: "MXFP4"
        case .nvfp4: "NVFP4"
        }
    }

    /// The type GGUF tools call `name` (`Q4_K`, `iq4_nl`: case-insensitive).
    public init?(name: String) {
        let upper = name.uppercased()
        guard let t = GGMLType.allCases.first(where: { $0.name == upper }) else { return nil }
        self = t
    }

    /// Elements per block and bytes per block.
    public var blockLayout: (elements: Int, bytes: Int) {
        switch self {
        case .f32, .i32: (1, 4)
        case .f16, .bf16, .i16: (1, 2)
        case .f64, .i64: (1, 8)
        case .i8: (1, 1)
        case .q4_0: (32, 18)
        case .q4_1: (32, 20)
        case .q5_0: (32, 22)
        case .q5_1: (32, 24)
        case .q8_0: (32, 34)
        case .q8_1: (32, 36)
        case .q1_0: (128, 18)
        case .q2_0: (64, 18)
        case .q2_K: (256, 84)
        case .q3_K: (256, 110)
        case .q4_K: (256, 144)
        case .q5_K: (256, 176)
        case .q6_K: (256, 210)
        case .q8_K: (256, 292)
        case .iq2_XXS: (256, 66)
        case .iq2_XS: (256, 74)
        case .iq3_XXS: (256, 98)
        case .iq1_S: (256, 50)
        case .iq4_NL: (32, 18)
        case .iq3_S: (256, 110)
        case .iq2_S: (256, 82)
        case .iq4_XS: (256, 136)
        case .iq1_M: (256, 56)
        case .tq1_0: (256, 54)
        case .tq2_0: (256, 66)
        case .mxfp4: (32, 17)
        case .nvfp4: (64, 36)
        }
    }

    /// Whether the type stores blocks of codes under shared scales (false for plain floats and integers).
    public var isQuantized: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: false
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .q1_0, .q2_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
             .iq2_XXS, .iq2_XS, .iq2_S, .iq3_XXS, .iq3_S, .iq1_S, .iq1_M, .iq4_NL, .iq4_XS, .tq1_0, .tq2_0, .mxfp4, .nvfp4:
            true
        }
    }

    /// Whether qscope can dequantize it: every type it knows.
    public var isReadable: Bool { true }

    /// The names of the types `isReadable` accepts, for messages.
    public static var readableNames: String { allCases.filter(\.isReadable).map(\.name).joined(separator: ", ") }

    /// Dequantizes `blocks` whole blocks from `raw` into `out` (`blocks · blockLayout.elements` floats).
    ///
    /// Works block by block with pointers and no allocation: it runs inside the streaming engine on
    /// hundreds of millions of values. `raw` must hold at least `blocks · blockLayout.bytes` bytes
    /// (checked); it needs no alignment.
    public func dequantize(_ raw: UnsafeRawBufferPointer, blocks: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(blocks >= 0 && raw.count >= blocks * blockLayout.bytes, "\(name): \(raw.count) bytes cannot hold \(blocks) blocks")
        guard blocks > 0, let src = raw.baseAddress else { return }
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: ElementBlocks.decode(self, src, blocks, out)
        case .q4_0: LegacyBlocks.decodeQ4_0(src, blocks, out)
        case .q4_1: LegacyBlocks.decodeQ4_1(src, blocks, out)
        case .q5_0: LegacyBlocks.decodeQ5_0(src, blocks, out)
        case .q5_1: LegacyBlocks.decodeQ5_1(src, blocks, out)
        case .q8_0: LegacyBlocks.decodeQ8(src, blocks, out, bytes: 34, qsOffset: 2)
        case .q8_1: LegacyBlocks.decodeQ8(src, blocks, out, bytes: 36, qsOffset: 4)
        case .q1_0: LegacyBlocks.decodeQ1_0(src, blocks, out)
        case .q2_0: LegacyBlocks.decodeQ2_0(src, blocks, out)
        case .q2_K: KQuantBlocks.decodeQ2_K(src, blocks, out)
        case .q3_K: KQuantBlocks.decodeQ3_K(src, blocks, out)
        case .q4_K: KQuantBlocks.decodeQ4_K(src, blocks, out)
        case .q5_K: KQuantBlocks.decodeQ5_K(src, blocks, out)
        case .q6_K: KQuantBlocks.decodeQ6_K(src, blocks, out)
        case .q8_K: KQuantBlocks.decodeQ8_K(src, blocks, out)
        case .iq2_XXS: IQuantBlocks.decodeIQ2_XXS(src, blocks, out)
        case .iq2_XS: IQuantBlocks.decodeIQ2_XS(src, blocks, out)
        case .iq2_S: IQuantBlocks.decodeIQ2_S(src, blocks, out)
        case .iq3_XXS: IQuantBlocks.decodeIQ3_XXS(src, blocks, out)
        case .iq3_S: IQuantBlocks.decodeIQ3_S(src, blocks, out)
        case .iq1_S: IQuantBlocks.decodeIQ1_S(src, blocks, out)
        case .iq1_M: IQuantBlocks.decodeIQ1_M(src, blocks, out)
        case .iq4_NL: IQuantBlocks.decodeIQ4_NL(src, blocks, out)
        case .iq4_XS: IQuantBlocks.decodeIQ4_XS(src, blocks, out)
        case .tq1_0: TernaryBlocks.decodeTQ1_0(src, blocks, out)
        case .tq2_0: TernaryBlocks.decodeTQ2_0(src, blocks, out)
        case .mxfp4: MicroscalingBlocks.decodeMXFP4(src, blocks, out)
        case .nvfp4: MicroscalingBlocks.decodeNVFP4(src, blocks, out)
        }
    }
}
