/// Decodes stored codes and scales back to floats, on their own.
///
/// The quantizer already writes the dequantized values while it encodes (one pass over memory),
/// so the workbench never needs this; it exists for what a user of a quantized checkpoint does
/// (decode codes that were stored) and for `qscope bench`, which times decoding separately. Every
/// value it returns is bit-identical to the quantizer's own `dequantized` (a test holds it to that).
public enum Dequantizer {
    /// Whether `decode` supports the datatype (the GGUF block formats and casts keep no separate
    /// decoding path: their stored form is the GGUF block itself, or the 16-bit value).
    public static func supports(_ dtype: DataType) -> Bool {
        switch dtype.family {
        case .ggml, .cast: false
        default: true
        }
    }

    /// The values `q.codes` and `q`'s scales stand for; nil for a datatype `supports` refuses.
    public static func decode(_ q: QuantizedTensor, threads: Int = Parallel.defaultThreads) -> [Float]? {
        guard supports(q.config.dtype) else { return nil }
        let n = q.grouping.count
        var out = [Float](repeating: 0, count: n)
        guard n > 0 else { return out }
        let grouping = q.grouping
        let decodeAbsmax = q.doubleQuant?.dequantizedAbsmax ?? q.absmax
        let family = q.config.dtype.family
        out.withUnsafeMutableBufferPointer { ob in
            q.codes.withUnsafeBufferPointer { cb in
            q.codebook.levels.withUnsafeBufferPointer { table in
                let dst = SharedMutablePointer(ob.baseAddress!)
                let codes = SharedPointer(cb.baseAddress!)
                let levels = SharedPointer(table.baseAddress!)
                Parallel.forEachChunk(count: grouping.blockCount, threads: threads, minimumPerChunk: 256) { range in
                    for b in range {
                        let (start, length, stride) = grouping.extent(ofBlock: b)
                        Self.decodeBlock(family: family, b: b, start: start, length: length, stride: stride,
                                         codes: codes.base, table: levels.base, decodeAbsmax: decodeAbsmax[b],
                                         q: q, out: dst.base)
                    }
                }
            }}
        }
        return out
    }

    @inline(__always)
    private static func decodeBlock(family: DataType.Family, b: Int, start: Int, length: Int, stride: Int,
                                    codes: UnsafePointer<UInt8>, table: UnsafePointer<Float>, decodeAbsmax: Float,
                                    q: QuantizedTensor, out: UnsafeMutablePointer<Float>) {
        var i = start
        switch family {
        case .symmetricInt(let bits):
            let qmax = Float((1 << (bits - 1)) - 1)
            let inv: Float = 1 / qmax
            let offset = (1 << (bits - 1)) - 1
            for _ in 0..<length {
                let k = Float(Int(codes[i]) - offset)
                out[i] = (k * decodeAbsmax) * inv
                i += stride
            }
        case .asymmetricInt:
            let s = q.normScale[b], z = q.zeroPoints[b]
            for _ in 0..<length {
                out[i] = s * (Float(codes[i]) - z)
                i += stride
            }
        case .table, .quantile:
            if stride == 1 {
                // Contiguous blocks: eight lookups, one vector multiply.
                let scale = SIMD8<Float>(repeating: decodeAbsmax)
                var j = 0
                while j + 8 <= length {
                    var v = SIMD8<Float>()
                    for l in 0..<8 { v[l] = table[Int(codes[i + j + l])] }
                    v *= scale
                    for l in 0..<8 { out[i + j + l] = v[l] }
                    j += 8
                }
                while j < length { out[i + j] = table[Int(codes[i + j])] * decodeAbsmax; j += 1 }
            } else {
                for _ in 0..<length { out[i] = table[Int(codes[i])] * decodeAbsmax; i += stride }
            }
        case .scaledFloat(let f):
            let scale = decodeAbsmax / f.maxValue
            for _ in 0..<length { out[i] = table[Int(codes[i])] * scale; i += stride }
        case .microscaling(.some), .nvfp4:
            let scale = q.normScale[b]
            for _ in 0..<length { out[i] = table[Int(codes[i])] * scale; i += stride }
        case .microscaling(.none):
            let scale = q.normScale[b]
            for _ in 0..<length {
                out[i] = (Float(Int8(bitPattern: codes[i])) / 64) * scale
                i += stride
            }
        case .ggml, .cast:
            break
        }
    }
}
