import TensorCore
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
                if let f = t.floorMultiple { results.append(("\(t.key)_floor_multiple", .double(rounded(f)))) }
            }
            return JSONValue.object([
                ("size", .array([.int(report.rows), .int(report.cols)])),
                ("threads", .int(report.threads)),
                ("runs", .int(report.runs)),
                ("machine", .object([("cpu", .string(report.cpu)), ("cores", .int(report.cores))])),
                ("results", .object(results)),
            ]).serialized() + "\n"
        default:
            var out = "qscope bench: \(report.rows)×\(report.cols) normal values (seed 42), \(report.threads) threads, "
                + "median and min of \(report.runs) runs after a warm-up\n"
            out += "machine: \(report.cpu), \(report.cores) cores\n\n"
            out += "measurement".padding(toLength: 28, withPad: " ", startingAt: 0)
                + "median ms".leftPad(11) + "min ms".leftPad(10) + "GB/s".leftPad(8) + "× floor".leftPad(9) + "\n"
            for t in report.timings {
                out += t.key.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + NumberFormat.fixed(t.medianMS, 2).leftPad(11) + NumberFormat.fixed(t.minMS, 2).leftPad(10)
                    + (t.bytes > 0 ? NumberFormat.fixed(t.gigabytesPerSecond, 2) : "").leftPad(8)
                    + (t.floorMultiple.map { NumberFormat.fixed($0, 1) } ?? "").leftPad(9) + "\n"
            }
            out += "\nGB/s counts the input bytes read once per run (float32, or bfloat16 for _bf16). quantize and\n"
                + "dequantize run on the tensor in memory; analyze streams it from a safetensors file (as report\n"
                + "does) and adds every metric, the three histograms, code usage, statistics and outlier columns.\n"
                + "floor_f32/floor_bf16 read the file's bytes once on every thread: × floor divides by it.\n"
            return out
        }
    }

    private func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
