import TensorCore
import QuantCore
import TUI

/// Renders outlier isolation (`qscope isolate`): per kept percentage, the bits per parameter (kept
/// values and their indices counted) and the error of the result.
public struct IsolationRenderer: Sendable {
    public var file: String
    public var tensor: String
    public var isolation: OutlierIsolation

    public init(file: String, tensor: String, isolation: OutlierIsolation) {
        self.file = file
        self.tensor = tensor
        self.isolation = isolation
    }

    public func render(_ format: OutputFormat) -> String {
        let c = isolation.config
        let rows = isolation.rows
        switch format {
        case .json:
            return JSONValue.object([
                ("file", .string(file)), ("tensor", .string(tensor)),
                ("config", .object([("dtype", .string(c.dtype.name)), ("block", c.block.jsonValue), ("double_quant", .bool(c.doubleQuant))])),
                ("ranking", .string(isolation.ranking.rawValue)), ("bits_per_kept", .int(OutlierIsolation.bitsPerKept)),
                ("rows", .array(rows.map { r in
                    .object([("percent", .double(r.percent)), ("kept", .int(r.kept)), ("bits_per_param", .double(r.bitsPerParam)),
                             ("sqnr_db", .double(r.sqnrDB)), ("rel_fro_err", .double(r.relFroErr)), ("max_abs_err", .double(r.maxAbsErr))])
                })),
            ]).serialized() + "\n"
        case .csv:
            var out = CSV.line(["percent", "kept", "bits_per_param", "sqnr_db", "rel_fro_err", "max_abs_err"])
            for r in rows {
                out += CSV.line([JSONValue.double(r.percent).serialized(), "\(r.kept)", JSONValue.double(r.bitsPerParam).serialized(),
                                 JSONValue.double(r.sqnrDB).serialized(), JSONValue.double(r.relFroErr).serialized(),
                                 JSONValue.double(r.maxAbsErr).serialized()])
            }
            return out
        case .markdown:
            var out = "| kept % | weights | bits/param | SQNR dB | rel. error | max abs err |\n|---:|---:|---:|---:|---:|---:|\n"
            for r in rows {
                out += "| \(JSONValue.double(r.percent).serialized()) | \(r.kept) | \(NumberFormat.fixed(r.bitsPerParam, 3)) | "
                    + "\(NumberFormat.fixed(r.sqnrDB, 2)) | \(NumberFormat.compact(r.relFroErr)) | \(NumberFormat.compact(r.maxAbsErr)) |\n"
            }
            return out
        case .text:
            var out = "\(file) ▸ \(tensor)  \(c.description), top weights by \(isolation.ranking.rawValue) kept in fp16 "
                + "(+\(OutlierIsolation.bitsPerKept) bits each: value and 32-bit index)\n"
            out += "kept %".leftPad(7) + "weights".leftPad(10) + "bits/p".leftPad(9) + "SQNR dB".leftPad(9)
                + "rel.err".leftPad(11) + "max err".leftPad(11) + "\n"
            for r in rows {
                out += JSONValue.double(r.percent).serialized().leftPad(7) + "\(r.kept)".leftPad(10)
                    + NumberFormat.fixed(r.bitsPerParam, 3).leftPad(9) + NumberFormat.fixed(r.sqnrDB, 2).leftPad(9)
                    + NumberFormat.compact(r.relFroErr).leftPad(11) + NumberFormat.compact(r.maxAbsErr).leftPad(11) + "\n"
            }
            return out
        }
    }
}
