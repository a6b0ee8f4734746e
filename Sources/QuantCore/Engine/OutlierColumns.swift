/// Outlier columns: the last-axis indices whose absmax stands out.
///
/// Two rules, either suffices: an absolute threshold (6.0 by default, as
/// LLM.int8() uses on activations) and a relative one (k × the median column
/// absmax, k = 6 by default), which also finds outliers in weights whose values
/// never reach 6.
public struct OutlierColumns: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        public var index: Int
        public var absmax: Float
        /// absmax ÷ the median column absmax.
        public var ratio: Double
    }

    public var threshold: Float
    public var k: Float
    public var median: Float
    /// absmax of every column (finite values only).
    public var columnAbsmax: [Float]
    /// The flagged columns, largest absmax first.
    public var columns: [Column]

    /// The rule as a phrase for reports and the UI.
    public var rule: String {
        "absmax > \(formatShort(threshold)) or > \(formatShort(k))× median column absmax"
    }

    /// The columns flagged under another threshold and k, without rescanning the tensor.
    public func flagged(threshold: Float, k: Float) -> [Column] {
        OutlierColumns.flag(columnAbsmax, median: median, threshold: threshold, k: k)
    }

    static func flag(_ colMax: [Float], median: Float, threshold: Float, k: Float) -> [Column] {
        var flagged: [Column] = []
        for (c, a) in colMax.enumerated() where a > threshold || (median > 0 && a > k * median) {
            flagged.append(Column(index: c, absmax: a, ratio: median > 0 ? Double(a) / Double(median) : .infinity))
        }
        flagged.sort { $0.absmax > $1.absmax || ($0.absmax == $1.absmax && $0.index < $1.index) }
        return flagged
    }

    /// Finds the outlier columns of `values` viewed as `[rows, cols]`.
    public static func find(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, threshold: Float = 6, k: Float = 6,
                            threads: Int = Parallel.defaultThreads) -> OutlierColumns {
        guard cols > 0, rows > 0, x.count == rows * cols, let base = x.baseAddress else {
            return OutlierColumns(threshold: threshold, k: k, median: 0, columnAbsmax: [], columns: [])
        }
        let src = SharedPointer(base)
        let partial = Parallel.mapChunks(count: rows, threads: threads, minimumPerChunk: Swift.max(1, 65536 / cols)) { r -> [Float] in
            var m = [Float](repeating: 0, count: cols)
            for row in r {
                let p = src.base + row * cols
                for c in 0..<cols {
                    let a = abs(p[c])
                    if a.isFinite && a > m[c] { m[c] = a }
                }
            }
            return m
        }
        var colMax = [Float](repeating: 0, count: cols)
        for m in partial { for c in 0..<cols where m[c] > colMax[c] { colMax[c] = m[c] } }
        return OutlierColumns(columnAbsmax: colMax, threshold: threshold, k: k)
    }
}

extension OutlierColumns {
    /// The outlier columns given every column's absmax.
    public init(columnAbsmax colMax: [Float], threshold: Float, k: Float) {
        let cols = colMax.count
        var median: Float = 0
        if cols > 0 {
            let sorted = colMax.sorted()
            median = cols % 2 == 1 ? sorted[cols / 2] : (sorted[cols / 2 - 1] + sorted[cols / 2]) / 2
        }
        self.init(threshold: threshold, k: k, median: median, columnAbsmax: colMax,
                  columns: OutlierColumns.flag(colMax, median: median, threshold: threshold, k: k))
    }
}
