import QuantCore
import TUI

/// Renders one inspected block (`qscope inspect`): its scale, then every element with its normalised
/// value, code, level, dequantized value and error.
public struct InspectRenderer: Sendable {
    public var file: String
    public var tensor: String
    public var config: QuantConfig
    public var inspection: BlockInspection

    public init(file: String, tensor: String, config: QuantConfig, inspection: BlockInspection) {
        self.file = file
        self.tensor = tensor
        self.config = config
        self.inspection = inspection
    }

    static func opt(_ v: Float?) -> JSONValue { v.map { .float($0) } ?? .null }

    public func render(_ format: OutputFormat) -> String {
        let b = inspection
        let hasCodes = !b.codes.isEmpty
        switch format {
        case .json:
            // The contract's fields (docs/ARCHITECTURE.md), then what else the inspector knows.
            var block: [(String, JSONValue)] = [
                ("index", .int(b.index)), ("start", .int(b.start)), ("count", .int(b.count)),
                ("scale", Self.opt(b.scale)), ("zero_point", Self.opt(b.zeroPoint)),
                ("values", .array(b.values.map { .float($0) })), ("normalized", .array(b.normalized.map { .float($0) })),
                ("codes", .array(b.codes.map { .int($0) })), ("dequantized", .array(b.dequantized.map { .float($0) })),
                ("errors", .array(b.errors.map { .float($0) })),
            ]
            block += [
                ("levels", .array(b.levels.map { .float($0) })), ("stride", .int(b.stride)), ("block_count", .int(b.blockCount)),
                ("absmax", Self.opt(b.absmax)), ("min", .float(b.minimum)), ("max", .float(b.maximum)),
                ("absmax_before_double_quant", Self.opt(b.absmaxBeforeDoubleQuant)),
                ("absmax_after_double_quant", Self.opt(b.absmaxAfterDoubleQuant)),
            ]
            return JSONValue.object([
                ("file", .string(file)), ("tensor", .string(tensor)),
                ("config", .object([("dtype", .string(config.dtype.name)), ("block", config.block.jsonValue),
                                    ("double_quant", .bool(config.doubleQuant))])),
                ("block", .object(block)),
            ]).serialized() + "\n"
        case .csv, .markdown:
            var header = ["index", "value", "normalized"]
            if hasCodes { header += ["code", "level"] }
            header += ["dequantized", "error"]
            var rows: [[String]] = []
            for j in 0..<b.count {
                var r = ["\(b.start + j * b.stride)", num(b.values[j]), num(b.normalized[j])]
                if hasCodes { r += ["\(b.codes[j])", num(b.levels[j])] }
                r += [num(b.dequantized[j]), num(b.errors[j])]
                rows.append(r)
            }
            if format == .csv { return CSV.line(header) + rows.map(CSV.line).joined() }
            return "| " + header.joined(separator: " | ") + " |\n|" + String(repeating: "---:|", count: header.count) + "\n"
                + rows.map { "| " + $0.joined(separator: " | ") + " |\n" }.joined()
        case .text:
            var out = "\(file) ▸ \(tensor)  \(config.description)\n"
            for line in BlockSummary.lines(b) { out += line + "\n" }
            out += "\n" + "index".leftPad(10) + "x".leftPad(14) + "x÷scale".leftPad(11)
                + (hasCodes ? "code".leftPad(6) + "level".leftPad(11) : "") + "dequantized".leftPad(14) + "error".leftPad(14) + "\n"
            for j in 0..<b.count {
                out += "\(b.start + j * b.stride)".leftPad(10) + num(b.values[j]).leftPad(14) + num(b.normalized[j]).leftPad(11)
                    + (hasCodes ? "\(b.codes[j])".leftPad(6) + num(b.levels[j]).leftPad(11) : "")
                    + num(b.dequantized[j]).leftPad(14) + num(b.errors[j]).leftPad(14) + "\n"
            }
            return out
        }
    }

    /// Shortest text that reads back as the same Float (as the JSON writes it).
    func num(_ v: Float) -> String { JSONValue.float(v).serialized() }
}
