import TensorCore

/// Decodes stored codes and scales back to floats, on their own.
///
/// The quantizer already writes the dequantized values while it encodes (one pass over memory),
/// so the workbench never needs this; it exists for what a user of a quantized checkpoint does
/// (decode codes that were stored) and for `qscope bench`, which times decoding separately. Every
/// value it returns is bit-identical to the quantizer's own `dequantized` (a test holds it to that).
public enum Dequantizer {
    /// Whether `decode` supports the datatype: its stored form is codes plus per-block side data (not
    /// llama.cpp's block bytes, which `GGMLType` decodes, nor a cast's 16-bit values).
    public static func supports(_ dtype: DataType) -> Bool { dtype.traits.decodesFromCodes }

    /// The values `q.codes` and `q`'s scales stand for; nil for a datatype `supports` refuses.
    public static func decode(_ q: QuantizedTensor, threads: Int = Parallel.defaultThreads) -> [Float]? {
        guard supports(q.config.dtype) else { return nil }
        return q.config.dtype.entry.decode(q, threads)
    }
}

extension FormatEntry {
    /// Decodes a whole quantized tensor with this format's codec.
    func decode(_ q: QuantizedTensor, _ threads: Int) -> [Float] {
        func open<F: QuantFormat>(_ f: F) -> [Float] { Decoding<F>.run(f, q, threads) }
        return open(format)
    }
}

/// The decoding loop of one format, over every block of a quantized tensor.
enum Decoding<F: QuantFormat> {
    static func run(_ format: F, _ q: QuantizedTensor, _ threads: Int) -> [Float] {
        let n = q.grouping.count
        var out = [Float](repeating: 0, count: n)
        guard n > 0 else { return out }
        let grouping = q.grouping
        let tensorAbsmax = q.tensorScale.map { $0 * 6 * 448 } ?? 0
        let codec = format.codec(codebook: q.codebook, tensorAbsmax: tensorAbsmax)
        let decodeAbsmax = q.doubleQuant?.dequantizedAbsmax ?? q.absmax
        out.withUnsafeMutableBufferPointer { ob in
            q.codes.withUnsafeBufferPointer { cb in
                let dst = SharedMutablePointer(ob.baseAddress!)
                let codes = SharedPointer(cb.baseAddress!)
                Parallel.forEachChunk(count: grouping.blockCount, threads: threads, minimumPerChunk: 256) { range in
                    for b in range {
                        let (start, length, stride) = grouping.extent(ofBlock: b)
                        let side = BlockSide(scale: q.normScale[b], zero: q.zeroPoints.isEmpty ? 0 : q.zeroPoints[b])
                        let st = BlockStatistic(minimum: q.blockMinimum[b], maximum: q.blockMaximum[b], absmax: q.absmax[b],
                                                decodeAbsmax: decodeAbsmax[b])
                        codec.decode(codes.base + start, count: length, stride: stride, side: side, statistic: st,
                                     into: dst.base + start)
                    }
                }
            }
        }
        return out
    }
}
