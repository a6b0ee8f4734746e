/// LLM.int8()'s vector-wise int8 quantization (`int8_vectorwise_quant`).
///
/// One absmax per row, `q = round_half_even(x · f32(127 / absmax))`. With a
/// threshold t > 0, elements with |x| ≥ t are left out of their row's absmax,
/// and every column holding one is an outlier column: zeroed in the int8 output
/// (when there is more than one row) because LLM.int8() computes those columns
/// in 16-bit instead.
public struct Int8Vectorwise: Sendable, Equatable {
    public var codes: [Int8]
    public var rowStats: [Float]
    public var outlierColumns: [Int]

    /// bitsandbytes' dequantization constant, f32(1/127).
    public static let inverse127 = Float(bitPattern: 0x3c010204)

    public static func quantize(_ x: [Float], rows: Int, cols: Int, threshold: Float = 0) -> Int8Vectorwise {
        precondition(x.count == rows * cols)
        var stats = [Float](repeating: 0, count: rows)
        var outlier = [Bool](repeating: false, count: cols)
        for r in 0..<rows {
            var m: Float = 0
            for c in 0..<cols {
                let a = abs(x[r * cols + c])
                if threshold > 0 && a >= threshold { outlier[c] = true; continue }
                if a > m { m = a }
            }
            stats[r] = m
        }
        var codes = [Int8](repeating: 0, count: x.count)
        for r in 0..<rows {
            let mult: Float = stats[r] > 0 ? 127 / stats[r] : 0
            for c in 0..<cols {
                let v = x[r * cols + c]
                if threshold > 0 && abs(v) >= threshold { continue }
                if rows > 1 && outlier[c] { continue }
                var q = (v * mult).rounded(.toNearestOrEven)
                if q.isNaN { q = 0 }
                codes[r * cols + c] = Int8(Swift.min(Swift.max(q, -127), 127))
            }
        }
        let cols = outlier.indices.filter { outlier[$0] }
        return Int8Vectorwise(codes: codes, rowStats: stats, outlierColumns: cols)
    }

    /// `q · rowStats[row] · f32(1/127)`, as `int8_vectorwise_dequant`.
    public func dequantize(cols: Int) -> [Float] {
        codes.enumerated().map { i, q in (Float(q) * rowStats[i / cols]) * Int8Vectorwise.inverse127 }
    }
}
