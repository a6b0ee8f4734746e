/// Double quantization of the per-block absmax, as bitsandbytes does it (QLoRA).
///
/// `offset = mean(absmax)`; `absmax − offset` is quantized with the signed
/// dynamic 8-bit map in blocks of 256 (whatever the outer block size), and
/// decoded as `f32(dyn[q] · nested_absmax[i / 256]) + offset`. The outer codes are
/// computed from the exact absmax; only dequantization sees the compressed one,
/// which is why bitsandbytes' packed bytes do not change with it.
public struct DoubleQuantState: Sendable, Equatable {
    /// Nested block size (256 in bitsandbytes).
    public static let nestedBlock = 256

    public let offset: Float
    /// 8-bit codes of `absmax − offset` in the signed dynamic map.
    public let codes: [UInt8]
    /// One float32 absmax per nested block of 256.
    public let nestedAbsmax: [Float]
    /// The absmax values dequantization uses.
    public let dequantizedAbsmax: [Float]

    /// Compresses `absmax`.
    public static func compress(_ absmax: [Float]) -> DoubleQuantState {
        let offset = meanAsTorch(absmax)
        let centred = absmax.map { $0 - offset }
        let grouping = Grouping(count: centred.count, rows: 1, cols: centred.count, block: .elements(nestedBlock))
        let nearest = TableKernels.dynamicSignedNearest
        var codes = [UInt8](repeating: 0, count: centred.count)
        var nested = [Float](repeating: 0, count: grouping.blockCount)
        var decoded = [Float](repeating: 0, count: centred.count)
        for b in 0..<grouping.blockCount {
            let (start, length, _) = grouping.extent(ofBlock: b)
            var m: Float = 0
            for i in start..<(start + length) where centred[i].isFinite { m = max(m, abs(centred[i])) }
            nested[b] = m
            let inv = 1 / m
            for i in start..<(start + length) {
                let c = nearest.index(of: centred[i] * inv)
                codes[i] = UInt8(c)
                decoded[i] = CodeTables.dynamicSigned[c] * m + offset
            }
        }
        return DoubleQuantState(offset: offset, codes: codes, nestedAbsmax: nested, dequantizedAbsmax: decoded)
    }

    /// Compresses the absmax of the blocks a sampled pass visited, as if they were the whole tensor, and
    /// places the results back at their blocks (unvisited blocks keep 0 and are never decoded).
    static func compress(_ absmax: [Float], visited: [Bool]) -> DoubleQuantState {
        var picked: [Float] = [], at: [Int] = []
        for (b, v) in visited.enumerated() where v { picked.append(absmax[b]); at.append(b) }
        let c = compress(picked)
        var codes = [UInt8](repeating: 0, count: absmax.count)
        var decoded = [Float](repeating: 0, count: absmax.count)
        for (k, b) in at.enumerated() { codes[b] = c.codes[k]; decoded[b] = c.dequantizedAbsmax[k] }
        return DoubleQuantState(offset: c.offset, codes: codes, nestedAbsmax: c.nestedAbsmax, dequantizedAbsmax: decoded)
    }

    /// Decodes absmax from stored codes (as a checkpoint holds them).
    public static func decode(codes: [UInt8], nestedAbsmax: [Float], offset: Float,
                              map: [Float] = CodeTables.dynamicSigned) -> [Float] {
        codes.enumerated().map { i, c in map[Int(c)] * nestedAbsmax[i / nestedBlock] + offset }
    }

    /// Stored bits: one byte per outer block, a float32 per nested block, and the float32 offset.
    public var storedBits: Int { codes.count * 8 + nestedAbsmax.count * 32 + 32 }

    /// The float32 mean the way torch's CPU `mean()` computes it (`TorchSum`), so that the
    /// offset matches bitsandbytes' stored `nested_offset`.
    static func meanAsTorch(_ xs: [Float]) -> Float { TorchSum.mean(xs) }
}
