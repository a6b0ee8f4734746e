import QuantCore
import TUI

/// Renders a benchmark report: a table for people, the contract's JSON for scripts.
public struct BenchRenderer: Sendable {
    public var report: Benchmark.Report

    public init(report: Benchmark.Report) { self.report = report }

    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .json:
            var results: [(String, JSONValue)] = []
            for t in report.timings {
                results.append(("\(t.key)_ms", .double(rounded(t.medianMS))))
                results.append(("\(t.key)_min_ms", .double(rounded(t.minMS))))
                if t.bytes > 0 { results.append(("\(t.key)_gbps", .double(rounded(t.gigabytesPerSecond)))) }
            }
            return JSONValue.object([
                ("size", .array([.int(report.rows), .int(report.cols)])),
                ("threads", .int(report.threads)),
                ("runs", .int(report.runs)),
                ("machine", .object([("cpu", .string(report.cpu)), ("cores", .int(report.cores))])),
                ("results", .object(results)),
            ]).serialized() + "\n"
        default:
            var out = "qscope bench: \(report.rows)×\(report.cols) float32 (normal, seed 42), \(report.threads) threads, "
                + "median and min of \(report.runs) runs after a warm-up\n"
            out += "machine: \(report.cpu), \(report.cores) cores\n\n"
            out += "measurement".padding(toLength: 28, withPad: " ", startingAt: 0)
                + "median ms".leftPad(11) + "min ms".leftPad(10) + "GB/s".leftPad(8) + "\n"
            for t in report.timings {
                out += t.key.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + NumberFormat.fixed(t.medianMS, 2).leftPad(11) + NumberFormat.fixed(t.minMS, 2).leftPad(10)
                    + (t.bytes > 0 ? NumberFormat.fixed(t.gigabytesPerSecond, 2) : "").leftPad(8) + "\n"
            }
            out += "\nGB/s counts the float32 input read once per run. quantize writes codes, scales and the\n"
                + "dequantized values in one pass; analyze adds every metric, the three histograms, code usage,\n"
                + "tensor statistics and outlier columns.\n"
            return out
        }
    }

    private func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
