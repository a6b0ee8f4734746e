/// llama.cpp's reference quantizers for the legacy blocks of 32 (`quantize_row_q4_0_ref`, `_q4_1_ref`,
/// `_q5_0_ref`, `_q5_1_ref`, `_q8_0_ref`), writing the block bytes.
///
/// The traps that decide bit-exactness, all kept: the scale is computed in float32 and used unrounded
/// (as `1/d`) to quantize, but stored as fp16; Q4_0/Q5_0 take the sign of the value of largest
/// magnitude (the first one on a tie) so that it lands exactly on code 0, and round by adding 8.5 / 16.5
/// and truncating; Q4_1/Q5_1 add 0.5 and truncate; Q8_0 rounds half away from zero (`roundf`). The bytes
/// equal gguf-py's NumPy quantizers, which match the C reference.
enum LegacyQuantizers {
    /// `(int)(v)` as C converts a float in range; NaN (undefined in C) becomes 0.
    @inline(__always)
    static func truncated(_ v: Float) -> Int32 {
        v.isNaN ? 0 : Int32(max(-128, min(255, v.rounded(.towardZero))))
    }

    /// The value of largest magnitude, the first one on a tie (`amax < fabsf(v)`).
    @inline(__always)
    static func signedMax(_ x: UnsafePointer<Float>) -> Float {
        var amax: Float = 0, mx: Float = 0
        for j in 0..<32 where amax < abs(x[j]) { amax = abs(x[j]); mx = x[j] }
        return mx
    }

    @inline(__always)
    static func minMax(_ x: UnsafePointer<Float>) -> (Float, Float) {
        var mn = Float.greatestFiniteMagnitude, mx = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            if x[j] < mn { mn = x[j] }
            if x[j] > mx { mx = x[j] }
        }
        return (mn, mx)
    }

    static func q4_0(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        for b in 0..<nb {
            let v = x + 32 * b, p = out + 18 * b
            let d = signedMax(v) / -8
            let id: Float = d != 0 ? 1 / d : 0
            GGMLBytes.storeHalf(d, p, 0)
            for j in 0..<16 {
                let x0 = min(15, truncated(v[j] * id + 8.5)), x1 = min(15, truncated(v[j + 16] * id + 8.5))
                p.storeBytes(of: UInt8(truncatingIfNeeded: x0) | UInt8(truncatingIfNeeded: x1) << 4, toByteOffset: 2 + j, as: UInt8.self)
            }
        }
    }

    static func q4_1(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        for b in 0..<nb {
            let v = x + 32 * b, p = out + 20 * b
            let (mn, mx) = minMax(v)
            let d = (mx - mn) / 15
            let id: Float = d != 0 ? 1 / d : 0
            GGMLBytes.storeHalf(d, p, 0)
            GGMLBytes.storeHalf(mn, p, 2)
            for j in 0..<16 {
                let x0 = min(15, truncated((v[j] - mn) * id + 0.5)), x1 = min(15, truncated((v[j + 16] - mn) * id + 0.5))
                p.storeBytes(of: UInt8(truncatingIfNeeded: x0) | UInt8(truncatingIfNeeded: x1) << 4, toByteOffset: 4 + j, as: UInt8.self)
            }
        }
    }

    static func q5_0(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        for b in 0..<nb {
            let v = x + 32 * b, p = out + 22 * b
            let d = signedMax(v) / -16
            let id: Float = d != 0 ? 1 / d : 0
            GGMLBytes.storeHalf(d, p, 0)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let x0 = UInt32(truncatingIfNeeded: min(31, truncated(v[j] * id + 16.5)))
                let x1 = UInt32(truncatingIfNeeded: min(31, truncated(v[j + 16] * id + 16.5)))
                p.storeBytes(of: UInt8(truncatingIfNeeded: (x0 & 0xF) | (x1 & 0xF) << 4), toByteOffset: 6 + j, as: UInt8.self)
                qh |= ((x0 & 0x10) >> 4) << UInt32(j)
                qh |= ((x1 & 0x10) >> 4) << UInt32(j + 16)
            }
            GGMLBytes.storeU32(qh, p, 2)
        }
    }

    static func q5_1(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        for b in 0..<nb {
            let v = x + 32 * b, p = out + 24 * b
            let (mn, mx) = minMax(v)
            let d = (mx - mn) / 31
            let id: Float = d != 0 ? 1 / d : 0
            GGMLBytes.storeHalf(d, p, 0)
            GGMLBytes.storeHalf(mn, p, 2)
            var qh: UInt32 = 0
            for j in 0..<16 {
                // The C reference does not clamp here ((max − min)·id + 0.5 < 32 always); gguf-py clips to 31.
                let x0 = UInt32(truncatingIfNeeded: min(31, truncated((v[j] - mn) * id + 0.5)))
                let x1 = UInt32(truncatingIfNeeded: min(31, truncated((v[j + 16] - mn) * id + 0.5)))
                p.storeBytes(of: UInt8(truncatingIfNeeded: (x0 & 0xF) | (x1 & 0xF) << 4), toByteOffset: 8 + j, as: UInt8.self)
                qh |= ((x0 & 0x10) >> 4) << UInt32(j)
                qh |= ((x1 & 0x10) >> 4) << UInt32(j + 16)
            }
            GGMLBytes.storeU32(qh, p, 4)
        }
    }

    static func q8_0(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        for b in 0..<nb {
            let v = x + 32 * b, p = out + 34 * b
            var amax: Float = 0
            for j in 0..<32 { let a = abs(v[j]); amax = amax > a ? amax : a } // C's MAX(amax, fabsf(v))
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            GGMLBytes.storeHalf(d, p, 0)
            for j in 0..<32 {
                let q = (v[j] * id).rounded(.toNearestOrAwayFromZero)
                p.storeBytes(of: Int8(q.isNaN ? 0 : max(-128, min(127, q))), toByteOffset: 2 + j, as: Int8.self)
            }
        }
    }
}
