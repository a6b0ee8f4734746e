import TensorCore

/// An LLM.int8() weight (`Linear8bitLt`'s CB with its row absmax SCB), dequantized from the mapped file.
///
/// bitsandbytes' `int8_vectorwise_dequant` computes `A * stats.view(-1, 1) * 7.874015718698502e-3` in
/// float32: `f32(f32(q · SCB[row]) · f32(1/127))`, which differs from `q · SCB / 127` in the last bit for
/// about half the values; this reader does the same two products.
struct BitsandbytesInt8Reader: TensorReader {
    /// f32(1/127) = 0x3c010204, the reciprocal bitsandbytes multiplies by.
    static let reciprocal127 = Float(bitPattern: 0x3C01_0204)

    let info: TensorInfo
    let file: MappedFile
    /// The I8 codes' bytes in `file`, row-major `[rows, cols]`.
    let codes: Range<Int>
    let cols: Int
    /// One absmax per row.
    let scb: [Float]

    var granularity: Int { 1 }

    func read(_ range: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(range.count == out.count && range.lowerBound >= 0 && range.upperBound <= info.count)
        guard !range.isEmpty, let dst = out.baseAddress else { return }
        let r = Self.reciprocal127
        file.withBytes((codes.lowerBound + range.lowerBound)..<(codes.lowerBound + range.upperBound)) { raw in
            var e = range.lowerBound
            while e < range.upperBound {
                let row = e / cols
                let end = min((row + 1) * cols, range.upperBound)
                let s = scb[row]
                for i in e..<end {
                    let q = Float(Int8(bitPattern: raw[i - range.lowerBound]))
                    dst[i - range.lowerBound] = (q * s) * r
                }
                e = end
            }
        }
    }
}
