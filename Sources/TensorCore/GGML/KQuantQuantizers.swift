/// llama.cpp's reference K-quant quantizers (`quantize_row_q2_K_ref` … `quantize_row_q6_K_ref`, no
/// importance matrix), one super-block of 256 at a time, writing the block bytes.
///
/// Each sub-block is fitted (`make_qkx2_quants` for the asymmetric Q2_K/Q4_K/Q5_K, `make_q3_quants` for
/// Q3_K, `make_qx_quants` for Q6_K); the sub-block scales (and mins) are quantized to 4, 6 or 8 bits
/// under an fp16 super-block scale; then every value is quantized again with the scales as stored
/// (`nearest_int`, round half to even). A sub-block whose stored scale is zero keeps the levels of its
/// fit, as in the reference. Float32 arithmetic in the reference's order throughout.
enum KQuantQuantizers {
    typealias Fit = GGMLFitting

    /// Scratch for one super-block: levels, auxiliary levels, weights, scales and mins.
    struct Scratch {
        let L: UnsafeMutablePointer<UInt8>
        let Laux: UnsafeMutablePointer<UInt8>
        let weights: UnsafeMutablePointer<Float>
        let scales: UnsafeMutablePointer<Float>
        let mins: UnsafeMutablePointer<Float>

        static func with<R>(_ body: (Scratch) -> R) -> R {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { bytes in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 64) { floats in
                    let b = bytes.baseAddress!, f = floats.baseAddress!
                    return body(Scratch(L: b, Laux: b + 256, weights: f, scales: f + 32, mins: f + 48))
                }
            }
        }
    }

    // MARK: Q2_K

    static func q2_K(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        Scratch.with { s in
            for b in 0..<nb {
                let v = x + 256 * b, p = out + 84 * b
                let scalesOut = p.assumingMemoryBound(to: UInt8.self)
                var maxScale: Float = 0, maxMin: Float = 0
                for j in 0..<16 {
                    for l in 0..<16 { s.weights[l] = abs(v[16 * j + l]) }
                    let (scale, m) = Fit.makeQKX2(16, 3, v + 16 * j, s.weights, s.L + 16 * j, s.Laux,
                                                  rmin: -0.5, rdelta: 0.1, nstep: 15, useMAD: true)
                    s.scales[j] = scale
                    s.mins[j] = m
                    if scale > maxScale { maxScale = scale }
                    if m > maxMin { maxMin = m }
                }
                if maxScale > 0 {
                    let iscale = 15 / maxScale
                    for j in 0..<16 { scalesOut[j] = UInt8(truncatingIfNeeded: Fit.nearestInt(iscale * s.scales[j])) }
                    GGMLBytes.storeHalf(maxScale / 15, p, 80)
                } else {
                    for j in 0..<16 { scalesOut[j] = 0 }
                    GGMLBytes.storeHalf(0, p, 80)
                }
                if maxMin > 0 {
                    let iscale = 15 / maxMin
                    for j in 0..<16 { scalesOut[j] |= UInt8(truncatingIfNeeded: Fit.nearestInt(iscale * s.mins[j]) << 4) }
                    GGMLBytes.storeHalf(maxMin / 15, p, 82)
                } else {
                    GGMLBytes.storeHalf(0, p, 82)
                }
                let dAll = GGMLBytes.half(p, 80), dminAll = GGMLBytes.half(p, 82)
                for j in 0..<16 {
                    let d = dAll * Float(scalesOut[j] & 0xF)
                    if d == 0 { continue }
                    let dm = dminAll * Float(scalesOut[j] >> 4)
                    for i in 0..<16 {
                        s.L[16 * j + i] = UInt8(truncatingIfNeeded: max(0, min(3, Fit.nearestInt((v[16 * j + i] + dm) / d))))
                    }
                }
                packTwoBit(s.L, p + 16)
            }
        }
    }

    /// Four 2-bit levels per byte: byte 32h + l holds elements 128h + l + 32k at bits 2k.
    @inline(__always)
    static func packTwoBit(_ L: UnsafeMutablePointer<UInt8>, _ q: UnsafeMutableRawPointer) {
        for h in 0..<2 {
            for l in 0..<32 {
                let j = 128 * h
                let byte = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6)
                q.storeBytes(of: byte, toByteOffset: 32 * h + l, as: UInt8.self)
            }
        }
    }

    // MARK: Q3_K

    static func q3_K(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        Scratch.with { s in
            let L = UnsafeMutableRawPointer(s.L).assumingMemoryBound(to: Int8.self)
            for b in 0..<nb {
                let v = x + 256 * b, p = out + 110 * b
                let sc = (p + 96).assumingMemoryBound(to: UInt8.self)
                var maxScale: Float = 0, amax: Float = 0
                for j in 0..<16 {
                    s.scales[j] = Fit.makeQ3(16, 4, v + 16 * j, L + 16 * j)
                    let scale = abs(s.scales[j])
                    if scale > amax { amax = scale; maxScale = s.scales[j] }
                }
                for k in 0..<12 { sc[k] = 0 }
                if maxScale != 0 {
                    let iscale = -32 / maxScale
                    for j in 0..<16 {
                        var l = Int8(truncatingIfNeeded: Fit.nearestInt(iscale * s.scales[j]))
                        l = Int8(max(-32, min(31, Int32(l))) + 32)
                        if j < 8 { sc[j] = UInt8(l & 0xF) } else { sc[j - 8] |= UInt8(l & 0xF) << 4 }
                        l >>= 4
                        sc[j % 4 + 8] |= UInt8(l) << UInt8(2 * (j / 4))
                    }
                    GGMLBytes.storeHalf(1 / iscale, p, 108)
                } else {
                    GGMLBytes.storeHalf(0, p, 108)
                }
                let dAll = GGMLBytes.half(p, 108)
                for j in 0..<16 {
                    let d = dAll * Float(KQuantBlocks.q3Scale(p + 96, j))
                    if d == 0 { continue }
                    for i in 0..<16 {
                        L[16 * j + i] = Int8(max(-4, min(3, Fit.nearestInt(v[16 * j + i] / d))) + 4)
                    }
                }
                // The third bit of the first 32 levels goes to bit 0 of hmask[0…31], of the next 32 to bit 1, …
                let hmask = p.assumingMemoryBound(to: UInt8.self)
                for k in 0..<32 { hmask[k] = 0 }
                for j in 0..<256 where L[j] > 3 {
                    hmask[j % 32] |= UInt8(1) << UInt8(j / 32)
                    L[j] -= 4
                }
                packTwoBit(s.L, p + 32)
            }
        }
    }

    // MARK: Q4_K, Q5_K

    /// The fits and 6-bit scales shared by Q4_K and Q5_K; writes d, dmin and the 12 scale bytes, and
    /// re-quantizes into `s.L` with the stored scales.
    static func q45K(_ v: UnsafePointer<Float>, _ p: UnsafeMutableRawPointer, _ s: Scratch, nmax: Int32, rmin: Float, nstep: Int) {
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
            var sumX2: Float = 0
            for l in 0..<32 { sumX2 += v[32 * j + l] * v[32 * j + l] }
            let avX = (sumX2 / 32).squareRoot()
            for l in 0..<32 { s.weights[l] = avX + abs(v[32 * j + l]) }
            let (scale, m) = Fit.makeQKX2(32, nmax, v + 32 * j, s.weights, s.L + 32 * j, s.Laux,
                                          rmin: rmin, rdelta: 0.1, nstep: nstep, useMAD: false)
            s.scales[j] = scale
            s.mins[j] = m
            if scale > maxScale { maxScale = scale }
            if m > maxMin { maxMin = m }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        let sc = (p + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<8 {
            let ls = min(63, UInt8(truncatingIfNeeded: Fit.nearestInt(invScale * s.scales[j])))
            let lm = min(63, UInt8(truncatingIfNeeded: Fit.nearestInt(invMin * s.mins[j])))
            if j < 4 {
                sc[j] = ls
                sc[j + 4] = lm
            } else {
                sc[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4)
                sc[j - 4] |= (ls >> 4) << 6
                sc[j] |= (lm >> 4) << 6
            }
        }
        GGMLBytes.storeHalf(maxScale / 63, p, 0)
        GGMLBytes.storeHalf(maxMin / 63, p, 2)
        let dAll = GGMLBytes.half(p, 0), dminAll = GGMLBytes.half(p, 2)
        for j in 0..<8 {
            let (scj, mj) = KQuantBlocks.scaleMin(p + 4, j)
            let d = dAll * Float(scj)
            if d == 0 { continue }
            let dm = dminAll * Float(mj)
            for i in 0..<32 {
                s.L[32 * j + i] = UInt8(truncatingIfNeeded: max(0, min(nmax, Fit.nearestInt((v[32 * j + i] + dm) / d))))
            }
        }
    }

    static func q4_K(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        Scratch.with { s in
            for b in 0..<nb {
                let v = x + 256 * b, p = out + 144 * b
                q45K(v, p, s, nmax: 15, rmin: -1, nstep: 20)
                for c in 0..<4 {
                    for l in 0..<32 {
                        p.storeBytes(of: s.L[64 * c + l] | (s.L[64 * c + l + 32] << 4), toByteOffset: 16 + 32 * c + l, as: UInt8.self)
                    }
                }
            }
        }
    }

    static func q5_K(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        Scratch.with { s in
            for b in 0..<nb {
                let v = x + 256 * b, p = out + 176 * b
                q45K(v, p, s, nmax: 31, rmin: -0.5, nstep: 15)
                let qh = (p + 16).assumingMemoryBound(to: UInt8.self)
                for k in 0..<32 { qh[k] = 0 }
                var m1: UInt8 = 1, m2: UInt8 = 2
                for c in 0..<4 {
                    for j in 0..<32 {
                        var l1 = s.L[64 * c + j], l2 = s.L[64 * c + j + 32]
                        if l1 > 15 { l1 -= 16; qh[j] |= m1 }
                        if l2 > 15 { l2 -= 16; qh[j] |= m2 }
                        p.storeBytes(of: l1 | (l2 << 4), toByteOffset: 48 + 32 * c + j, as: UInt8.self)
                    }
                    m1 <<= 2
                    m2 <<= 2
                }
            }
        }
    }

    // MARK: Q6_K

    static func q6_K(_ x: UnsafePointer<Float>, _ nb: Int, _ out: UnsafeMutableRawPointer) {
        Scratch.with { s in
            let L = UnsafeMutableRawPointer(s.L).assumingMemoryBound(to: Int8.self)
            for b in 0..<nb {
                let v = x + 256 * b, p = out + 210 * b
                var maxScale: Float = 0, maxAbsScale: Float = 0
                for ib in 0..<16 {
                    let scale = Fit.makeQX(16, 32, v + 16 * ib, L + 16 * ib)
                    s.scales[ib] = scale
                    if abs(scale) > maxAbsScale { maxAbsScale = abs(scale); maxScale = scale }
                }
                if maxAbsScale < 1e-15 { // GROUP_MAX_EPS: the whole block is zero bytes
                    p.initializeMemory(as: UInt8.self, repeating: 0, count: 210)
                    continue
                }
                let iscale = -128 / maxScale
                GGMLBytes.storeHalf(1 / iscale, p, 208)
                let sc = (p + 192).assumingMemoryBound(to: Int8.self)
                for ib in 0..<16 { sc[ib] = Int8(truncatingIfNeeded: min(127, Fit.nearestInt(iscale * s.scales[ib]))) }
                let dAll = GGMLBytes.half(p, 208)
                for j in 0..<16 {
                    let d = dAll * Float(sc[j])
                    if d == 0 { continue }
                    for i in 0..<16 {
                        L[16 * j + i] = Int8(max(-32, min(31, Fit.nearestInt(v[16 * j + i] / d))) + 32)
                    }
                }
                for h in 0..<2 {
                    let j = 128 * h
                    for l in 0..<32 {
                        let q1 = UInt8(L[j + l]), q2 = UInt8(L[j + l + 32]), q3 = UInt8(L[j + l + 64]), q4 = UInt8(L[j + l + 96])
                        p.storeBytes(of: (q1 & 0xF) | ((q3 & 0xF) << 4), toByteOffset: 64 * h + l, as: UInt8.self)
                        p.storeBytes(of: (q2 & 0xF) | ((q4 & 0xF) << 4), toByteOffset: 64 * h + l + 32, as: UInt8.self)
                        p.storeBytes(of: (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6),
                                     toByteOffset: 128 + 32 * h + l, as: UInt8.self)
                    }
                }
            }
        }
    }
}
