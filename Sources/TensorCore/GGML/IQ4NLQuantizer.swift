/// llama.cpp's IQ4_NL quantizers without importance weights, writing the block bytes: the reference
/// `quantize_row_iq4_nl_ref` (`quantize_row_iq4_nl_impl` with `ntry = −1`) and what `llama-quantize`
/// runs, `quantize_iq4_nl` (the same function with `ntry = 7`).
///
/// Per block of 32, weights w = x²: a first scale d₀ = (value of largest |x|)/∓127 gives each element the
/// table level nearest to x/d₀ (`best_index_int8`) and the weighted least-squares scale
/// `Σ w·q·x / Σ w·q²` for those levels. With `ntry = 7` the fit is repeated for 15 inverse scales
/// (itry − 127)/max, itry = −7…7, keeping the best, and the levels are then chosen again with the
/// (unrounded) best scale; with `ntry < 0` the first fit's levels and scale are kept. The scale is
/// stored as fp16.
///
/// One divergence from the reference path, where it has no defined result: for a block whose |x| are
/// all below 1e-15 `_ref` stores d = 0 and packs whatever its level buffer held from the previous block
/// (uninitialised for the first); qscope writes zero bytes. (`quantize_iq4_nl` is defined there: its
/// re-quantization with scale 0 picks level 8 everywhere, which qscope reproduces.)
enum IQ4NLQuantizer {
    static func quantize(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer, ntry: Int) {
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
                    var d: Float = 0
                    if amax < 1e-15 {
                        guard ntry > 0 else {
                            p.initializeMemory(as: UInt8.self, repeating: 0, count: 18)
                            continue
                        }
                    } else {
                        d = ntry > 0 ? -mx / values[0] : mx / values[0]
                        var id = 1 / d
                        var sumQX: Float = 0, sumQ2: Float = 0
                        for j in 0..<32 {
                            let l = GGMLFitting.bestIndex(values, 16, id * v[j])
                            L[j] = l
                            let q = values[l], w = v[j] * v[j]
                            sumQX += w * q * v[j]
                            sumQ2 += w * q * q
                        }
                        d = sumQ2 > 0 ? sumQX / sumQ2 : 0
                        var best = d * sumQX
                        if ntry > 0 {
                            for itry in -ntry...ntry {
                                id = (Float(itry) + values[0]) / mx
                                sumQX = 0
                                sumQ2 = 0
                                for j in 0..<32 {
                                    let q = values[GGMLFitting.bestIndex(values, 16, id * v[j])], w = v[j] * v[j]
                                    sumQX += w * q * v[j]
                                    sumQ2 += w * q * q
                                }
                                if sumQ2 > 0 && sumQX * sumQX > best * sumQ2 {
                                    d = sumQX / sumQ2
                                    best = d * sumQX
                                }
                            }
                        }
                    }
                    GGMLBytes.storeHalf(d, p, 0)
                    if ntry > 0 {
                        let id: Float = d != 0 ? 1 / d : 0
                        for j in 0..<32 { L[j] = GGMLFitting.bestIndex(values, 16, id * v[j]) }
                    }
                    for j in 0..<16 {
                        p.storeBytes(of: UInt8(L[j]) | UInt8(L[j + 16]) << 4, toByteOffset: 2 + j, as: UInt8.self)
                    }
                }
            }
        }
    }
}
