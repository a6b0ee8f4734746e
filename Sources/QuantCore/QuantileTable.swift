/// Fits the code table of the quantile datatypes to a tensor.
///
/// Code i sits at the tensor's own quantile (i + ½) / K of x ÷ block absmax, so
/// each code covers about the same number of values: the datatype that, by
/// construction, uses every code equally often on the tensor it was fitted to.
enum QuantileTable {
    /// Values sampled for the fit: all of them up to this count, an even stride beyond.
    static let sampleLimit = 1 << 20

    static func fit(_ x: UnsafeBufferPointer<Float>, grouping: Grouping, absmax: [Float], codes k: Int) -> [Float] {
        let n = x.count
        guard n > 0 else { return [Float](repeating: 0, count: k) }
        let step = max(1, n / sampleLimit)
        var sample: [Float] = []
        sample.reserveCapacity(n / step + 1)
        var i = 0
        while i < n {
            let v = x[i]
            let a = absmax[grouping.blockIndex(ofElement: i)]
            if v.isFinite { sample.append(a > 0 ? v * (1 / a) : 0) }
            i += step
        }
        guard !sample.isEmpty else { return [Float](repeating: 0, count: k) }
        sample.sort()
        let m = sample.count
        return (0..<k).map { c in
            let p = (Double(c) + 0.5) / Double(k) * Double(m - 1)
            let lo = Int(p.rounded(.down))
            let hi = min(lo + 1, m - 1)
            let t = Float(p - Double(lo))
            return sample[lo] + (sample[hi] - sample[lo]) * t
        }
    }
}
