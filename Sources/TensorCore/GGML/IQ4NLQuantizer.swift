/// llama.cpp's reference IQ4_NL quantizer (`quantize_row_iq4_nl_ref`: `quantize_row_iq4_nl_impl` with
/// one block of 32, no importance weights and `ntry = −1`), writing the block bytes.
///
/// Per block: d₀ = (value of largest |x|)/−127; each element takes the table level nearest to x/d₀
/// (`best_index_int8`); the stored scale is the x²-weighted least-squares scale for those levels,
/// `Σ w·q·x / Σ w·q²`, as fp16. With `ntry < 0` the reference neither searches other scales nor
/// re-quantizes with the stored one, so the levels are those of d₀.
///
/// One divergence, where the reference has no defined result: for a block whose |x| are all below 1e-15
/// the reference stores d = 0 and packs whatever its level buffer held from the previous block (stack
/// garbage for the first); qscope writes zero bytes. Every element decodes to 0 either way.
enum IQ4NLQuantizer {
    static func quantize(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        IQuantBlocks.iq4nl.withUnsafeBufferPointer { table in
            let values = table.baseAddress!
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 32) { levels in
                let L = levels.baseAddress!
                for b in 0..<nb {
                    let v = x + 32 * b, p = out + 18 * b
                    var amax: Float = 0, mx: Float = 0
                    for j in 0..<32 {
                        let ax = abs(v[j])
                        if ax > amax { amax = ax; mx = v[j] }
                    }
                    if amax < 1e-15 {
                        p.initializeMemory(as: UInt8.self, repeating: 0, count: 18)
                        continue
                    }
                    let d0 = mx / values[0]
                    let id = 1 / d0
                    var sumQX: Float = 0, sumQ2: Float = 0
                    for j in 0..<32 {
                        let l = GGMLFitting.bestIndex(values, 16, id * v[j])
                        L[j] = l
                        let q = values[l], w = v[j] * v[j]
                        sumQX += w * q * v[j]
                        sumQ2 += w * q * q
                    }
                    GGMLBytes.storeHalf(sumQ2 > 0 ? sumQX / sumQ2 : 0, p, 0)
                    for j in 0..<16 {
                        p.storeBytes(of: UInt8(L[j]) | UInt8(L[j + 16]) << 4, toByteOffset: 2 + j, as: UInt8.self)
                    }
                }
            }
        }
    }
}
