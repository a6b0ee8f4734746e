import TensorCore

/// llama.cpp's reference K-quant quantizers (`quantize_row_q4_K_ref`, `quantize_row_q6_K_ref`), one
/// super-block of 256 values, without an importance matrix.
///
/// Float32 arithmetic in the reference's order; `nearestInt` is ggml's `nearest_int` (round to nearest
/// even through the 1.5·2^23 trick). The sub-block scales are fitted, quantized to 6 or 8 bits under an
/// fp16 super-block scale, and the values are quantized again with the scales as stored.
enum KQuants {
    @inline(__always)
    static func nearestInt(_ x: Float) -> Int {
        let v = x + 12582912
        return Int(Int32(bitPattern: v.bitPattern) & 0x007FFFFF) - 0x00400000
    }

    /// `make_qkx2_quants`: an asymmetric fit of `n` values to 0…nmax with a weighted search over scales.
    static func makeQKX2(_ x: UnsafePointer<Float>, n: Int, nmax: Int, weights w: [Float], L: inout [UInt8], lOffset: Int,
                         rmin: Float, rdelta: Float, nstep: Int) -> (scale: Float, min: Float) {
        var mn = x[0], mx = x[0]
        var sumW = w[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < mn { mn = x[i] }
            if x[i] > mx { mx = x[i] }
            sumW += w[i]
            sumX += w[i] * x[i]
        }
        if mn > 0 { mn = 0 }
        if mx == mn {
            for i in 0..<n { L[lOffset + i] = 0 }
            return (0, -mn)
        }
        var iscale = Float(nmax) / (mx - mn)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = min(max(nearestInt(iscale * (x[i] - mn)), 0), nmax)
            L[lOffset + i] = UInt8(l)
            let diff = scale * Float(l) + mn - x[i]
            bestError += w[i] * (diff * diff)
        }
        var aux = [UInt8](repeating: 0, count: n)
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (mx - mn)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = min(max(nearestInt(iscale * (x[i] - mn)), 0), nmax)
                aux[i] = UInt8(l)
                let wl = w[i] * Float(l)
                sumL += wl
                sumL2 += wl * Float(l)
                sumXL += wl * x[i]
            }
            let d = sumW * sumL2 - sumL * sumL
            if d > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / d
                var thisMin = (sumL2 * sumX - sumL * sumXL) / d
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var err: Float = 0
                for i in 0..<n {
                    let diff = thisScale * Float(aux[i]) + thisMin - x[i]
                    err += w[i] * (diff * diff)
                }
                if err < bestError {
                    for i in 0..<n { L[lOffset + i] = aux[i] }
                    bestError = err
                    scale = thisScale
                    mn = thisMin
                }
            }
        }
        return (scale, -mn)
    }

    /// One Q4_K super-block: codes 0…15, decoded `d·sc·q − dmin·m` per sub-block of 32.
    static func q4K(_ x: UnsafePointer<Float>, count: Int, codes: UnsafeMutablePointer<UInt8>, deq: UnsafeMutablePointer<Float>,
                    normScale: inout Float, zero: inout Float) {
        var L = [UInt8](repeating: 0, count: 256)
        var scales = [Float](repeating: 0, count: 8), mins = [Float](repeating: 0, count: 8)
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
            let sub = x + 32 * j
            var sumX2: Float = 0
            for l in 0..<32 { sumX2 += sub[l] * sub[l] }
            let avX = (sumX2 / 32).squareRoot()
            let weights = (0..<32).map { avX + abs(sub[$0]) }
            let (s, m) = makeQKX2(sub, n: 32, nmax: 15, weights: weights, L: &L, lOffset: 32 * j, rmin: -1, rdelta: 0.1, nstep: 20)
            scales[j] = s; mins[j] = m
            if s > maxScale { maxScale = s }
            if m > maxMin { maxMin = m }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        var sc = [Int](repeating: 0, count: 8), mq = [Int](repeating: 0, count: 8)
        for j in 0..<8 {
            sc[j] = min(63, Int(UInt8(truncatingIfNeeded: nearestInt(invScale * scales[j]))))
            mq[j] = min(63, Int(UInt8(truncatingIfNeeded: nearestInt(invMin * mins[j]))))
        }
        let d = HalfPrecision.roundToHalf(maxScale / 63)
        let dmin = HalfPrecision.roundToHalf(maxMin / 63)
        var best = 0
        for j in 0..<8 {
            if sc[j] > sc[best] { best = j }
            let dj = d * Float(sc[j])
            let dm = dmin * Float(mq[j])
            if dj != 0 {
                for i in 0..<32 { L[32 * j + i] = UInt8(min(max(nearestInt((x[32 * j + i] + dm) / dj), 0), 15)) }
            }
            for i in 0..<32 {
                codes[32 * j + i] = L[32 * j + i]
                deq[32 * j + i] = dj * Float(L[32 * j + i]) - dm
            }
        }
        let s = d * Float(sc[best])
        normScale = s != 0 ? s : 1
        zero = (dmin * Float(mq[best])) / normScale
        _ = count
    }

    /// `make_qx_quants` with rmse_type 1: a symmetric fit to −nmax…nmax−1 weighted by x².
    static func makeQX(_ x: UnsafePointer<Float>, n: Int, nmax: Int, L: inout [Int8], lOffset: Int) -> Float {
        var mx: Float = 0, amax: Float = 0
        for i in 0..<n where abs(x[i]) > amax { amax = abs(x[i]); mx = x[i] }
        if amax < 1e-15 {
            for i in 0..<n { L[lOffset + i] = 0 }
            return 0
        }
        var iscale = -Float(nmax) / mx
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0..<n {
            let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
            L[lOffset + i] = Int8(l + nmax)
            let w = x[i] * x[i]
            sumLX += w * x[i] * Float(l)
            sumL2 += w * Float(l) * Float(l)
        }
        var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for step in -9...9 where step != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(step)) / mx
            sumLX = 0; sumL2 = 0
            for i in 0..<n {
                let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
                let w = x[i] * x[i]
                sumLX += w * x[i] * Float(l)
                sumL2 += w * Float(l) * Float(l)
            }
            if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
                for i in 0..<n { L[lOffset + i] = Int8(nmax + max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))) }
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }

    /// One Q6_K super-block: codes 0…63 (value + 32), decoded `d·sc·(q − 32)` per sub-block of 16.
    static func q6K(_ x: UnsafePointer<Float>, count: Int, codes: UnsafeMutablePointer<UInt8>, deq: UnsafeMutablePointer<Float>,
                    normScale: inout Float) {
        var L = [Int8](repeating: 0, count: 256)
        var scales = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, maxAbsScale: Float = 0
        for ib in 0..<16 {
            let s = makeQX(x + 16 * ib, n: 16, nmax: 32, L: &L, lOffset: 16 * ib)
            scales[ib] = s
            if abs(s) > maxAbsScale { maxAbsScale = abs(s); maxScale = s }
        }
        if maxAbsScale < 1e-15 {
            for i in 0..<count { codes[i] = 32; deq[i] = 0 }
            normScale = 1
            return
        }
        let iscale = -128 / maxScale
        let d = HalfPrecision.roundToHalf(1 / iscale)
        var best = 0
        for j in 0..<16 {
            let sc = Int8(truncatingIfNeeded: min(127, nearestInt(iscale * scales[j])))
            if abs(Int(sc)) > abs(Int(Int8(truncatingIfNeeded: min(127, nearestInt(iscale * scales[best])))))  { best = j }
            let dj = d * Float(sc)
            if dj != 0 {
                for i in 0..<16 { L[16 * j + i] = Int8(max(-32, min(31, nearestInt(x[16 * j + i] / dj))) + 32) }
            }
            for i in 0..<16 {
                let q = Int(L[16 * j + i])
                codes[16 * j + i] = UInt8(q)
                deq[16 * j + i] = d * Float(sc) * Float(q - 32)
            }
        }
        let bestSc = Float(Int8(truncatingIfNeeded: min(127, nearestInt(iscale * scales[best]))))
        let s = d * bestSc
        normScale = s != 0 ? s : 1
    }
}
