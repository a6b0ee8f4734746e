/// Fits the code table of the quantile datatypes to a tensor.
///
/// Code i sits at the tensor's own quantile (i + ½) / K of x ÷ block absmax, so
/// each code covers about the same number of values: the datatype that, by
/// construction, uses every code equally often on the tensor it was fitted to.
enum QuantileTable {
    /// Values sampled for the fit: all of them up to this count, an even stride beyond.
    static let sampleLimit = 1 << 20

    /// The sampling step of a pass: every value up to `sampleLimit` values, an even stride beyond.
    static func step(_ plan: ChunkPlan) -> Int {
        let n = plan.isSample ? plan.coveredValues : plan.grouping.count
        return Swift.max(1, n / sampleLimit)
    }

    /// The table at the quantiles of `sample` (values already divided by their block absmax, in flat order).
    static func fit(sample: [Float], codes k: Int) -> [Float] {
        guard !sample.isEmpty else { return [Float](repeating: 0, count: k) }
        let m = sample.count
        let positions = (0..<k).map { c -> (lo: Int, hi: Int, t: Float) in
            let p = (Double(c) + 0.5) / Double(k) * Double(m - 1)
            let lo = Int(p.rounded(.down))
            return (lo, min(lo + 1, m - 1), Float(p - Double(lo)))
        }
        let ranks = Array(Set(positions.flatMap { [$0.lo, $0.hi] })).sorted()
        let value = orderStatistics(sample, ranks: ranks)
        return positions.map { q in
            let a = value[q.lo]!, b = value[q.hi]!
            return a + (b - a) * q.t
        }
    }

    /// The values at `ranks` (ascending) of `sample` sorted ascending, as a stable sort would place
    /// them: an LSD radix sort of the floats' order-preserving bit keys (three passes of 11 bits;
    /// 1 M samples in a few milliseconds, against ~100 ms for the comparison sort it replaces). The
    /// keys order −0 before +0, which a comparison sort treats as equal and keeps in sample order, so
    /// a rank inside the run of zeros takes its zero from the sample, in order.
    static func orderStatistics(_ sample: [Float], ranks: [Int]) -> [Int: Float] {
        let n = sample.count
        var keys = sample.map { v -> UInt32 in
            let b = v.bitPattern
            return b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
        }
        var spare = [UInt32](repeating: 0, count: n)
        keys.withUnsafeMutableBufferPointer { k in
            spare.withUnsafeMutableBufferPointer { t in
                var src = k.baseAddress!, dst = t.baseAddress!
                var counts = [Int](repeating: 0, count: 2048)
                for shift in [0, 11, 22] {
                    counts.withUnsafeMutableBufferPointer { c in
                        for i in 0..<2048 { c[i] = 0 }
                        for i in 0..<n { c[Int((src[i] >> UInt32(shift)) & 0x7FF)] &+= 1 }
                        var total = 0
                        for i in 0..<2048 { let v = c[i]; c[i] = total; total &+= v }
                        for i in 0..<n {
                            let d = Int((src[i] >> UInt32(shift)) & 0x7FF)
                            dst[c[d]] = src[i]
                            c[d] &+= 1
                        }
                    }
                    swap(&src, &dst)
                }
                // Three passes: the sorted keys are in `spare`'s buffer; bring them home.
                if src != k.baseAddress! { k.baseAddress!.update(from: src, count: n) }
            }
        }
        var out: [Int: Float] = [:]
        for r in ranks {
            let b = keys[r]
            out[r] = Float(bitPattern: b & 0x8000_0000 != 0 ? b & 0x7FFF_FFFF : ~b)
        }
        // A zero's sign: the stable sort puts the zeros in sample order right after every negative value.
        let zeroRanks = ranks.filter { out[$0] == 0 }
        if !zeroRanks.isEmpty {
            let negatives = sample.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
            let zeros = sample.filter { $0 == 0 }
            for r in zeroRanks where r - negatives >= 0 && r - negatives < zeros.count { out[r] = zeros[r - negatives] }
        }
        return out
    }
}
