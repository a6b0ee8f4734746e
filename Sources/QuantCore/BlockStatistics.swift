/// Per-block absmax, minimum and maximum over the finite values.
///
/// NaN and ±Inf are skipped (CUDA's `fmaxf` ignores NaN the same way), so one
/// non-finite element does not wipe out its whole block.
public struct BlockStatistics: Sendable {
    public var absmax: [Float]
    public var minimum: [Float]
    public var maximum: [Float]

    /// Computes the statistics of every block of `grouping` over `values`.
    public static func compute(_ values: UnsafeBufferPointer<Float>, grouping: Grouping,
                               threads: Int = Parallel.defaultThreads) -> BlockStatistics {
        let n = grouping.blockCount
        var absmax = [Float](repeating: 0, count: n)
        var minimum = [Float](repeating: 0, count: n)
        var maximum = [Float](repeating: 0, count: n)
        guard n > 0, let base = values.baseAddress else { return BlockStatistics(absmax: absmax, minimum: minimum, maximum: maximum) }
        let src = SharedPointer(base)
        absmax.withUnsafeMutableBufferPointer { a in
            minimum.withUnsafeMutableBufferPointer { mn in
                maximum.withUnsafeMutableBufferPointer { mx in
                    let pa = SharedMutablePointer(a.baseAddress!)
                    let pmn = SharedMutablePointer(mn.baseAddress!)
                    let pmx = SharedMutablePointer(mx.baseAddress!)
                    Parallel.forEachChunk(count: n, threads: threads, minimumPerChunk: 16) { range in
                        for b in range {
                            let (start, length, stride) = grouping.extent(ofBlock: b)
                            if stride == 1, let (lo, hi) = SIMDKernels.finiteExtremes(src.base + start, count: length) {
                                pmn.base[b] = lo
                                pmx.base[b] = hi
                                pa.base[b] = Swift.max(-lo, hi)
                                continue
                            }
                            var lo = Float.infinity
                            var hi = -Float.infinity
                            var p = src.base + start
                            for _ in 0..<length {
                                let x = p.pointee
                                if x.isFinite {
                                    lo = Swift.min(lo, x)
                                    hi = Swift.max(hi, x)
                                }
                                p += stride
                            }
                            if lo > hi { lo = 0; hi = 0 }
                            pmn.base[b] = lo
                            pmx.base[b] = hi
                            pa.base[b] = Swift.max(-lo, hi)
                        }
                    }
                }
            }
        }
        return BlockStatistics(absmax: absmax, minimum: minimum, maximum: maximum)
    }
}
