/// The ternary super-blocks of 256 (BitNet b1.58 style weights): decoding and codes.
///
/// - TQ1_0 (54 bytes): qs[48] with five trits per byte, qh[4] with four, fp16 d. A byte holds its trits
///   as a fixed-point fraction: trit n of byte q is `((q·3^n mod 256)·3) >> 8`, most significant first.
///   Elements: bytes 0…31 give elements 32n + m (n = 0…4), bytes 32…47 give 160 + 16n + m, qh gives
///   240 + 4n + j (n = 0…3). x = (trit − 1)·d.
/// - TQ2_0 (66): qs[64] of 2-bit fields, fp16 d; element 128h + 32l + m is bits 2l of byte 32h + m;
///   x = (q − 1)·d (the unused field value 3 decodes to 2·d).
///
/// Source functions: ggml's `dequantize_row_tq1_0`, `dequantize_row_tq2_0`.
enum TernaryBlocks {
    /// Trit n of byte q, with `multiplier` = 3^n.
    @inline(__always)
    static func trit(_ q: UInt8, _ multiplier: UInt8) -> UInt8 {
        UInt8((UInt16(q &* multiplier) * 3) >> 8)
    }

    /// Trits 0…2 of every element in order.
    static func codesTQ1_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<n {
            let p = src + 54 * b, c = out + 256 * b
            var mul: UInt8 = 1
            for k in 0..<5 {
                for m in 0..<32 { c[32 * k + m] = trit(p.load(fromByteOffset: m, as: UInt8.self), mul) }
                mul &*= 3
            }
            mul = 1
            for k in 0..<5 {
                for m in 0..<16 { c[160 + 16 * k + m] = trit(p.load(fromByteOffset: 32 + m, as: UInt8.self), mul) }
                mul &*= 3
            }
            mul = 1
            for k in 0..<4 {
                for j in 0..<4 { c[240 + 4 * k + j] = trit(p.load(fromByteOffset: 48 + j, as: UInt8.self), mul) }
                mul &*= 3
            }
        }
    }

    static func decodeTQ1_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { codes in
            let c = codes.baseAddress!
            for b in 0..<n {
                let p = src + 54 * b, y = out + 256 * b
                codesTQ1_0(p, 1, c)
                let d = GGMLBytes.half(p, 52)
                for j in 0..<256 { y[j] = Float(Int32(c[j]) - 1) * d }
            }
        }
    }

    static func codesTQ2_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<n {
            let p = src + 66 * b, c = out + 256 * b
            for h in 0..<2 {
                for l in 0..<4 {
                    for m in 0..<32 { c[128 * h + 32 * l + m] = (p.load(fromByteOffset: 32 * h + m, as: UInt8.self) >> UInt8(2 * l)) & 3 }
                }
            }
        }
    }

    static func decodeTQ2_0(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 66 * b, y = out + 256 * b
            let d = GGMLBytes.half(p, 64)
            for h in 0..<2 {
                for l in 0..<4 {
                    let shift = UInt8(2 * l)
                    for m in 0..<32 {
                        y[128 * h + 32 * l + m] = Float(Int32((p.load(fromByteOffset: 32 * h + m, as: UInt8.self) >> shift) & 3) - 1) * d
                    }
                }
            }
        }
    }
}
