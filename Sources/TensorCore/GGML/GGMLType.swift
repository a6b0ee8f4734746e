/// ggml tensor types as GGUF stores them, and their dequantization to `Float`.
///
/// The dequantizers follow llama.cpp's `dequantize_row_*` (and gguf-py's NumPy
/// versions, which agree bit for bit): float32 arithmetic in the same order, fp16
/// scales converted exactly.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_XXS = 16, iq2_XS = 17, iq3_XXS = 18, iq1_S = 19, iq4_NL = 20, iq3_S = 21, iq2_S = 22, iq4_XS = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_M = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40

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
        case .mxfp4: "MXFP4"
        case .nvfp4: "NVFP4"
        default: String(describing: self).uppercased()
        }
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

    /// Whether qscope can dequantize it.
    public var isReadable: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K: true
        default: false
        }
    }

    /// The names of the types `isReadable` accepts, for messages.
    public static var readableNames: String { allCases.filter(\.isReadable).map(\.name).joined(separator: ", ") }

    /// Dequantizes `blocks` whole blocks from `raw` into `out`.
    public func dequantize(_ raw: UnsafeRawBufferPointer, blocks: Int, into out: UnsafeMutablePointer<Float>) {
        let (qk, size) = blockLayout
        @inline(__always) func f16(_ b: Int, _ o: Int) -> Float {
            HalfPrecision.float(fromHalfBits: UInt16(raw[b * size + o]) | UInt16(raw[b * size + o + 1]) << 8)
        }
        @inline(__always) func byte(_ b: Int, _ o: Int) -> UInt8 { raw[b * size + o] }
        for b in 0..<blocks {
            let y = out + b * qk
            switch self {
            case .f32: y[0] = Float(bitPattern: UInt32(byte(b, 0)) | UInt32(byte(b, 1)) << 8 | UInt32(byte(b, 2)) << 16 | UInt32(byte(b, 3)) << 24)
            case .f16: y[0] = f16(b, 0)
            case .bf16: y[0] = HalfPrecision.float(fromBFloat16Bits: UInt16(byte(b, 0)) | UInt16(byte(b, 1)) << 8)
            case .f64:
                var u: UInt64 = 0
                for k in 0..<8 { u |= UInt64(byte(b, k)) << (8 * UInt64(k)) }
                y[0] = Float(Double(bitPattern: u))
            case .i8: y[0] = Float(Int8(bitPattern: byte(b, 0)))
            case .i16: y[0] = Float(Int16(bitPattern: UInt16(byte(b, 0)) | UInt16(byte(b, 1)) << 8))
            case .i32: y[0] = Float(Int32(bitPattern: UInt32(byte(b, 0)) | UInt32(byte(b, 1)) << 8 | UInt32(byte(b, 2)) << 16 | UInt32(byte(b, 3)) << 24))
            case .i64:
                var u: UInt64 = 0
                for k in 0..<8 { u |= UInt64(byte(b, k)) << (8 * UInt64(k)) }
                y[0] = Float(Int64(bitPattern: u))
            case .q8_0:
                let d = f16(b, 0)
                for j in 0..<32 { y[j] = Float(Int8(bitPattern: byte(b, 2 + j))) * d }
            case .q4_0:
                let d = f16(b, 0)
                for j in 0..<16 {
                    let q = byte(b, 2 + j)
                    y[j] = Float(Int(q & 0xF) - 8) * d
                    y[j + 16] = Float(Int(q >> 4) - 8) * d
                }
            case .q4_1:
                let d = f16(b, 0), m = f16(b, 2)
                for j in 0..<16 {
                    let q = byte(b, 4 + j)
                    y[j] = Float(q & 0xF) * d + m
                    y[j + 16] = Float(q >> 4) * d + m
                }
            case .q5_0, .q5_1:
                let d = f16(b, 0)
                let m: Float = self == .q5_1 ? f16(b, 2) : 0
                let o = self == .q5_1 ? 4 : 2
                let qh = UInt32(byte(b, o)) | UInt32(byte(b, o + 1)) << 8 | UInt32(byte(b, o + 2)) << 16 | UInt32(byte(b, o + 3)) << 24
                for j in 0..<16 {
                    let q = byte(b, o + 4 + j)
                    let h0 = UInt8(((qh >> UInt32(j)) << 4) & 0x10)
                    let h1 = UInt8((qh >> UInt32(j + 12)) & 0x10)
                    if self == .q5_0 {
                        y[j] = Float(Int((q & 0xF) | h0) - 16) * d
                        y[j + 16] = Float(Int((q >> 4) | h1) - 16) * d
                    } else {
                        y[j] = Float((q & 0xF) | h0) * d + m
                        y[j + 16] = Float((q >> 4) | h1) * d + m
                    }
                }
            case .q4_K, .q5_K:
                let d = f16(b, 0), dmin = f16(b, 2)
                let scales = 4
                let qhOffset = 16
                let qsOffset = self == .q4_K ? 16 : 48
                var u1: UInt8 = 1, u2: UInt8 = 2
                for chunk in 0..<4 {
                    let (sc1, m1) = scaleMin(raw, b * size + scales, 2 * chunk)
                    let (sc2, m2) = scaleMin(raw, b * size + scales, 2 * chunk + 1)
                    let d1 = d * Float(sc1), dm1 = dmin * Float(m1)
                    let d2 = d * Float(sc2), dm2 = dmin * Float(m2)
                    for l in 0..<32 {
                        let q = byte(b, qsOffset + 32 * chunk + l)
                        var lo = Float(q & 0xF), hi = Float(q >> 4)
                        if self == .q5_K {
                            let h = byte(b, qhOffset + l)
                            if h & u1 != 0 { lo += 16 }
                            if h & u2 != 0 { hi += 16 }
                        }
                        y[64 * chunk + l] = d1 * lo - dm1
                        y[64 * chunk + 32 + l] = d2 * hi - dm2
                    }
                    u1 <<= 2; u2 <<= 2
                }
            case .q6_K:
                let d = f16(b, 208)
                for half in 0..<2 {
                    let ql = 64 * half, qh = 128 + 32 * half, sc = 192 + 8 * half
                    for l in 0..<32 {
                        let s = l / 16
                        let h = byte(b, qh + l)
                        let q1 = Int((byte(b, ql + l) & 0xF) | ((h >> 0) & 3) << 4) - 32
                        let q2 = Int((byte(b, ql + l + 32) & 0xF) | ((h >> 2) & 3) << 4) - 32
                        let q3 = Int((byte(b, ql + l) >> 4) | ((h >> 4) & 3) << 4) - 32
                        let q4 = Int((byte(b, ql + l + 32) >> 4) | ((h >> 6) & 3) << 4) - 32
                        let base = 128 * half
                        y[base + l] = d * Float(Int8(bitPattern: byte(b, sc + s))) * Float(q1)
                        y[base + l + 32] = d * Float(Int8(bitPattern: byte(b, sc + s + 2))) * Float(q2)
                        y[base + l + 64] = d * Float(Int8(bitPattern: byte(b, sc + s + 4))) * Float(q3)
                        y[base + l + 96] = d * Float(Int8(bitPattern: byte(b, sc + s + 6))) * Float(q4)
                    }
                }
            default:
                for j in 0..<qk { y[j] = .nan }
            }
        }
    }

    /// `get_scale_min_k4`: the j-th 6-bit scale and min of a K-quant block's 12 scale bytes.
    @inline(__always)
    private func scaleMin(_ raw: UnsafeRawBufferPointer, _ o: Int, _ j: Int) -> (UInt8, UInt8) {
        if j < 4 { return (raw[o + j] & 63, raw[o + j + 4] & 63) }
        let sc = (raw[o + j + 4] & 0xF) | ((raw[o + j - 4] >> 6) << 4)
        let m = (raw[o + j + 4] >> 4) | ((raw[o + j] >> 6) << 4)
        return (sc, m)
    }
}
