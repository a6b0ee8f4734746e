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

    /// The block's error figures that the text summary shows: the sum of squared errors, the largest
    /// |error| and the element (0-based within the block) that holds it, and how many codes it uses.
    var errorSummary: (squared: Double, largest: Double?, element: Int?, codesUsed: Int?) {
        let b = inspection
        let errs = b.errors.map { Double(abs($0)) }
        let finite = errs.indices.filter { errs[$0].isFinite }
        let worst = finite.max { errs[$0] < errs[$1] }
        return (finite.reduce(0) { $0 + errs[$1] * errs[$1] }, worst.map { errs[$0] }, worst,
                b.codes.isEmpty ? nil : Set(b.codes).count)
    }

    /// The per-element table: a header and one row per element, every cell as JSON writes its number.
    var table: (header: [String], rows: [[String]]) {
        let b = inspection
        let hasCodes = !b.codes.isEmpty
        var header = ["index", "x", "x÷scale"]
        if hasCodes { header += ["code", "level"] }
        header += ["dequantized", "error"]
        let rows = (0..<b.count).map { j in
            var r = ["\(b.start + j * b.stride)", num(b.values[j]), num(b.normalized[j])]
            if hasCodes { r += ["\(b.codes[j])", num(b.levels[j])] }
            return r + [num(b.dequantized[j]), num(b.errors[j])]
        }
        return (header, rows)
    }

    public func render(_ format: OutputFormat) -> String {
        let b = inspection
        let e = errorSummary
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
                ("squared_error", .double(e.squared)), ("max_abs_error", e.largest.map { .double($0) } ?? .null),
                ("max_abs_error_element", e.element.map { .int($0) } ?? .null),
                ("codes_used", e.codesUsed.map { .int($0) } ?? .null),
            ]
            return JSONValue.object([
                ("file", .string(file)), ("tensor", .string(tensor)),
                ("config", .object([("dtype", .string(config.dtype.name)), ("block", config.block.jsonValue),
                                    ("double_quant", .bool(config.doubleQuant))])),
                ("block", .object(block)),
            ]).serialized() + "\n"
        case .csv:
            // Each line also carries its block: which one, and the scale (zero point, absmax) it was quantized with.
            let t = table
            let blockCells = ["\(b.index)", b.scale.map(num) ?? "", b.zeroPoint.map(num) ?? "", b.absmax.map(num) ?? ""]
            var header = t.header
            header[1] = "value"
            header[2] = "normalized"
            return CSV.line(["block"] + header + ["scale", "zero_point", "absmax"])
                + t.rows.map { CSV.line([blockCells[0]] + $0 + blockCells.dropFirst()) }.joined()
        case .markdown:
            // The block's summary as the text output writes it, then the table.
            let t = table
            var out = "### \(tensor) · \(config.description) — block \(b.index) of \(b.blockCount)\n\n`\(file)`\n\n"
            out += BlockSummary.lines(b).map { "- " + $0 + "\n" }.joined() + "\n"
            out += "| " + t.header.joined(separator: " | ") + " |\n|" + String(repeating: "---:|", count: t.header.count) + "\n"
            return out + t.rows.map { "| " + $0.joined(separator: " | ") + " |\n" }.joined()
        case .text:
            var out = "\(file) ▸ \(tensor)  \(config.description)\n"
            for line in BlockSummary.lines(b) { out += line + "\n" }
            return out + "\n" + Self.alignedColumns(table.header, table.rows)
        }
    }

    /// Right-aligned columns, each as wide as its widest cell, two spaces apart: numbers of any length
    /// (`-0.019614715`, `-1.2345678e-05`) never run into their neighbours.
    static func alignedColumns(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.indices.map { cells[$0].leftPad(widths[$0] + ($0 == 0 ? 0 : 2)) }.joined() + "\n"
        }
        return line(header) + rows.map(line).joined()
    }

    /// Shortest text that reads back as the same Float (as the JSON writes it).
    func num(_ v: Float) -> String { JSONValue.float(v).serialized() }
}
