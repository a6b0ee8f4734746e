import TensorCore

/// What a tensor is, independent of any quantization: its statistics and its column absmax.
///
/// Computed in one pass over memory: the tensor is read in runs of whole rows (about 16 K
/// values, small enough to stay in cache), each run once for sums, extremes and column absmax
/// and once more, from cache, for its central moments; runs are merged with the pairwise update
/// of Chan et al. / Pébay, which keeps the moments exact to rounding even when the mean is large.
public struct TensorProfile: Sendable {
    public var stats: TensorStats
    /// absmax of every column (last-axis index) over the finite values.
    public var columnAbsmax: [Float]

    /// Outlier columns under a rule, from the stored column absmax.
    public func outliers(threshold: Float, k: Float) -> OutlierColumns {
        OutlierColumns(columnAbsmax: columnAbsmax, threshold: threshold, k: k)
    }

    /// What a worker accumulates besides the moments.
    protocol ProfilePart {
        var finite: Int { get set }
        var nan: Int { get set }
        var inf: Int { get set }
        var lo: Float { get set }
        var hi: Float { get set }
    }

    /// Central-moment accumulator of a run of values.
    struct Moments: Sendable {
        var n = 0.0, mean = 0.0, m2 = 0.0, m3 = 0.0, m4 = 0.0

        /// The moments of the union of two disjoint runs.
        static func merge(_ a: Moments, _ b: Moments) -> Moments {
            if a.n == 0 { return b }
            if b.n == 0 { return a }
            let n = a.n + b.n
            let d = b.mean - a.mean
            let d2 = d * d, na = a.n, nb = b.n
            var r = Moments()
            r.n = n
            r.mean = a.mean + d * nb / n
            r.m2 = a.m2 + b.m2 + d2 * na * nb / n
            r.m3 = a.m3 + b.m3 + d2 * d * na * nb * (na - nb) / (n * n) + 3 * d * (na * b.m2 - nb * a.m2) / n
            r.m4 = a.m4 + b.m4 + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
                + 6 * d2 * (na * na * b.m2 + nb * nb * a.m2) / (n * n) + 4 * d * (na * b.m3 - nb * a.m3) / n
            return r
        }
    }

    /// The profile of the values in memory (tests, small tensors).
    public static func compute(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int,
                               threads: Int = Parallel.defaultThreads) -> TensorProfile {
        let t = Tensor(name: "", shape: [rows, cols], sourceDType: "F32", values: Array(x))
        return (try? compute(t, threads: threads)) ?? TensorProfile(stats: TensorStats.compute(x, threads: threads), columnAbsmax: [])
    }

    /// The profile of a tensor read chunk by chunk from `reader`, viewed as `[rows, cols]` (cols the last
    /// axis): over every chunk of `plan`, or of a plan of whole rows when none is given.
    public static func compute(_ reader: any TensorReader, threads: Int = Parallel.defaultThreads,
                               cancellation: Cancellation = .never, progress: Progress? = nil) throws -> TensorProfile {
        try compute(reader, plan: nil, threads: threads, cancellation: cancellation, progress: progress)
    }

    static func compute(_ reader: any TensorReader, plan given: ChunkPlan?, threads: Int,
                        cancellation: Cancellation, progress: Progress?) throws -> TensorProfile {
        let info = reader.info
        let n = info.count
        let cols = info.shape.last ?? 1
        let rows = info.shape.count <= 1 ? 1 : info.shape.dropLast().reduce(1, *)
        let plan = given ?? ChunkPlan(grouping: Grouping(count: n, rows: rows, cols: cols, block: .row), granularity: reader.granularity)
        guard n > 0, cols > 0 else {
            return TensorProfile(stats: TensorStats.compute(UnsafeBufferPointer(start: nil, count: 0)), columnAbsmax: [Float](repeating: 0, count: Swift.max(cols, 0)))
        }
        progress?.add(total: plan.chunks.count)
        let chunks = plan.chunks
        struct Part { var profile: ProfileAccumulator; let buffer: ChunkBuffers }
        let parts = try Parallel.dynamic(count: chunks.count, threads: threads, cancellation: cancellation, progress: progress,
                                         makeState: { Part(profile: ProfileAccumulator(cols: cols), buffer: ChunkBuffers(capacity: plan.length)) }) { part, item in
            let range = plan.range(chunks[item])
            _ = part.profile.add(part.buffer.load(reader, range), range: range, item: item)
        }
        for p in parts { p.buffer.release() }
        return ProfileAccumulator.finish(parts.map(\.profile), chunks: chunks.count, count: plan.isSample ? plan.coveredValues : n, cols: cols)
    }

