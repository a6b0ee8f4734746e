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
                            let (lo, hi) = extremes(src.base + start, length: length, stride: stride)
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

    /// The smallest and largest finite value of one block (0 and 0 when it has none); the block's
    /// absmax is `max(−lo, hi)`.
    @inline(__always)
    static func extremes(_ p: UnsafePointer<Float>, length: Int, stride: Int) -> (lo: Float, hi: Float) {
        if stride == 1, let e = SIMDKernels.finiteExtremes(p, count: length) { return e }
        var lo = Float.infinity
        var hi = -Float.infinity
        var q = p
        for _ in 0..<length {
            let x = q.pointee
            if x.isFinite {
                lo = Swift.min(lo, x)
                hi = Swift.max(hi, x)
            }
            q += stride
        }
        if lo > hi { lo = 0; hi = 0 }
        return (lo, hi)
    }
}
