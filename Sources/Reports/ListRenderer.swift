import QuantCore
import TUI
import TensorCore
import TensorIO

/// Renders `qscope list`: the tensors of a file, from its header only.
public struct ListRenderer: Sendable {
    public var file: String
    public var catalog: TensorFile

    public init(file: String, catalog: TensorFile) {
        self.file = file
        self.catalog = catalog
    }

    public func render(_ format: OutputFormat) -> String {
        let f = catalog
        if format == .json {
            return JSONValue.object([
                ("file", .string(file)),
                ("format", .string(f.format.rawValue)),
                ("metadata", .object(f.metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                ("tensors", .array(f.tensors.map(\.listJSON))),
            ]).serialized() + "\n"
        }
        var lines: [String] = []
        let width = min(max(f.tensors.map(\.name.count).max() ?? 4, 4), 60)
        lines.append("\(file): \(f.format.rawValue), \(f.tensors.count) tensors, \(f.tensors.reduce(0) { $0 + $1.count }) values")
        if f.format == .gguf {
            let m = f.metadata
            var types: [String: Int] = [:]
            for t in f.tensors { types[t.dtype, default: 0] += 1 }
            let summary = types.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            lines.append("  GGUF v\(m["gguf.version"] ?? "?"), architecture \(m["general.architecture"] ?? "unknown")"
                         + (m["general.name"].map { ", name \($0)" } ?? "") + (m["general.file_type"].map { ", file type \($0)" + (Int($0).flatMap(GGUFFileType.name).map { " (\($0))" } ?? "") } ?? ""))
            lines.append("  tensor types: \(summary)")
        }
        for t in f.tensors {
            let shape = NumberFormat.shape(t.shape)
            let note = t.listNote
            lines.append("  " + t.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                         + t.dtype.padding(toLength: 8, withPad: " ", startingAt: 0) + shape.padding(toLength: 14, withPad: " ", startingAt: 0)
                         + String(t.count).leftPad(12) + "  " + NumberFormat.bytes(t.byteCount).leftPad(9) + note)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