    /// One chunk of flat range `range` (values at `p`): counts, extremes and column absmax into `part`,
    /// and the chunk's central moments, in runs of whole rows (a partial first and last row element by
    /// element) read once for sums and once more, from cache, for the moments about the run's mean.
    static func accumulate<P>(_ p: UnsafePointer<Float>, range: Range<Int>, cols: Int,
                                      colMax: UnsafeMutablePointer<Float>, into part: inout P) -> Moments
        where P: ProfilePart {
        var moments = Moments()
        var lo = part.lo, hi = part.hi
        let saved = UnsafeMutablePointer<Float>.allocate(capacity: cols)
        defer { saved.deallocate() }
        /// One run: `count` values at `q`, the first in column `col0`; whole rows when `col0 == 0` and
        /// `count` is a multiple of `cols`.
        func run(_ q: UnsafePointer<Float>, count: Int, col0: Int) {
            var sum = 0.0, finite = 0
            let wholeRows = col0 == 0 && count % cols == 0
            var vector = false
            if wholeRows {
                saved.update(from: colMax, count: cols)
                if let r = TensorProfile.finiteRun(q, rows: count / cols, cols: cols, colMax: colMax) {
                    sum = r.sum; finite = count
                    lo = Swift.min(lo, r.lo); hi = Swift.max(hi, r.hi)
                    vector = true
                } else {
                    colMax.update(from: saved, count: cols)
                }
            }
            if !vector {
                var c = col0
                for i in 0..<count {
                    let v = q[i]
                    if v.isFinite {
                        sum += Double(v); finite += 1
                        lo = Swift.min(lo, v); hi = Swift.max(hi, v)
                        colMax[c] = Swift.max(colMax[c], abs(v))
                    } else if v.isNaN { part.nan += 1 } else { part.inf += 1 }
                    c += 1
                    if c == cols { c = 0 }
                }
            }
            part.finite += finite
            guard finite > 0 else { return }
            let mean = sum / Double(finite)
            var (m2, m3, m4) = finite == count ? TensorProfile.centralSums(q, count: count, mean: mean) : (0, 0, 0)
            if finite != count {
                for i in 0..<count {
                    let v = q[i]
                    guard v.isFinite else { continue }
                    let d = Double(v) - mean
                    let d2 = d * d
                    m2 += d2; m3 += d2 * d; m4 += d2 * d2
                }
            }
            moments = Moments.merge(moments, Moments(n: Double(finite), mean: mean, m2: m2, m3: m3, m4: m4))
        }
        let rowsPerRun = Swift.max(1, (1 << 14) / cols)
        var i = 0
        let n = range.count
        let head = (cols - range.lowerBound % cols) % cols
        if head > 0 {
            let k = Swift.min(head, n)
            run(p, count: k, col0: range.lowerBound % cols)
            i = k
        }
        while i + cols <= n {
            let r = Swift.min(rowsPerRun, (n - i) / cols)
            run(p + i, count: r * cols, col0: 0)
            i += r * cols
        }
        if i < n { run(p + i, count: n - i, col0: 0) }
        part.lo = lo; part.hi = hi
        return moments
    }

    /// The first read of a run, four at a time, assuming its values finite: the float64 sum, the
    /// extremes and the column absmax (updated in place); nil when a value was not finite (the
    /// column absmax may then hold an infinity, and the caller restores it).
    ///
    /// The extremes are those of the scalar loop (`min` keeps the first of equal values, `max` the
    /// last); they can differ only in the sign of a zero, so a run whose minimum or maximum is zero
    /// returns nil and is read again by the scalar loop (the column absmax is unaffected: |−0| = +0).
    static func finiteRun(_ p: UnsafePointer<Float>, rows: Int, cols: Int,
                          colMax: UnsafeMutablePointer<Float>) -> (sum: Double, lo: Float, hi: Float)? {
        var s0 = SIMD2<Double>(), s1 = SIMD2<Double>()
        var lo4 = SIMD4<Float>(repeating: .infinity), hi4 = SIMD4<Float>(repeating: -.infinity)
        var lo = Float.infinity, hi = -Float.infinity
        var tail = 0.0
        let absMask = SIMD4<UInt32>(repeating: 0x7FFF_FFFF)
        for r in 0..<rows {
            let q = p + r &* cols
            var c = 0
            while c &+ 4 <= cols {
                let v = SIMDKernels.load4(q + c)
                s0 += SIMD2<Double>(Double(v[0]), Double(v[1])); s1 += SIMD2<Double>(Double(v[2]), Double(v[3]))
                // "Replace on greater" for the maximum: it differs from the scalar loop's "greater or
                // equal" only for zeros, and a zero extreme is refused below.
                lo4 = SIMDKernels.minLanes(v, lo4)
                hi4 = SIMDKernels.maxLanes(v, hi4)
                let a = unsafeBitCast(SIMDKernels.bits(v) & absMask, to: SIMD4<Float>.self)
                SIMDKernels.store4(SIMDKernels.maxLanes(a, SIMDKernels.load4(colMax + c)), colMax + c)
                c &+= 4
            }
            while c < cols {
                let v = q[c]
                tail += Double(v)
                lo = Swift.min(lo, v); hi = Swift.max(hi, v)
                colMax[c] = Swift.max(colMax[c], abs(v))
                c &+= 1
            }
        }
        lo = Swift.min(lo, Swift.min(Swift.min(lo4[0], lo4[1]), Swift.min(lo4[2], lo4[3])))
        hi = Swift.max(hi, Swift.max(Swift.max(hi4[0], hi4[1]), Swift.max(hi4[2], hi4[3])))
        // A non-finite value makes the float64 sum non-finite (finite ones cannot overflow it).
        let sum = (s0 + s1).sum() + tail
        if lo == 0 || hi == 0 || !sum.isFinite { return nil }
        return (sum, lo, hi)
    }

