import ArgumentParser
import Foundation
import QuantCore
import Reports
import Workbench

/// `qscope bench`: times quantize, dequantize and the full analysis on a synthetic tensor.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the engine on a deterministic synthetic tensor.",
        discussion: """
            For nf4, fp4 and dynamic8 at block 64, dynamic8 at 4096, int8 vector-wise (block row) and \
            mxfp4 (block 32): quantize, dequantize and the full analysis (every metric, the histograms, \
            code usage, statistics and outlier columns), as the median and minimum of several runs after a \
            warm-up, in ms and GB/s of float32 input; then one histogram pass, `list` of a large file, and \
            the workbench's key-to-frame time (update, analysis and render of a 120×40 frame, no terminal). \
            A benchmark, not a test: compare numbers taken on the same machine only.
            """)

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

    @Option(name: .long, help: "Tensor size, rows×columns, e.g. 4096x4096.")
    var size: String = "4096x4096"

    @Option(name: .long, help: "Worker threads (default: every core).")
    var threads: Int?

    @Option(name: .long, help: "Timed runs per measurement, after one warm-up.")
    var runs: Int = 5

    @Option(name: .long, help: "Only these cases, comma-separated (nf4_b64, fp4_b64, dynamic8_b64, dynamic8_b4096, int8_row, mxfp4_b32).")
    var only: String?

    func validate() throws {
        if let only {
            let known = Set(Benchmark.defaultCases.map(\.key))
            for k in only.split(separator: ",") where !known.contains(String(k)) {
                throw ValidationError("unknown case '\(k)'; known: \(Benchmark.defaultCases.map(\.key).joined(separator: ", "))")
            }
        }
        try output.require([.text, .json], command: "bench")
        guard parsedSize != nil else { throw ValidationError("--size must be ROWSxCOLS with both at least 1, e.g. 4096x4096") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
        guard (1...1000).contains(runs) else { throw ValidationError("--runs must be between 1 and 1000") }
    }

    var parsedSize: (Int, Int)? {
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let r = Int(parts[0]), let c = Int(parts[1]), r > 0, c > 0,
              r.multipliedReportingOverflow(by: c).overflow == false, r * c <= 1 << 30 else { return nil }
        return (r, c)
    }

    func run() throws {
        let (rows, cols) = parsedSize!
        // The fixed-block formats need rows of whole blocks; sizes that do not have them skip those cases.
        let wanted = only.map { Set($0.split(separator: ",").map(String.init)) }
        let cases = Benchmark.defaultCases.filter {
            (try? $0.config.validate(cols: cols)) != nil && (wanted?.contains($0.key) ?? true)
        }
        let bench = Benchmark(rows: rows, cols: cols, threads: threads ?? Parallel.defaultThreads, runs: runs, cases: cases,
                              keyToFrame: { try WorkbenchBenchmark.keyToFrame($0, options: $1) })
        let report = try bench.run { key in
            if isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data("\rqscope bench: \(key)…\u{1b}[K".utf8)) }
        }
        if isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        print(BenchRenderer(report: report).render(format), terminator: "")
    }
}
