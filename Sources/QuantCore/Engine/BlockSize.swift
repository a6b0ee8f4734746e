/// How elements are grouped to share a scale.
///
/// Blocks run over the row-major flattened index, as in bitsandbytes; `row` is
/// LLM.int8()'s vector-wise scaling, `column` one scale per input feature, and
/// `tensor` a single scale.
public enum BlockSize: Sendable, Hashable, CustomStringConvertible {
    /// Consecutive runs of this many elements (a power of two from 16 to 4096); the last may be partial.
    case elements(Int)
    case row
    case column
    case tensor

    /// The block sizes `--block` accepts as numbers.
    public static let numericSizes: [Int] = (4...12).map { 1 << $0 }

    /// Parses `64`, `row`, `column` or `tensor`.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "row", "rows": self = .row
        case "column", "col", "columns": self = .column
        case "tensor": self = .tensor
        default:
            guard let n = Int(argument), BlockSize.numericSizes.contains(n) else { return nil }
            self = .elements(n)
        }
    }

    public var description: String {
        switch self {
        case .elements(let n): "\(n)"
        case .row: "row"
        case .column: "column"
        case .tensor: "tensor"
        }
    }

    /// The next larger block size in the order 16 … 4096, row, column, tensor (nil at the end).
    public var larger: BlockSize? {
        let order = BlockSize.cycle
        guard let i = order.firstIndex(of: self), i + 1 < order.count else { return nil }
        return order[i + 1]
    }

    /// The next smaller block size (nil at the start).
    public var smaller: BlockSize? {
        let order = BlockSize.cycle
        guard let i = order.firstIndex(of: self), i > 0 else { return nil }
        return order[i - 1]
    }

    /// Every block size in display order.
    public static var cycle: [BlockSize] { numericSizes.map { .elements($0) } + [.row, .column, .tensor] }
}
