/// Summary statistics of a tensor's finite values, and how many were not finite.
///
/// `std` is the population standard deviation and `kurtosis` the excess
/// kurtosis (0 for a normal distribution), as docs/ARCHITECTURE.md fixes them.
public struct TensorStats: Sendable, Equatable {
    public var count: Int
    public var finiteCount: Int
    public var mean: Double
    public var std: Double
    public var min: Double
    public var max: Double
    public var absmax: Double
    public var kurtosis: Double
    public var nanCount: Int
    public var infCount: Int

    /// Computes the statistics in two parallel passes (sums, then central moments).
    public static func compute(_ x: UnsafeBufferPointer<Float>, threads: Int = Parallel.defaultThreads) -> TensorStats {
        let n = x.count
        guard n > 0, let base = x.baseAddress else {
            return TensorStats(count: 0, finiteCount: 0, mean: .nan, std: .nan, min: .nan, max: .nan,
                               absmax: .nan, kurtosis: .nan, nanCount: 0, infCount: 0)
        }
        let src = SharedPointer(base)
        struct First: Sendable { var sum = 0.0, finite = 0, nan = 0, inf = 0, lo = Float.infinity, hi = -Float.infinity }
        let firsts = Parallel.mapChunks(count: n, threads: threads, minimumPerChunk: 1 << 16) { r -> First in
            var f = First()
            for i in r {
                let v = src.base[i]
                if v.isFinite {
                    // float64 sums: float32 runs lose digits when the mean is large.
                    f.sum += Double(v)
                    f.finite += 1
                    f.lo = Swift.min(f.lo, v); f.hi = Swift.max(f.hi, v)
                } else if v.isNaN { f.nan += 1 } else { f.inf += 1 }
            }
            return f
        }
        var total = First()
        for f in firsts {
            total.sum += f.sum; total.finite += f.finite; total.nan += f.nan; total.inf += f.inf
            total.lo = Swift.min(total.lo, f.lo); total.hi = Swift.max(total.hi, f.hi)
        }
        guard total.finite > 0 else {
            return TensorStats(count: n, finiteCount: 0, mean: .nan, std: .nan, min: .nan, max: .nan,
                               absmax: .nan, kurtosis: .nan, nanCount: total.nan, infCount: total.inf)
        }
        let mean = total.sum / Double(total.finite)
        let moments = Parallel.mapChunks(count: n, threads: threads, minimumPerChunk: 1 << 16) { r -> (Double, Double) in
            var m2 = 0.0, m4 = 0.0
            for i in r {
                let v = src.base[i]
                guard v.isFinite else { continue }
                let d = Double(v) - mean
                let d2 = d * d
                m2 += d2; m4 += d2 * d2
            }
            return (m2, m4)
        }
        let m2 = moments.reduce(0) { $0 + $1.0 } / Double(total.finite)
        let m4 = moments.reduce(0) { $0 + $1.1 } / Double(total.finite)
        return TensorStats(count: n, finiteCount: total.finite, mean: mean, std: m2.squareRoot(),
                           min: Double(total.lo), max: Double(total.hi),
                           absmax: Swift.max(-Double(total.lo), Double(total.hi)),
                           kurtosis: m2 > 0 ? m4 / (m2 * m2) - 3 : .nan,
                           nanCount: total.nan, infCount: total.inf)
    }
}
