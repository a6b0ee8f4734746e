/// Which elements share a scale: the mapping between blocks and element indices.
///
/// Blocks of `elements(n)` and `row` are contiguous runs of the row-major
/// flattened tensor; `column` blocks are strided (one per last-axis index);
/// `tensor` is one block. The last `elements(n)` block may be partial.
public struct Grouping: Sendable, Hashable {
    public let count: Int
    public let rows: Int
    public let cols: Int
    public let block: BlockSize

    public init(count: Int, rows: Int, cols: Int, block: BlockSize) {
        self.count = count
        self.rows = rows
        self.cols = cols
        self.block = block
    }

    /// Number of blocks (0 for an empty tensor).
    public var blockCount: Int {
        guard count > 0 else { return 0 }
        switch block {
        case .elements(let n): return (count + n - 1) / n
        case .row: return rows
        case .column: return cols
        case .tensor: return 1
        }
    }

    /// First element, number of elements and stride of block `b`.
    @inlinable
    public func extent(ofBlock b: Int) -> (start: Int, length: Int, stride: Int) {
        switch block {
        case .elements(let n): return (b * n, Swift.min(n, count - b * n), 1)
        case .row: return (b * cols, cols, 1)
        case .column: return (b, rows, cols)
        case .tensor: return (0, count, 1)
        }
    }

    /// The block holding element `i`.
    @inlinable
    public func blockIndex(ofElement i: Int) -> Int {
        switch block {
        case .elements(let n): return i / n
        case .row: return i / Swift.max(cols, 1)
        case .column: return i % Swift.max(cols, 1)
        case .tensor: return 0
        }
    }

    /// Elements per full block (for bits-per-parameter and the UI).
    public var nominalBlockLength: Int {
        switch block {
        case .elements(let n): return n
        case .row: return cols
        case .column: return rows
        case .tensor: return count
        }
    }
}
