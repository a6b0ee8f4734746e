/// Counts of values in equal-width bins over `[lower, upper]`.
///
/// Bin i covers `[edges[i], edges[i+1])`; the last bin also takes `upper`.
/// Non-finite values are not counted.
public struct Histogram: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var counts: [Int]

    public init(lower: Double, upper: Double, counts: [Int]) {
        self.lower = lower
        self.upper = upper
        self.counts = counts
    }

    /// The bin edges, `counts.count + 1` of them.
    public var edges: [Double] {
        let w = (upper - lower) / Double(Swift.max(counts.count, 1))
        return (0...counts.count).map { lower + Double($0) * w }
    }

    public var total: Int { counts.reduce(0, +) }

    /// An empty histogram with `bins` bins over a range widened when it is degenerate.
    public static func empty(lower: Double, upper: Double, bins: Int) -> Histogram {
        var lo = lower, hi = upper
        if !(lo.isFinite && hi.isFinite) { lo = -1; hi = 1 }
        if hi <= lo {
            let pad = Swift.max(abs(lo) * 1e-3, 1e-12)
            lo -= pad; hi += pad
        }
        return Histogram(lower: lo, upper: hi, counts: [Int](repeating: 0, count: Swift.max(bins, 1)))
    }

    /// The bin of `v`, or nil when it is outside or not finite.
    @inlinable
    public func bin(of v: Double) -> Int? {
        guard v.isFinite, v >= lower, v <= upper else { return nil }
        let k = Int((v - lower) / (upper - lower) * Double(counts.count))
        return Swift.min(k, counts.count - 1)
    }

    /// Adds another histogram with the same bins.
    public mutating func merge(_ other: Histogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    /// Builds a histogram of `values` over their finite range.
    public static func of(_ values: [Float], bins: Int) -> Histogram {
        let finite = values.filter { $0.isFinite }
        var h = empty(lower: Double(finite.min() ?? -1), upper: Double(finite.max() ?? 1), bins: bins)
        for v in finite { if let k = h.bin(of: Double(v)) { h.counts[k] += 1 } }
        return h
    }
}

extension Histogram {
    /// Counts the finite values of `x` in `bins` equal bins over `[lower, upper]`, split across cores.
    ///
    /// Each worker counts its own range into its own `BinCounter`; the counts are summed at the end.
    public static func counting(_ x: UnsafeBufferPointer<Float>, lower: Double, upper: Double, bins: Int,
                                threads: Int = Parallel.defaultThreads) -> Histogram {
        var h = empty(lower: lower, upper: upper, bins: bins)
        guard let base = x.baseAddress, !x.isEmpty else { return h }
        let src = SharedPointer(base)
        let nb = h.counts.count
        let lo = h.lower, hi = h.upper
        let parts = Parallel.mapChunks(count: x.count, threads: threads, minimumPerChunk: 1 << 16) { r -> [Int] in
            let counter = BinCounter(lower: lo, upper: hi, bins: nb)
            defer { counter.release() }
            counter.add(src.base + r.lowerBound, count: r.count)
            return counter.merged()
        }
        for p in parts { for k in 0..<nb { h.counts[k] += p[k] } }
        return h
    }
}

/// Counts values into equal-width bins: the hot loop of every histogram the engine draws.
///
/// The bin of v is `min(Int((v − lower) · bins / (upper − lower)), bins − 1)` for `lower ≤ v ≤ upper`,
/// computed in float32 (the values are float32 already); it can differ from `Histogram.bin(of:)`'s
/// float64 arithmetic only for a value within a float32 rounding of a bin edge. Values outside the
/// range and NaN are not counted. Four interleaved copies of the counters take consecutive values,
/// so that a run of equal bins does not serialise on one memory cell (measured: 1.4 ns per value
/// against 1.9 with one copy; Swift's SIMD types were slower still for the index computation).
struct BinCounter {
    let lower: Float, upper: Float, mult: Float, bins: Int
    /// 4 × bins counters, copy-major.
    private let counts: UnsafeMutablePointer<Int>

