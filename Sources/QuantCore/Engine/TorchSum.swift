/// torch's CPU float32 sum of a contiguous vector, reproduced in the same order of additions.
///
/// bitsandbytes stores `nested_offset = absmax.mean()`; to match it bit for bit
/// the additions must happen in torch's order: 8-lane vectors (AVX2), four
/// interleaved vector accumulators summed in a four-level cascade, the lanes
/// folded left to right after the scalar tail. Checked against every double
/// quantization reference vector. Vectors past 32768 elements may be split
/// across threads by torch, which this single-threaded order does not follow.
enum TorchSum {
    static let lanes = 8
    static let ilp = 4

    static func mean(_ a: [Float]) -> Float {
        guard !a.isEmpty else { return 0 }
        return sum(a) / Float(a.count)
    }

    static func sum(_ a: [Float]) -> Float {
        let n = a.count
        let vecCount = n / lanes
        let sizeILP = vecCount / ilp
        var partial = multiRowSum(a, rows: sizeILP)
        for v in (sizeILP * ilp)..<max(vecCount, sizeILP * ilp) {
            for l in 0..<lanes { partial[0][l] += a[v * lanes + l] }
        }
        for k in 1..<ilp { for l in 0..<lanes { partial[0][l] += partial[k][l] } }
        var total: Float = 0
        for k in (vecCount * lanes)..<n { total += a[k] }
        for l in 0..<lanes { total += partial[0][l] }
        return total
    }

    /// `multi_row_sum` with `nrows = 4` vector accumulators and a four-level cascade.
    private static func multiRowSum(_ a: [Float], rows size: Int) -> [[Float]] {
        let levels = 4
        let levelPower = max(4, ceilLog2(size) / levels)
        let levelStep = 1 << levelPower
        let levelMask = levelStep - 1
        var acc = [[[Float]]](repeating: [[Float]](repeating: [Float](repeating: 0, count: lanes), count: ilp), count: levels)
        func add(row i: Int) {
            for k in 0..<ilp {
                let base = (i * ilp + k) * lanes
                for l in 0..<lanes { acc[0][k][l] += a[base + l] }
            }
        }
        var i = 0
        while i + levelStep <= size {
            for _ in 0..<levelStep { add(row: i); i += 1 }
            for j in 1..<levels {
                for k in 0..<ilp {
                    for l in 0..<lanes { acc[j][k][l] += acc[j - 1][k][l]; acc[j - 1][k][l] = 0 }
                }
                if i & (levelMask << (j * levelPower)) != 0 { break }
            }
        }
        while i < size { add(row: i); i += 1 }
        for j in 1..<levels {
            for k in 0..<ilp { for l in 0..<lanes { acc[0][k][l] += acc[j][k][l] } }
        }
        return acc[0]
    }

    private static func ceilLog2(_ n: Int) -> Int {
        n <= 1 ? 0 : Int.bitWidth - (n - 1).leadingZeroBitCount
    }
}
