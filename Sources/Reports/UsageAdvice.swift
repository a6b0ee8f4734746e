import Foundation
import QuantCore

/// The sentences of the usage errors about a datatype or a block size, shared by every option that
/// takes one (`--dtype`, `--dtypes`, `--block`, `--blocks`): what is wrong, what is accepted, and the
/// nearest valid value when the input reads like a typo of it.
public enum UsageAdvice {
    /// Why `text` is not a datatype name, or nil when it is one.
    public static func datatype(_ text: String, option: String = "--dtype") -> String? {
        guard DataType(name: text) == nil else { return nil }
        let names = DataType.allCases.map(\.name)
        if let near = NameSuggestion.nearest(to: text, in: names) {
            return "\(option): unknown datatype '\(text)'; did you mean '\(near)'? ('qscope help report' lists every datatype)"
        }
        return "\(option): unknown datatype '\(text)'; the datatypes are \(names.joined(separator: ", "))"
    }

    /// The numeric block sizes, as a sentence: `16, 32, …, 4096`.
    static var numericList: String { BlockSize.numericSizes.map(String.init).joined(separator: ", ") }

    /// Why `text` is not a block size, or nil when it is one.
    public static func blockSize(_ text: String, option: String = "--block") -> String? {
        guard BlockSize(argument: text) == nil else { return nil }
        let sizes = BlockSize.numericSizes
        let accepted = "blocks are powers of two from \(sizes[0]) to \(sizes[sizes.count - 1]) (\(numericList)), or row, column or tensor"
        guard let n = Int(text) else {
            if Double(text) != nil { return "\(option) \(text): a block holds a whole number of elements; \(accepted)" }
            let near = NameSuggestion.nearest(to: text, in: ["row", "column", "tensor"])
            return "\(option): '\(text)' is not a block size" + (near.map { "; did you mean '\($0)'?" } ?? "") + " (\(accepted))"
        }
        if n <= 0 { return "\(option) \(text): a block holds a positive number of elements; \(accepted)" }
        if n & (n - 1) != 0 {
            // The nearest power of two on a log scale, within the accepted range.
            let near = sizes.min { abs(log2(Double($0) / Double(n))) < abs(log2(Double($1) / Double(n))) } ?? 64
            return "\(option) \(text) is not a power of two; did you mean \(near)? (\(accepted))"
        }
        let edge = n < sizes[0] ? sizes[0] : sizes[sizes.count - 1]
        return "\(option) \(text) is out of range; did you mean \(edge)? (\(accepted))"
    }
}