    init(lower: Double, upper: Double, bins: Int) {
        self.lower = Float(lower)
        self.upper = Float(upper)
        self.bins = bins
        let m = Float(Double(bins) / (upper - lower))
        self.mult = m.isFinite ? m : 0
        counts = .allocate(capacity: 4 * bins)
        counts.initialize(repeating: 0, count: 4 * bins)
    }

    /// Frees the counters; the counter must not be used afterwards.
    func release() { counts.deallocate() }

    @inline(__always)
    func add(_ x: UnsafePointer<Float>, count n: Int) {
        var i = 0
        while i + 4 <= n {
            add(x[i], copy: 0); add(x[i + 1], copy: 1); add(x[i + 2], copy: 2); add(x[i + 3], copy: 3)
            i += 4
        }
        while i < n { add(x[i], copy: 0); i += 1 }
    }

    /// Counts one value into copy `copy` (0...3).
    @inline(__always)
    func add(_ v: Float, copy: Int) {
        if v >= lower && v <= upper {
            counts[copy &* bins &+ Swift.min(Int((v - lower) * mult), bins &- 1)] &+= 1
        }
    }

    /// Counts one finite value that lies in the range by construction (the analysis' histograms span
    /// their values); anything a rounding puts past an end lands in the end bin.
    ///
    /// The bin index avoids Swift's checked float-to-integer conversion, which costs as much as the
    /// rest of the loop: adding 2²³ leaves the value rounded to an integer in the low mantissa bits,
    /// and one compare turns the rounding into the floor (measured: 1.0 ns per value against 1.6).
    @inline(__always)
    func addClamped(_ v: Float, copy: Int) {
        counts[copy &* bins &+ BinCounter.clampedBin(v, lower: lower, mult: mult, bins: bins)] &+= 1
    }

    /// Counts `n` finite values that lie in the range by construction (see `addClamped(_:copy:)`), the
    /// bins of four at a time computed in a vector.
    @inline(never)
    func addClamped(_ x: UnsafePointer<Float>, count n: Int) {
        let lo4 = SIMD4<Float>(repeating: lower), mult4 = SIMD4<Float>(repeating: mult)
        let top4 = SIMD4<Float>(repeating: Float(bins) - 0.5)
        let c = counts, b = bins
        var i = 0
        while i &+ 4 <= n {
            let bin = SIMDKernels.binIndex(SIMDKernels.load4(x + i), lower: lo4, mult: mult4, top: top4)
            c[Int(bin[0])] &+= 1; c[b &+ Int(bin[1])] &+= 1
            c[2 &* b &+ Int(bin[2])] &+= 1; c[3 &* b &+ Int(bin[3])] &+= 1
            i &+= 4
        }
        while i < n { addClamped(x[i], copy: 0); i &+= 1 }
    }

    /// `min(max(floor((v − lower) · mult), 0), bins − 1)` for finite v, without a checked conversion.
    @inline(__always)
    static func clampedBin(_ v: Float, lower: Float, mult: Float, bins: Int) -> Int {
        // Written as comparisons so that NaN (a zero-width range: 0 · ∞) lands in bin 0, never past the end.
        var g = (v - lower) * mult
        g = g > 0 ? g : 0
        let top = Float(bins) - 0.5
        g = g < top ? g : top
        let r = Int((g + 8_388_608).bitPattern & 0x7F_FFFF)                        // g rounded to nearest
        return r &- Int(unsafeBitCast(Float(r) > g, to: UInt8.self))                // its floor
    }

    /// The counts of the four copies summed.
    func merged() -> [Int] {
        (0..<bins).map { k in counts[k] + counts[bins + k] + counts[2 * bins + k] + counts[3 * bins + k] }
    }
}