    /// Σd², Σd³, Σd⁴ of d = x − mean over finite values, in float64, four at a time.
    static func centralSums(_ p: UnsafePointer<Float>, count: Int, mean: Double) -> (Double, Double, Double) {
        let mu = SIMD2<Double>(repeating: mean)
        var a2 = SIMD2<Double>(), a3 = SIMD2<Double>(), a4 = SIMD2<Double>()
        var b2 = SIMD2<Double>(), b3 = SIMD2<Double>(), b4 = SIMD2<Double>()
        var i = 0
        while i &+ 4 <= count {
            let v = SIMDKernels.load4(p + i)
            let da = SIMD2<Double>(Double(v[0]), Double(v[1])) - mu, db = SIMD2<Double>(Double(v[2]), Double(v[3])) - mu
            let da2 = da * da, db2 = db * db
            a2 += da2; a3 += da2 * da; a4 += da2 * da2
            b2 += db2; b3 += db2 * db; b4 += db2 * db2
            i &+= 4
        }
        var m2 = (a2 + b2).sum(), m3 = (a3 + b3).sum(), m4 = (a4 + b4).sum()
        while i < count {
            let d = Double(p[i]) - mean
            let d2 = d * d
            m2 += d2; m3 += d2 * d; m4 += d2 * d2
            i &+= 1
        }
        return (m2, m3, m4)
    }
}

/// One worker's share of a tensor profile, chunk by chunk: counts, extremes, column absmax and each
/// chunk's central moments (merged in chunk order by `finish`, so the figures do not depend on the
/// threads). The analysis' first pass keeps one beside its error sums, so that a tensor is profiled
/// in the same pass that quantizes it.
struct ProfileAccumulator: TensorProfile.ProfilePart {
    var finite = 0, nan = 0, inf = 0
    var lo = Float.infinity, hi = -Float.infinity
    var colMax: [Float]
    var moments: [Int: TensorProfile.Moments] = [:]
    let cols: Int

    init(cols: Int) {
        self.cols = cols
        colMax = [Float](repeating: 0, count: cols)
    }

    /// Adds chunk `item` (flat `range`, values at `x`); returns whether every value of it is finite.
    mutating func add(_ x: UnsafePointer<Float>, range: Range<Int>, item: Int) -> Bool {
        let before = finite
        var cm = colMax
        colMax = []
        let m = cm.withUnsafeMutableBufferPointer { c in
            TensorProfile.accumulate(x, range: range, cols: cols, colMax: c.baseAddress!, into: &self)
        }
        colMax = cm
        moments[item] = m
        return finite - before == range.count
    }

    /// The profile of everything the accumulators saw.
    static func finish(_ parts: [ProfileAccumulator], chunks: Int, count: Int, cols: Int) -> TensorProfile {
        var m = TensorProfile.Moments()
        var finite = 0, nan = 0, inf = 0
        var lo = Float.infinity, hi = -Float.infinity
        var colMax = [Float](repeating: 0, count: cols)
        var byChunk: [Int: TensorProfile.Moments] = [:]
        for p in parts {
            finite += p.finite; nan += p.nan; inf += p.inf
            lo = Swift.min(lo, p.lo); hi = Swift.max(hi, p.hi)
            for c in 0..<cols where p.colMax[c] > colMax[c] { colMax[c] = p.colMax[c] }
            byChunk.merge(p.moments) { a, _ in a }
        }
        // Merged in chunk order, whatever the threads did: the same figures on every run.
        for k in 0..<chunks { if let c = byChunk[k] { m = TensorProfile.Moments.merge(m, c) } }
        let stats: TensorStats
        if finite == 0 {
            stats = TensorStats(count: count, finiteCount: 0, mean: .nan, std: .nan, min: .nan, max: .nan,
                                absmax: .nan, kurtosis: .nan, nanCount: nan, infCount: inf)
        } else {
            let var2 = m.m2 / m.n
            stats = TensorStats(count: count, finiteCount: finite, mean: m.mean, std: var2.squareRoot(),
                                min: Double(lo), max: Double(hi), absmax: Swift.max(-Double(lo), Double(hi)),
                                kurtosis: var2 > 0 ? (m.m4 / m.n) / (var2 * var2) - 3 : .nan,
                                nanCount: nan, infCount: inf)
        }
        return TensorProfile(stats: stats, columnAbsmax: colMax)
    }
}
