import TensorCore
import QuantCore
import TUI

/// One tensor's line in `qscope scan`.
public struct ScanRow: Sendable {
    public var name: String
    public var shape: [Int]
    public var sourceDType: String
    public var count: Int
    public var metrics: ErrorMetrics
    public var outlierColumns: Int

    public init(name: String, shape: [Int], sourceDType: String, count: Int, metrics: ErrorMetrics, outlierColumns: Int) {
        self.name = name
        self.shape = shape
        self.sourceDType = sourceDType
        self.count = count
        self.metrics = metrics
        self.outlierColumns = outlierColumns
    }
}

/// How `scan` orders its table.
public enum ScanSort: String, CaseIterable, Sendable {
    case error, outliers, sqnr, name
}

/// Renders `qscope scan`: every tensor of a file under one configuration.
public struct ScanRenderer: Sendable {
    public var file: String
    public var config: QuantConfig
    public var rows: [ScanRow]
    public var skipped: [(name: String, reason: String)]
    public var sort: ScanSort

    public init(file: String, config: QuantConfig, rows: [ScanRow], skipped: [(name: String, reason: String)], sort: ScanSort) {
        self.file = file
        self.config = config
        self.rows = rows
        self.skipped = skipped
        self.sort = sort
    }

    /// Worst first for error and outliers, best first for SQNR would hide problems: lowest SQNR first.
    var sorted: [ScanRow] {
        switch sort {
        case .error: rows.sorted { ($0.metrics.relFroErr.isNaN ? -1 : $0.metrics.relFroErr) > ($1.metrics.relFroErr.isNaN ? -1 : $1.metrics.relFroErr) }
        case .outliers: rows.sorted { ($0.outlierColumns, $1.name) > ($1.outlierColumns, $0.name) }
        case .sqnr: rows.sorted { ($0.metrics.sqnrDB.isNaN ? .infinity : $0.metrics.sqnrDB) < ($1.metrics.sqnrDB.isNaN ? .infinity : $1.metrics.sqnrDB) }
        case .name: rows.sorted { $0.name < $1.name }
        }
    }

    public func render(_ format: OutputFormat) -> String {
        let rows = sorted
        switch format {
        case .json:
            return JSONValue.object([
                ("file", .string(file)),
                ("config", .object([("dtype", .string(config.dtype.name)), ("block", config.block.jsonValue),
                                    ("double_quant", .bool(config.doubleQuant))])),
                ("tensors", .array(rows.map { r in
                    .object([("name", .string(r.name)), ("shape", .array(r.shape.map { .int($0) })),
                             ("source_dtype", .string(r.sourceDType)), ("count", .int(r.count)),
                             ("sqnr_db", .double(r.metrics.sqnrDB)), ("rel_fro_err", .double(r.metrics.relFroErr)),
                             ("max_abs_err", .double(r.metrics.maxAbsErr)), ("bits_per_param", .double(r.metrics.bitsPerParam)),
                             ("outlier_columns", .int(r.outlierColumns))])
                })),
                ("skipped", .array(skipped.map { .object([("name", .string($0.name)), ("reason", .string($0.reason))]) })),
            ]).serialized() + "\n"
        case .csv:
            // Each line carries the analysis' configuration, as `report --format csv` does, so that lines
            // from scans at several configurations can be concatenated.
            var out = CSV.line(["name", "shape", "source_dtype", "count", "dtype", "block", "double_quant",
                                "sqnr_db", "rel_fro_err", "max_abs_err", "bits_per_param", "outlier_columns"])
            for r in rows {
                out += CSV.line([r.name, r.shape.map(String.init).joined(separator: "x"), r.sourceDType, String(r.count),
                                 config.dtype.name, config.block.description, String(config.doubleQuant),
                                 JSONValue.double(r.metrics.sqnrDB).serialized(), JSONValue.double(r.metrics.relFroErr).serialized(),
                                 JSONValue.double(r.metrics.maxAbsErr).serialized(), JSONValue.double(r.metrics.bitsPerParam).serialized(),
                                 String(r.outlierColumns)])
            }
            return out
        case .markdown:
            // The caption names the analysis' configuration; `stored` is each tensor's dtype in the file.
            var out = "`\(file)`: \(rows.count) tensors at \(config.dtype.name) · block \(config.block)"
                + (config.doubleQuant ? " · double quant" : "") + ", sorted by \(sort.rawValue)\n\n"
            out += "| tensor | shape | stored | dtype | block | SQNR dB | rel. error | max err | outlier cols |\n|---|---|---|---|---|---:|---:|---:|---:|\n"
            for r in rows {
                out += "| \(r.name) | \(NumberFormat.shape(r.shape)) | \(r.sourceDType) | \(config.dtype.name)\(config.doubleQuant ? " +dq" : "") | \(config.block) | \(NumberFormat.fixed(r.metrics.sqnrDB, 2)) | \(NumberFormat.compact(r.metrics.relFroErr)) | \(NumberFormat.compact(r.metrics.maxAbsErr)) | \(r.outlierColumns) |\n"
            }
            return out
        case .text:
            let width = min(max(rows.map(\.name.count).max() ?? 6, 6), 56)
            var out = "\(file): \(rows.count) tensors at \(config.description), sorted by \(sort.rawValue)\n"
            out += "tensor".padding(toLength: width, withPad: " ", startingAt: 0) + "  " + "shape".padding(toLength: 12, withPad: " ", startingAt: 0)
                + "SQNR dB".leftPad(9) + "rel.err".leftPad(11) + "max err".leftPad(11) + "outl.cols".leftPad(10) + "\n"
            for r in rows {
                let name = r.name.count > width ? String(r.name.prefix(width - 1)) + "…" : r.name
                out += name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + NumberFormat.shape(r.shape).padding(toLength: 12, withPad: " ", startingAt: 0)
                    + NumberFormat.fixed(r.metrics.sqnrDB, 2).leftPad(9) + NumberFormat.compact(r.metrics.relFroErr).leftPad(11)
                    + NumberFormat.compact(r.metrics.maxAbsErr).leftPad(11) + String(r.outlierColumns).leftPad(10) + "\n"
            }
            for s in skipped { out += "skipped \(s.name): \(s.reason)\n" }
            return out
        }
    }
}
