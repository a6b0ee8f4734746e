import Foundation

/// The comparisons of two sets of sentence embeddings that the evaluation reports.
public enum EmbeddingStatistics {
    /// cos(a, b) in Double (0 when either vector is zero).
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<min(a.count, b.count) {
            let x = Double(a[i]), y = Double(b[i])
            ab += x * y; aa += x * x; bb += y * y
        }
        return aa == 0 || bb == 0 ? 0 : ab / (aa.squareRoot() * bb.squareRoot())
    }

    /// The cosine similarity of every pair i < j, row by row.
    public static func pairwiseCosines(_ e: [[Float]]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(e.count * (e.count - 1) / 2)
        for i in 0..<e.count { for j in (i + 1)..<max(i + 1, e.count) { out.append(cosine(e[i], e[j])) } }
        return out
    }

    /// Each sentence's nearest other sentence by cosine (the lower index on a tie; -1 for a lone sentence).
    public static func nearestNeighbours(_ e: [[Float]]) -> [Int] {
        let n = e.count
        var sim = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { let c = cosine(e[i], e[j]); sim[i * n + j] = c; sim[j * n + i] = c } }
        return (0..<n).map { i in
            var best = -1, top = -Double.infinity
            for j in 0..<n where j != i && sim[i * n + j] > top { top = sim[i * n + j]; best = j }
            return best
        }
    }

    /// Spearman's rank correlation: Pearson's correlation of the ranks, ties sharing their mean rank
    /// (nan for fewer than two values or a constant series).
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count, a.count >= 2 else { return .nan }
        return pearson(ranks(a), ranks(b))
    }

    /// 1-based ranks, ties averaged.
    public static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let mean = Double(i + j) / 2 + 1
            for k in i...j { r[order[k]] = mean }
            i = j + 1
        }
        return r
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices { let x = a[i] - ma, y = b[i] - mb; ab += x * y; aa += x * x; bb += y * y }
        return aa == 0 || bb == 0 ? .nan : ab / (aa * bb).squareRoot()
    }

    /// ‖a − b‖ / ‖a‖ over all values (0 when a is zero and b equals it).
    public static func relativeError(reference a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for i in 0..<min(a.count, b.count) {
            let x = Double(a[i]), d = x - Double(b[i])
            num += d * d; den += x * x
        }
        return den == 0 ? (num == 0 ? 0 : .infinity) : (num / den).squareRoot()
    }
}
