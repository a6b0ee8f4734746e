import TensorCore

/// An NF4/FP4 weight of a bitsandbytes checkpoint, dequantized block by block from the mapped file.
///
/// Element `e` is nibble `e mod 2` of byte `e / 2` (the high nibble first), and its value is
/// `f32(quantMap[nibble] · absmax[e / blocksize])` rounded to the quant state's dtype, which is what
/// bitsandbytes' `dequantize_4bit` returns. Only the per-block absmax (already resolved from its double
/// quantization) is held in memory; the codes are read where the file keeps them.
struct BitsandbytesFourBitReader: TensorReader {
    let info: TensorInfo
    let file: MappedFile
    /// The packed codes' bytes in `file`.
    let codes: Range<Int>
    let blocksize: Int
    /// The 16 code values (the checkpoint's `quant_map`).
    let codeValues: [Float]
    let absmax: [Float]
    let output: BitsandbytesLayout.Rounding

    var granularity: Int { 1 }

    func read(_ range: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(range.count == out.count && range.lowerBound >= 0 && range.upperBound <= info.count)
        guard !range.isEmpty, let dst = out.baseAddress else { return }
        let firstByte = range.lowerBound / 2
        let lastByte = (range.upperBound + 1) / 2
        let base = range.lowerBound
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { table in
            codeValues.withUnsafeBufferPointer { levels in
                file.withBytes((codes.lowerBound + firstByte)..<(codes.lowerBound + lastByte)) { raw in
                    // `raw[k]` is byte `firstByte + k`.
                    var e = range.lowerBound
                    while e < range.upperBound {
                        let block = e / blocksize
                        let end = min((block + 1) * blocksize, range.upperBound)
                        let scale = absmax[block]
                        // One product per code and block: every element of the block is one of these 16.
                        for k in 0..<16 { table[k] = rounded(levels[k] * scale) }
                        if e & 1 == 1 {
                            dst[e - base] = table[Int(raw[e / 2 - firstByte] & 0x0F)]
                            e += 1
                        }
                        while e + 1 < end {
                            let byte = raw[e / 2 - firstByte]
                            dst[e - base] = table[Int(byte >> 4)]
                            dst[e + 1 - base] = table[Int(byte & 0x0F)]
                            e += 2
                        }
                        if e < end {
                            dst[e - base] = table[Int(raw[e / 2 - firstByte] >> 4)]
                            e += 1
                        }
                    }
                }
            }
        }
    }

    @inline(__always) private func rounded(_ x: Float) -> Float {
        switch output {
        case .float32: x
        case .float16: HalfPrecision.roundToHalf(x)
        case .bfloat16: HalfPrecision.roundToBFloat16(x)
        }
    }
}
