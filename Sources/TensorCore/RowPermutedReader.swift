/// A tensor whose rows (its first axis) are another reader's rows in another order.
///
/// llama.cpp's converter stores a Llama's Q and K projections with their rows interleaved per head;
/// comparing such a tensor with the Hugging Face original means reading it back in the original's row
/// order. The reader maps each row of a range to the base reader's row and reads it there, so it
/// streams like its base (whole rows of a GGUF tensor are whole blocks).
public struct RowPermutedReader: TensorReader {
    public let base: any TensorReader
    /// `sourceRow[r]`: the base reader's row that this reader's row `r` is.
    public let sourceRow: [Int]
    /// Values per row (the product of the axes after the first).
    public let rowLength: Int

    /// A view of `base` with row `r` taken from base row `sourceRow[r]`; nil unless `sourceRow` is a
    /// permutation of the base's rows.
    public init?(_ base: any TensorReader, sourceRow: [Int]) {
        let rows = base.info.shape.first ?? 1
        guard base.info.shape.count >= 1, rows == sourceRow.count, rows > 0, base.info.count % rows == 0 else { return nil }
        var seen = [Bool](repeating: false, count: rows)
        for r in sourceRow {
            guard r >= 0, r < rows, !seen[r] else { return nil }
            seen[r] = true
        }
        self.base = base
        self.sourceRow = sourceRow
        rowLength = base.info.count / rows
    }

    public var info: TensorInfo { base.info }
    public var granularity: Int { base.granularity }

    public func read(_ range: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(range.count == out.count && range.lowerBound >= 0 && range.upperBound <= info.count)
        guard !range.isEmpty, let dst = out.baseAddress, rowLength > 0 else { return }
        var i = range.lowerBound
        while i < range.upperBound {
            let row = i / rowLength, column = i % rowLength
            let n = Swift.min(rowLength - column, range.upperBound - i)
            let from = sourceRow[row] * rowLength + column
            base.read(from..<(from + n), into: UnsafeMutableBufferPointer(start: dst + (i - range.lowerBound), count: n))
            i += n
        }
    }
}
