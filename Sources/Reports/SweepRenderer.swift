import TensorCore
import QuantCore
import TUI

/// Renders a sweep: one row per configuration, Pareto-optimal rows marked.
public struct SweepRenderer: Sendable {
    public var file: String
    public var tensor: String
    public var sweep: Sweep

    public init(file: String, tensor: String, sweep: Sweep) {
        self.file = file
        self.tensor = tensor
        self.sweep = sweep
    }

    /// Every format lists the rows in the same order: by cost (`Sweep.rowsByCost`).
    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .json:
            return JSONValue.object([
                ("file", .string(file)), ("tensor", .string(tensor)),
                ("rows", .array(sweep.rowsByCost.map { r in
                    .object([
                        ("dtype", .string(r.config.dtype.name)), ("block", r.config.block.jsonValue),
                        ("double_quant", .bool(r.config.doubleQuant)),
                        ("bits_per_param", .double(r.bitsPerParam)), ("sqnr_db", .double(r.sqnrDB)),
                        ("rel_fro_err", .double(r.relFroErr)), ("max_abs_err", .double(r.maxAbsErr)),
                        ("pareto", .bool(r.paretoOptimal)),
                    ])
                })),
            ]).serialized() + "\n"
        case .csv:
            var out = CSV.line(["dtype", "block", "double_quant", "bits_per_param", "sqnr_db", "rel_fro_err", "max_abs_err", "pareto"])
            for r in sweep.rowsByCost {
                out += CSV.line([r.config.dtype.name, r.config.block.description, String(r.config.doubleQuant),
                                 JSONValue.double(r.bitsPerParam).serialized(), JSONValue.double(r.sqnrDB).serialized(),
                                 JSONValue.double(r.relFroErr).serialized(), JSONValue.double(r.maxAbsErr).serialized(),
                                 String(r.paretoOptimal)])
            }
            return out
        case .markdown:
            var out = "| dtype | block | bits/param | SQNR dB | rel. error | max abs err | Pareto |\n|---|---|---:|---:|---:|---:|:-:|\n"
            for r in sweep.rowsByCost {
                out += "| \(r.config.dtype.name)\(r.config.doubleQuant ? " +dq" : "") | \(r.config.block) | \(NumberFormat.fixed(r.bitsPerParam, 3)) | \(NumberFormat.fixed(r.sqnrDB, 2)) | \(NumberFormat.compact(r.relFroErr)) | \(NumberFormat.compact(r.maxAbsErr)) | \(r.paretoOptimal ? "★" : "") |\n"
            }
            return out
        case .text:
            var out = "\(file) ▸ \(tensor)\n"
            out += "dtype".padding(toLength: 20, withPad: " ", startingAt: 0) + "block".padding(toLength: 8, withPad: " ", startingAt: 0)
                + "bits/p".leftPad(8) + "SQNR dB".leftPad(9) + "rel.err".leftPad(11) + "max err".leftPad(11) + "  pareto\n"
            for r in sweep.rowsByCost {
                out += (r.config.dtype.name + (r.config.doubleQuant ? " +dq" : "")).padding(toLength: 20, withPad: " ", startingAt: 0)
                    + r.config.block.description.padding(toLength: 8, withPad: " ", startingAt: 0)
                    + NumberFormat.fixed(r.bitsPerParam, 3).leftPad(8) + NumberFormat.fixed(r.sqnrDB, 2).leftPad(9)
                    + NumberFormat.compact(r.relFroErr).leftPad(11) + NumberFormat.compact(r.maxAbsErr).leftPad(11)
                    + (r.paretoOptimal ? "  ★" : "") + "\n"
            }
            out += "★ Pareto-optimal: no other row has fewer bits per parameter and a higher SQNR.\n"
            return out
        }
    }

}

extension String {
    /// The string right-aligned in `width` characters (never cut: tables widen rather than lie).
    public func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
