import QuantCore
import TensorCore

/// Renders `qscope compare`: the error of every tensor of a quantized file against its original, the
/// pooled figure of all of them, and what could not be compared.
///
/// Metrics are labelled and written by `MetricTable`, as everywhere; a comparison has no codes, so
/// `code_entropy_bits` and `codes_used` are left out.
public struct CompareRenderer: Sendable {
    public var original: String
    public var quantized: String
    public var outcome: CompareRunner.Outcome
    public var unmatchedOriginal: [String]
    public var unmatchedQuantized: [String]

    public init(original: String, quantized: String, outcome: CompareRunner.Outcome, matching: TensorMatching) {
        self.original = original
        self.quantized = quantized
        self.outcome = outcome
        unmatchedOriginal = matching.unmatchedOriginal
        unmatchedQuantized = matching.unmatchedQuantized
    }

    /// The metrics of a comparison, in `MetricTable`'s order.
    public static let metricKeys = ["sqnr_db", "mse", "rmse", "mae", "max_abs_err", "cosine", "rel_fro_err", "bits_per_param", "bytes"]
    /// The columns of the text and Markdown tables.
    static let tableKeys = ["sqnr_db", "mse", "max_abs_err", "cosine", "rel_fro_err", "bits_per_param"]

    static var metricSpecs: [MetricSpec] { metricKeys.compactMap(MetricTable.spec) }
    static var tableSpecs: [MetricSpec] { tableKeys.compactMap(MetricTable.spec) }

    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .json: json().serialized() + "\n"
        case .csv: csv()
        case .markdown: markdown()
        case .text: text()
        }
    }

    static func metricsObject(_ m: ErrorMetrics) -> JSONValue {
        .object(metricSpecs.map { ($0.key, $0.json(m)) } + [("excluded", .int(m.excluded))])
    }

    func json() -> JSONValue {
        let total = outcome.total
        return .object([
            ("original", .string(original)),
            ("quantized", .string(quantized)),
            ("tensors", .array(outcome.rows.map { r in
                .object([("name", .string(r.name)), ("quantized_name", .string(r.quantizedName)),
                         ("shape", .array(r.shape.map { .int($0) })), ("original_dtype", .string(r.originalDType)),
                         ("quantized_dtype", .string(r.quantizedDType)), ("count", .int(r.count)),
                         ("matched_by", .string(r.rule.rawValue)),
                         ("unpermuted_heads", r.unpermutedHeads.map { .int($0) } ?? .null),
                         ("metrics", Self.metricsObject(r.metrics))])
            })),
            ("total", .object([("tensors", .int(outcome.rows.count)), ("count", .int(total.count)),
                               ("metrics", Self.metricsObject(total.metrics))])),
            ("mismatched", .array(outcome.mismatched.map { m in
                .object([("name", .string(m.name)), ("quantized_name", .string(m.quantizedName)),
                         ("original_shape", .array(m.originalShape.map { .int($0) })),
                         ("quantized_shape", .array(m.quantizedShape.map { .int($0) })), ("reason", .string(m.reason))])
            })),
            ("skipped", .array(outcome.skipped.map { .object([("name", .string($0.name)), ("reason", .string($0.reason))]) })),
            ("unmatched", .object([("original", .array(unmatchedOriginal.map { .string($0) })),
                                   ("quantized", .array(unmatchedQuantized.map { .string($0) }))])),
            ("interrupted", .bool(outcome.interrupted)),
        ])
    }

    func csv() -> String {
        var out = CSV.line(["name", "quantized_name", "shape", "original_dtype", "quantized_dtype", "count", "matched_by", "unpermuted_heads"]
            + Self.metricSpecs.map(\.key) + ["excluded"])
        for r in outcome.rows {
            let m = r.metrics
            out += CSV.line([r.name, r.quantizedName, r.shape.map(String.init).joined(separator: "x"), r.originalDType, r.quantizedDType,
                             String(r.count), r.rule.rawValue, r.unpermutedHeads.map(String.init) ?? ""]
                + Self.metricSpecs.map { $0.json(m).serialized() } + [String(m.excluded)])
        }
        return out
    }

    func markdown() -> String {
        let specs = Self.tableSpecs
        var out = "| tensor | quantized as | shape | dtype | " + specs.map { $0.label + ($0.unit.isEmpty ? "" : " " + $0.unit) }.joined(separator: " | ") + " |\n"
        out += "|---|---|---|---|" + specs.map { _ in "---:|" }.joined() + "\n"
        for r in outcome.rows {
            let q = r.quantizedName == r.name ? "" : r.quantizedName + (r.unpermutedHeads != nil ? " (Q/K rows un-permuted)" : "")
            out += "| \(r.name) | \(q) | \(NumberFormat.shape(r.shape)) | \(r.quantizedDType) | "
                + specs.map { $0.number(r.metrics) }.joined(separator: " | ") + " |\n"
        }
        if outcome.rows.count > 1 {
            let t = outcome.total
            out += "| **all \(outcome.rows.count)** |  | \(NumberFormat.count(t.count)) values |  | "
                + specs.map { $0.number(t.metrics) }.joined(separator: " | ") + " |\n"
        }
        return out
    }

    func text() -> String {
        let specs = Self.tableSpecs
        let rows = outcome.rows
        let nameWidth = min(max(rows.map(\.name.count).max() ?? 6, 6), 56)
        let renamed = rows.contains { $0.quantizedName != $0.name }
        let qWidth = renamed ? min(max(rows.map { $0.quantizedName.count + ($0.unpermutedHeads != nil ? 1 : 0) }.max() ?? 12, 12), 32) : 0
        let dtypeWidth = max(rows.map(\.quantizedDType.count).max() ?? 5, 5)
        let widths = specs.map { max($0.label.count, 9) + 2 }
        func cell(_ s: String, _ w: Int) -> String {
            (s.count > w ? String(s.prefix(w - 1)) + "…" : s).padding(toLength: w, withPad: " ", startingAt: 0)
        }
        var out = "\(original) ▸ \(quantized): \(rows.count) tensor\(rows.count == 1 ? "" : "s") compared"
        let byCpp = rows.filter { $0.rule == .llamaCpp }.count
        let unpermuted = rows.filter { $0.unpermutedHeads != nil }.count
        if byCpp > 0 {
            out += " (\(byCpp) by llama.cpp's names" + (unpermuted > 0 ? ", \(unpermuted) with the Q/K row permutation undone" : "") + ")"
        }
        out += "\n"
        var header = cell("tensor", nameWidth) + "  "
        if renamed { header += cell("quantized as", qWidth) + "  " }
        header += cell("shape", 11) + cell("dtype", dtypeWidth + 2)
        for (s, w) in zip(specs, widths) { header += (s.label + (s.unit.isEmpty ? "" : " " + s.unit)).leftPad(w) }
        out += header + "\n"
        for r in rows {
            var line = cell(r.name, nameWidth) + "  "
            if renamed { line += cell(r.quantizedName == r.name ? "" : r.quantizedName + (r.unpermutedHeads != nil ? "*" : ""), qWidth) + "  " }
            line += cell(NumberFormat.shape(r.shape), 11) + cell(r.quantizedDType, dtypeWidth + 2)
            for (s, w) in zip(specs, widths) { line += s.number(r.metrics).leftPad(w) }
            out += line + "\n"
        }
        if rows.count > 1 {
            let t = outcome.total
            var line = cell("all \(rows.count) tensors", nameWidth) + "  "
            if renamed { line += cell("", qWidth) + "  " }
            line += cell(NumberFormat.count(t.count), 11) + cell("", dtypeWidth + 2)
            for (s, w) in zip(specs, widths) { line += s.number(t.metrics).leftPad(w) }
            out += line + "\n"
        }
        if unpermuted > 0 { out += "* rows put back in the original's order (llama.cpp's converter permutes a Llama's Q and K heads)\n" }
        for m in outcome.mismatched { out += "not compared \(m.name) ↔ \(m.quantizedName): \(m.reason)\n" }
        for s in outcome.skipped { out += "skipped \(s.name): \(s.reason)\n" }
        if !unmatchedOriginal.isEmpty {
            out += "only in \(original) (\(unmatchedOriginal.count)): \(unmatchedOriginal.joined(separator: ", "))\n"
        }
        if !unmatchedQuantized.isEmpty {
            out += "only in \(quantized) (\(unmatchedQuantized.count)): \(unmatchedQuantized.joined(separator: ", "))\n"
        }
        return out
    }
}
