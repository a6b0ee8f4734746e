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
