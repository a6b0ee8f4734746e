/// The scale searches of llama.cpp's K-quant and IQ4_NL reference quantizers (`nearest_int`,
/// `make_qx_quants`, `make_q3_quants`, `make_qkx2_quants`, `best_index_int8`), re-implemented with the
/// same float32 operations in the same order, so that the block bytes come out the same.
enum GGMLFitting {
    /// ggml's `nearest_int`: adds 1.5·2^23 and reads the low mantissa bits — round half to even for
    /// |x| < 2^22 (larger inputs give ggml's own garbage, never a trap).
    @inline(__always)
    static func nearestInt(_ x: Float) -> Int32 {
        let v = x + 12582912
        return (Int32(bitPattern: v.bitPattern) & 0x007F_FFFF) - 0x0040_0000
    }

    /// `make_qkx2_quants`: an asymmetric weighted fit of `n` values to 0…nmax, trying `nstep + 1` scales
    /// around nmax/(max − min). Writes the levels to `L`, returns (scale, −min) with min ≤ 0.
    static func makeQKX2(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                         _ L: UnsafeMutablePointer<UInt8>, _ Laux: UnsafeMutablePointer<UInt8>,
                         rmin: Float, rdelta: Float, nstep: Int, useMAD: Bool) -> (scale: Float, min: Float) {
        var mn = x[0], mx = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < mn { mn = x[i] }
            if x[i] > mx { mx = x[i] }
            let w = weights[i]
            sumW += w
            sumX += w * x[i]
        }
        if mn > 0 { mn = 0 }
        if mx == mn {
            for i in 0..<n { L[i] = 0 }
            return (0, -mn)
        }
        var iscale = Float(nmax) / (mx - mn)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = max(0, min(nmax, nearestInt(iscale * (x[i] - mn))))
            L[i] = UInt8(truncatingIfNeeded: l)
            var diff = scale * Float(L[i]) + mn - x[i]
            diff = useMAD ? abs(diff) : diff * diff
            bestError += weights[i] * diff
        }
        if nstep < 1 { return (scale, -mn) }
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (mx - mn)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = max(0, min(nmax, nearestInt(iscale * (x[i] - mn))))
                Laux[i] = UInt8(truncatingIfNeeded: l)
                let w = weights[i], fl = Float(l)
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            if D > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var err: Float = 0
                for i in 0..<n {
                    var diff = thisScale * Float(Laux[i]) + thisMin - x[i]
                    diff = useMAD ? abs(diff) : diff * diff
                    err += weights[i] * diff
                }
                if err < bestError {
                    for i in 0..<n { L[i] = Laux[i] }
                    bestError = err
                    scale = thisScale
                    mn = thisMin
                }
            }
        }
        return (scale, -mn)
    }

    /// `make_qx_quants` with `rmse_type` 1 and no importance weights: a symmetric fit to −nmax…nmax−1
    /// weighted by x², trying 18 scales around −nmax/max. Writes `L[i] = level + nmax`.
    static func makeQX(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
        var mx: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax { amax = ax; mx = x[i] }
        }
        if amax < 1e-15 { // GROUP_MAX_EPS
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        var iscale = -Float(nmax) / mx
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0..<n {
            let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
            L[i] = Int8(truncatingIfNeeded: l + nmax)
            let w = x[i] * x[i], fl = Float(l)
            sumLX += w * x[i] * fl
            sumL2 += w * fl * fl
        }
        var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for step in -9...9 where step != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(step)) / mx
            sumLX = 0
            sumL2 = 0
            for i in 0..<n {
                let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
                let w = x[i] * x[i], fl = Float(l)
                sumLX += w * x[i] * fl
                sumL2 += w * fl * fl
            }
            if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
                for i in 0..<n { L[i] = Int8(truncatingIfNeeded: nmax + max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))) }
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }

    /// `make_q3_quants` with `do_rmse`: a symmetric fit to −nmax…nmax−1, then up to five passes that move
    /// single levels while the weighted (x²) error falls. Writes `L[i] = level + nmax`.
    static func makeQ3(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
        var mx: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax { amax = ax; mx = x[i] }
        }
        if amax < 1e-15 {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let iscale = -Float(nmax) / mx
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0..<n {
            let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
            L[i] = Int8(truncatingIfNeeded: l)
            let w = x[i] * x[i], fl = Float(l)
            sumLX += w * x[i] * fl
            sumL2 += w * fl * fl
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = x[i] * x[i]
                var slx = sumLX - w * x[i] * Float(L[i])
                if slx > 0 {
                    var sl2 = sumL2 - w * Float(L[i]) * Float(L[i])
                    let newL = max(-nmax, min(nmax - 1, nearestInt(x[i] * sl2 / slx)))
                    if newL != Int32(L[i]) {
                        let fl = Float(newL)
                        slx += w * x[i] * fl
                        sl2 += w * fl * fl
                        if sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2 {
                            L[i] = Int8(truncatingIfNeeded: newL)
                            sumLX = slx
                            sumL2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        for i in 0..<n { L[i] = L[i] &+ Int8(truncatingIfNeeded: nmax) }
        return sumL2 > 0 ? sumLX / sumL2 : 0
    }

    /// `best_index_int8`: the index of the table value nearest to `x` (a binary search over the sorted
    /// table; on an exact tie the higher index).
    @inline(__always)
    static func bestIndex(_ values: UnsafePointer<Float>, _ n: Int, _ x: Float) -> Int {
        if x <= values[0] { return 0 }
        if x >= values[n - 1] { return n - 1 }
        var ml = 0, mu = n - 1
        while mu - ml > 1 {
            let mav = (ml + mu) / 2
            if x < values[mav] { mu = mav } else { ml = mav }
        }
        return x - values[mu - 1] < values[mu] - x ? mu - 1 : mu
    }
}
