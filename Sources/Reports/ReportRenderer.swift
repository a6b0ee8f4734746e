import TensorCore
import QuantCore
import TUI

/// Renders one analysis as `qscope report` prints it.
///
/// The JSON form is the contract of docs/ARCHITECTURE.md; text, CSV and
/// Markdown are for people and spreadsheets.
public struct ReportRenderer: Sendable {
    public var file: String
    public var analysis: Analysis

    public init(file: String, analysis: Analysis) {
        self.file = file
        self.analysis = analysis
    }

    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .json: json().serialized() + "\n"
        case .text: text()
        case .csv: csv()
        case .markdown: markdown()
        }
    }

    /// The metrics in contract order, with their JSON values.
    var metricPairs: [(String, JSONValue)] {
        MetricTable.all.map { ($0.key, $0.json(analysis.metrics)) }
    }

    var statPairs: [(String, JSONValue)] {
        let s = analysis.stats
        return [
            ("mean", .double(s.mean)), ("std", .double(s.std)), ("min", .double(s.min)), ("max", .double(s.max)),
            ("absmax", .double(s.absmax)), ("kurtosis", .double(s.kurtosis)), ("nan", .int(s.nanCount)), ("inf", .int(s.infCount)),
        ]
    }

    public func json() -> JSONValue {
        let a = analysis
        let o = a.outliers
        return .object([
            ("file", .string(file)),
            ("tensor", .string(a.tensorName)),
            ("shape", .array(a.shape.map { .int($0) })),
            ("source_dtype", .string(a.sourceDType)),
            ("count", .int(a.count)),
            ("stats", .object(statPairs)),
            ("config", .object([
                ("dtype", .string(dtypeName)),
                ("block", blockValue),
                ("double_quant", .bool(a.stored == nil && a.config.doubleQuant)),
            ])),
        ] + storedPairs + [
            ("metrics", .object(metricPairs + [("excluded", .int(a.metrics.excluded))])),
            ("outliers", .object([
                ("threshold", .float(o.threshold)),
                ("rule", .string(o.rule)),
                ("median_column_absmax", .float(o.median)),
                ("columns", .array(o.columns.map { c in
                    .object([("index", .int(c.index)), ("absmax", .float(c.absmax)), ("ratio", .double(c.ratio))])
                })),
            ])),
            ("histogram", .object([
                ("edges", .array(a.valueHistogram.edges.map { .double($0) })),
                ("counts", .array(a.valueHistogram.counts.map { .int($0) })),
            ])),
            ("code_usage", .array(a.codeUsage.map { .int($0) })),
        ])
    }

    /// The datatype: qscope's name, or the file's own type for a stored quantization (`Q4_K`).
    var dtypeName: String { analysis.stored?.name ?? analysis.config.dtype.name }

    /// The block: the configuration's, or the stored type's block of elements.
    var blockValue: JSONValue { analysis.stored.map { .int($0.blockElements) } ?? analysis.config.block.jsonValue }

    /// A stored quantization's description (`report --stored`); nothing for a re-quantization.
    var storedPairs: [(String, JSONValue)] {
        guard let st = analysis.stored else { return [] }
        return [("stored", .object([
            ("type", .string(st.name)),
            ("block", .int(st.blockElements)),
            ("scale_group", .int(st.scaleGroup)),
            ("codes", .string(st.latticeGroup == nil ? "scalar" : "lattice")),
            ("code_count", .int(st.codeCount)),
            ("lattice_group", st.latticeGroup.map { .int($0) } ?? .null),
            ("levels", .array(st.levelSet.map { .float($0) })),
            ("original", st.original.map { .string($0) } ?? .null),
        ]))]
    }

    /// One metric as the text and Markdown reports write it (codes used as `16 of 16`).
    func metricText(_ spec: MetricSpec) -> String {
        let a = analysis, m = a.metrics
        guard spec.key == "codes_used" else { return spec.text(m) }
        return a.stored != nil || a.config.dtype.hasCodes ? "\(m.codesUsed) of \(a.codeSlots)" : "\(m.codesUsed) distinct values"
    }

    func text() -> String {
        let a = analysis
        let s = a.stats
        let m = a.metrics
        var lines: [String] = []
        lines.append("\(file) ▸ \(a.tensorName)  \(NumberFormat.shape(a.shape)) \(a.sourceDType)  \(a.count) values")
        if let st = a.stored {
            let codes = st.latticeGroup.map { "a lattice of \(st.codeCount) grid points of \($0) values (\(st.levelSet.count) distinct values)" }
                ?? "\(st.codeCount) codes"
            lines.append("stored   \(st.name) · blocks of \(st.blockElements)" + (st.scaleGroup < st.blockElements ? ", a scale per \(st.scaleGroup)" : "")
                         + " · \(codes), read from the file's blocks")
            lines.append("         " + (st.original.map { "error against \($0)" } ?? "no original given (--original FILE): no error figures"))
        } else {
            lines.append("config   \(a.config.dtype.name) · block \(a.config.block) · double quant \(a.config.doubleQuant ? "on" : "off")")
            lines.append("         \(a.config.dtype.summary)")
        }
        lines.append("")
        lines.append("stats    mean \(NumberFormat.compact(s.mean))  std \(NumberFormat.compact(s.std))  min \(NumberFormat.compact(s.min))  max \(NumberFormat.compact(s.max))  absmax \(NumberFormat.compact(s.absmax))  kurtosis \(NumberFormat.compact(s.kurtosis))  nan \(s.nanCount)  inf \(s.infCount)")
        lines.append("")
        lines.append("metrics")
        for spec in MetricTable.all {
            lines.append("  " + spec.label.padding(toLength: 12, withPad: " ", startingAt: 0) + metricText(spec))
        }
        if m.excluded > 0 { lines.append("  (\(m.excluded) non-finite inputs left out of the metrics)") }
        lines.append("")
        let o = a.outliers
        lines.append("outlier columns (\(o.rule); median \(NumberFormat.compact(Double(o.median)))): \(o.columns.count)")
        for c in o.columns.prefix(10) {
            lines.append("  col \(c.index)".padding(toLength: 12, withPad: " ", startingAt: 0)
                         + "absmax \(NumberFormat.compact(Double(c.absmax)))  \(NumberFormat.ratio(c.ratio)) median")
        }
        if o.columns.count > 10 { lines.append("  … \(o.columns.count - 10) more") }
        lines.append("")
        lines.append("histograms (log count)")
        var hists: [(String, Histogram)] = [("values", a.valueHistogram),
                                            (a.codebook.domainLabel, a.normalizedHistogram),
                                            ("error", a.errorHistogram)]
        // A stored quantization without its original has no error to draw.
        if let st = a.stored, st.original == nil { hists.removeLast() }
        let width = hists.map(\.0.count).max() ?? 0
        for (label, h) in hists {
            let range = "[\(NumberFormat.compact(h.lower)), \(NumberFormat.compact(h.upper))]"
            lines.append("  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                         + range.padding(toLength: 22, withPad: " ", startingAt: 0) + NumberFormat.sparkline(h.counts, width: 64, log: true))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func csv() -> String {
        let a = analysis
        var header = ["file", "tensor", "shape", "source_dtype", "count", "dtype", "block", "double_quant"]
        var row = [file, a.tensorName, a.shape.map(String.init).joined(separator: "x"), a.sourceDType, String(a.count),
                   dtypeName, blockValue.serialized(pretty: false).replacingOccurrences(of: "\"", with: ""),
                   String(a.stored == nil && a.config.doubleQuant)]
        for (k, v) in statPairs + metricPairs {
            header.append(k)
            row.append(v.serialized(pretty: false))
        }
        header.append("outlier_columns")
        row.append(String(a.outliers.columns.count))
        return CSV.line(header) + CSV.line(row)
    }

    func markdown() -> String {
        let a = analysis
        var out = a.stored.map { "### \(a.tensorName) · \($0.label) · blocks of \($0.blockElements)\n\n" }
            ?? "### \(a.tensorName) · \(a.config.dtype.name) · block \(a.config.block)\(a.config.doubleQuant ? " · double quant" : "")\n\n"
        out += "`\(file)`, shape \(NumberFormat.shape(a.shape)), \(a.sourceDType), \(a.count) values\n\n"
        // Numbers as the text report writes them (NumberFormat), not JSON's 17 digits: Markdown is read.
        out += "| metric | value |\n|---|---:|\n"
        for spec in MetricTable.all { out += "| \(spec.key) | \(metricText(spec)) |\n" }
        out += "\n| stat | value |\n|---|---:|\n"
        let s = a.stats
        for (k, v) in [("mean", s.mean), ("std", s.std), ("min", s.min), ("max", s.max), ("absmax", s.absmax), ("kurtosis", s.kurtosis)] {
            out += "| \(k) | \(NumberFormat.compact(v)) |\n"
        }
        out += "| nan | \(s.nanCount) |\n| inf | \(s.infCount) |\n"
        out += "\nOutlier columns (\(a.outliers.rule)): \(a.outliers.columns.count)"
        if !a.outliers.columns.isEmpty {
            out += " — " + a.outliers.columns.prefix(10).map {
                "\($0.index) (\(NumberFormat.compact(Double($0.absmax))), \(NumberFormat.ratio($0.ratio)) median)"
            }.joined(separator: ", ")
        }
        return out + "\n"
    }
}

extension BlockSize {
    /// Numbers stay numbers in JSON; row, column and tensor are strings.
    var jsonValue: JSONValue {
        if case .elements(let n) = self { return .int(n) }
        return .string(description)
    }
}

/// RFC 4180 quoting.
enum CSV {
    static func line(_ fields: [String]) -> String {
        fields.map { f in
            f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",") + "\n"
    }
}
