import TensorCore

/// llama.cpp's reference quantizers for the legacy block formats (`quantize_row_*_ref`), one block of 32.
///
/// The scale is computed in float32 and used unrounded to quantize, then stored as fp16
/// and decoded with the fp16 value — the detail that decides bit-exactness. Q8_0
/// rounds half away from zero; Q4_0, Q4_1 and Q5_0 add 8.5 / 0.5 / 16.5 and truncate.
enum GGMLKernel: Sendable {
    case q8_0, q4_0, q4_1, q5_0, q4K, q6K

    /// Encodes one block of `length` contiguous values; returns the normalising scale and zero point.
    func run(x v: UnsafePointer<Float>, length: Int, minimum: Float, maximum: Float,
             codes c: UnsafeMutablePointer<UInt8>, deq y: UnsafeMutablePointer<Float>) -> BlockSide {
        var normScale: Float = 1
        var zeroPoint: Float = 0
        switch self {
        case .q8_0:
            var amax: Float = 0
            for j in 0..<length { amax = max(amax, abs(v[j])) }
            let d = amax / 127
            let id: Float = d == 0 ? 0 : 1 / d
            let dh = HalfPrecision.roundToHalf(d)
            for j in 0..<length {
                let q = (v[j] * id).rounded(.toNearestOrAwayFromZero)
                let k = q.isNaN ? 0 : Int(min(max(q, -128), 127))
                c[j] = UInt8(truncatingIfNeeded: k)
                y[j] = dh * Float(k)
            }
            normScale = dh != 0 ? dh : 1
        case .q4_0, .q5_0:
            // The value of largest magnitude (first one on a tie) maps to the most negative level.
            var amax: Float = 0, mx: Float = 0
            for j in 0..<length where amax < abs(v[j]) { amax = abs(v[j]); mx = v[j] }
            let levels: Float = self == .q4_0 ? 8 : 16
            let top = self == .q4_0 ? 15 : 31
            let d = mx / -levels
            let id: Float = d == 0 ? 0 : 1 / d
            let dh = HalfPrecision.roundToHalf(d)
            for j in 0..<length {
                let t = (v[j] * id + (levels + 0.5)).rounded(.towardZero)
                let q = t.isNaN ? Int(levels) : min(max(Int(t), 0), top)
                c[j] = UInt8(q)
                y[j] = dh * Float(q - Int(levels))
            }
            normScale = dh != 0 ? dh : 1
        case .q4_1:
            let lo = minimum, hi = maximum
            let d = (hi - lo) / 15
            let id: Float = d == 0 ? 0 : 1 / d
            let dh = HalfPrecision.roundToHalf(d), mh = HalfPrecision.roundToHalf(lo)
            for j in 0..<length {
                let t = ((v[j] - lo) * id + 0.5).rounded(.towardZero)
                let q = t.isNaN ? 0 : min(max(Int(t), 0), 15)
                c[j] = UInt8(q)
                y[j] = dh * Float(q) + mh
            }
            normScale = dh != 0 ? dh : 1
            zeroPoint = -mh / normScale
        case .q4K:
            KQuants.q4K(v, count: length, codes: c, deq: y, normScale: &normScale, zero: &zeroPoint)
        case .q6K:
            KQuants.q6K(v, count: length, codes: c, deq: y, normScale: &normScale)
        }
        return BlockSide(scale: normScale, zero: zeroPoint)
    }
}
