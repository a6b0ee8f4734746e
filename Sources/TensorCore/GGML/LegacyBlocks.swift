/// The legacy block formats of 32 (and the 1- and 2-bit blocks of 128 and 64): decoding and codes.
///
/// - Q4_0 (18 bytes): fp16 d, 16 bytes of nibbles (low nibble = element j, high = j + 16); x = (q − 8)·d.
/// - Q4_1 (20): fp16 d, fp16 m, nibbles; x = q·d + m.
/// - Q5_0 (22): fp16 d, u32 qh (bit j = fifth bit of element j), nibbles; x = (q − 16)·d.
/// - Q5_1 (24): fp16 d, fp16 m, u32 qh, nibbles; x = q·d + m.
/// - Q8_0 (34): fp16 d, 32 int8; x = q·d. Q8_1 (36) adds an fp16 sum s (unused by the decode).
/// - Q1_0 (18 per 128): fp16 d, 16 bytes of bits (bit j%8 of byte j/8); x = bit ? d : −d.
/// - Q2_0 (18 per 64): fp16 d, 16 bytes of 2-bit fields (bits 2(j%4) of byte j/4); x = (q − 1)·d.
///
/// Source functions: ggml's `dequantize_row_q4_0`, `_q4_1`, `_q5_0`, `_q5_1`, `_q8_0`, `_q1_0`,
/// `_q2_0` (ggml has no `dequantize_row_q8_1`; its values are q·d like Q8_0).
enum LegacyBlocks {
    static func decodeQ4_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 18 * b, y = out + 32 * b
            let d = GGMLBytes.half(p, 0)
            for j in 0..<16 {
                let q = p.load(fromByteOffset: 2 + j, as: UInt8.self)
                y[j] = Float(Int32(q & 0xF) - 8) * d
                y[j + 16] = Float(Int32(q >> 4) - 8) * d
            }
        }
    }

    static func decodeQ4_1(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 20 * b, y = out + 32 * b
            let d = GGMLBytes.half(p, 0), m = GGMLBytes.half(p, 2)
            for j in 0..<16 {
                let q = p.load(fromByteOffset: 4 + j, as: UInt8.self)
                y[j] = Float(q & 0xF) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        }
    }

    static func decodeQ5_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 22 * b, y = out + 32 * b
            let d = GGMLBytes.half(p, 0)
            let qh = GGMLBytes.u32(p, 2)
            for j in 0..<16 {
                let q = UInt32(p.load(fromByteOffset: 6 + j, as: UInt8.self))
                let h0 = ((qh >> UInt32(j)) << 4) & 0x10
                let h1 = (qh >> UInt32(j + 12)) & 0x10
                y[j] = Float(Int32((q & 0xF) | h0) - 16) * d
                y[j + 16] = Float(Int32((q >> 4) | h1) - 16) * d
            }
        }
    }

    static func decodeQ5_1(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 24 * b, y = out + 32 * b
            let d = GGMLBytes.half(p, 0), m = GGMLBytes.half(p, 2)
            let qh = GGMLBytes.u32(p, 4)
            for j in 0..<16 {
                let q = UInt32(p.load(fromByteOffset: 8 + j, as: UInt8.self))
                let h0 = ((qh >> UInt32(j)) << 4) & 0x10
                let h1 = (qh >> UInt32(j + 12)) & 0x10
                y[j] = Float((q & 0xF) | h0) * d + m
                y[j + 16] = Float((q >> 4) | h1) * d + m
            }
        }
    }

    static func decodeQ8(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, bytes: Int, qsOffset: Int) {
        for b in 0..<n {
            let p = src + bytes * b, y = out + 32 * b
            let d = GGMLBytes.half(p, 0)
            for j in 0..<32 { y[j] = Float(p.load(fromByteOffset: qsOffset + j, as: Int8.self)) * d }
        }
    }

    static func decodeQ1_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 18 * b, y = out + 128 * b
            let d = GGMLBytes.half(p, 0), negD = -d
            for k in 0..<16 {
                let bits = p.load(fromByteOffset: 2 + k, as: UInt8.self)
                for j in 0..<8 { y[8 * k + j] = (bits >> UInt8(j)) & 1 != 0 ? d : negD }
            }
        }
    }

    static func decodeQ2_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 18 * b, y = out + 64 * b
            let d = GGMLBytes.half(p, 0)
            for k in 0..<16 {
                let q = p.load(fromByteOffset: 2 + k, as: UInt8.self)
                for j in 0..<4 { y[4 * k + j] = Float(Int32((q >> UInt8(2 * j)) & 3) - 1) * d }
            }
        }
    }

    // MARK: codes

    /// Q4_0, Q4_1, IQ4_NL: the nibble of each element (low nibbles are elements 0…15).
    static func nibbleCodes(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>, bytes: Int, qsOffset: Int) {
        for b in 0..<n {
            let p = src + bytes * b, c = out + 32 * b
            for j in 0..<16 {
                let q = p.load(fromByteOffset: qsOffset + j, as: UInt8.self)
                c[j] = q & 0xF
                c[j + 16] = q >> 4
            }
        }
    }

    /// Q5_0, Q5_1: the five-bit value of each element.
    static func fiveBitCodes(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>, bytes: Int, qhOffset: Int) {
        for b in 0..<n {
            let p = src + bytes * b, c = out + 32 * b
            let qh = GGMLBytes.u32(p, qhOffset)
            for j in 0..<16 {
                let q = p.load(fromByteOffset: qhOffset + 4 + j, as: UInt8.self)
                c[j] = (q & 0xF) | UInt8(truncatingIfNeeded: ((qh >> UInt32(j)) << 4) & 0x10)
                c[j + 16] = (q >> 4) | UInt8(truncatingIfNeeded: (qh >> UInt32(j + 12)) & 0x10)
            }
        }
    }

    /// Q8_0, Q8_1, Q8_K: the int8 value q as the code q + 128, so that codes sort like values.
    static func int8Codes(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>, bytes: Int, qsOffset: Int, count: Int) {
        for b in 0..<n {
            let p = src + bytes * b, c = out + count * b
            for j in 0..<count { c[j] = p.load(fromByteOffset: qsOffset + j, as: UInt8.self) ^ 0x80 }
        }
    }

    static func codesQ1_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<n {
            let p = src + 18 * b, c = out + 128 * b
            for k in 0..<16 {
                let bits = p.load(fromByteOffset: 2 + k, as: UInt8.self)
                for j in 0..<8 { c[8 * k + j] = (bits >> UInt8(j)) & 1 }
            }
        }
    }

    static func codesQ2_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<n {
            let p = src + 18 * b, c = out + 64 * b
            for k in 0..<16 {
                let q = p.load(fromByteOffset: 2 + k, as: UInt8.self)
                for j in 0..<4 { c[4 * k + j] = (q >> UInt8(2 * j)) & 3 }
            }
        }
    }
}
