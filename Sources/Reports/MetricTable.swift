import QuantCore
import TensorCore

/// One metric as every view shows it: its JSON key, its labels, unit, which direction is better, and
/// how its number is written. `MetricTable.all` drives the metrics pane, the A/B view and every
/// format of `qscope report`, so a metric reads the same wherever it is shown.
public struct MetricSpec: Sendable {
    public enum Better: Sendable { case higher, lower, neither }

    /// The `report --format json` key (docs/ARCHITECTURE.md).
    public let key: String
    /// The label in reports and the A/B table.
    public let label: String
    /// The label in the narrow metrics pane (at most 8 characters).
    public let short: String
    /// Written after the number in text (`dB`, `bits`), or empty.
    public let unit: String
    public let better: Better
    public let style: NumberFormat.Style
    /// Whether the value is a count (written as an integer, in JSON too).
    public let isCount: Bool
    public let value: @Sendable (ErrorMetrics) -> Double

    init(_ key: String, _ label: String, short: String? = nil, unit: String = "", _ better: Better,
         _ style: NumberFormat.Style = .compact, count: Bool = false, _ value: @escaping @Sendable (ErrorMetrics) -> Double) {
        self.key = key
        self.label = label
        self.short = short ?? label
        self.unit = unit
        self.better = better
        self.style = style
        self.isCount = count
        self.value = value
    }

    /// The number in this metric's style (without the unit).
    public func number(_ m: ErrorMetrics) -> String {
        let v = value(m)
        return isCount && v.isFinite ? String(Int(v)) : NumberFormat.format(v, style)
    }

    /// The number and its unit.
    public func text(_ m: ErrorMetrics) -> String { unit.isEmpty ? number(m) : number(m) + " " + unit }

    /// The exact value for JSON, CSV and Markdown.
    public func json(_ m: ErrorMetrics) -> JSONValue {
        let v = value(m)
        return isCount && v.isFinite ? .int(Int(v)) : .double(v)
    }

    /// `b − a` with its sign, in this metric's style; empty when either side is not finite or they are equal.
    public func delta(from a: ErrorMetrics, to b: ErrorMetrics) -> String {
        let va = value(a), vb = value(b)
        guard va.isFinite, vb.isFinite, va != vb else { return "" }
        let d = vb - va
        switch style {
        case .fixed(let n): return NumberFormat.format(d, .delta(n))
        default: return isCount ? (d > 0 ? "+" : "-") + String(Int(abs(d))) : NumberFormat.format(d, .delta(nil))
        }
    }

    /// Whether going from `a` to `b` is an improvement (nil: neither, or no change).
    public func improved(from a: ErrorMetrics, to b: ErrorMetrics) -> Bool? {
        let va = value(a), vb = value(b)
        guard va.isFinite, vb.isFinite, va != vb else { return nil }
        switch better {
        case .higher: return vb > va
        case .lower: return vb < va
        case .neither: return nil
        }
    }
}

/// The metrics, in the order every view lists them.
public enum MetricTable {
    public static let all: [MetricSpec] = [
        MetricSpec("sqnr_db", "SQNR", unit: "dB", .higher, .fixed(2)) { $0.sqnrDB },
        MetricSpec("mse", "MSE", .lower) { $0.mse },
        MetricSpec("rmse", "RMSE", .lower) { $0.rmse },
        MetricSpec("mae", "MAE", .lower) { $0.mae },
        MetricSpec("max_abs_err", "max |err|", short: "max err", .lower) { $0.maxAbsErr },
        MetricSpec("cosine", "cosine", .higher, .fixed(6)) { $0.cosine },
        MetricSpec("rel_fro_err", "rel. error", short: "rel err", .lower) { $0.relFroErr },
        MetricSpec("bits_per_param", "bits/param", short: "bits/p", .lower, .fixed(4)) { $0.bitsPerParam },
        MetricSpec("bytes", "bytes", .lower, count: true) { Double($0.bytes) },
        MetricSpec("code_entropy_bits", "entropy", unit: "bits", .neither, .fixed(3)) { $0.codeEntropyBits },
        MetricSpec("codes_used", "codes used", short: "codes", .neither, count: true) { Double($0.codesUsed) },
    ]

    /// The spec with this JSON key.
    public static func spec(_ key: String) -> MetricSpec? { all.first { $0.key == key } }
}
