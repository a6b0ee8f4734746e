import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Terminal
import Workbench

extension ScanSort: ExpressibleByArgument {}

/// `qscope scan FILE`: every floating-point tensor under one configuration, one at a time.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse every floating-point tensor of a file and print a table sorted by relative error (or outliers, SQNR, name).",
        discussion: """
        Tensors are loaded one at a time through the memory map, so memory stays bounded by the largest \
        tensor. Progress goes to stderr when it is a terminal. Tensors that are not numeric, empty, or that \
        the configuration cannot apply to are listed as skipped.

        """ + HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @Argument(help: ArgumentHelp(FileHelp.file))
    var file: String

    @OptionGroup var model: ModelRevision

    @OptionGroup var quant: QuantOptions

    @Option(name: .long, help: "Sort by error (default; worst first), outliers, sqnr (lowest first) or name.")
    var sort: ScanSort = .error

    @Option(name: .customLong("outlier-threshold"), help: "Absolute column-absmax threshold for outlier columns.")
    var outlierThreshold: Float = 6

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

    func run() throws {
        let f = try TensorLoading.open(file, revision: model.revision)
        let config = try quant.config()
        let showProgress = isatty(STDERR_FILENO) == 1
        let cancellation = BatchInterrupts.start()
        let start = Date()
        let runner = ScanRunner(catalog: f, config: config, options: AnalysisOptions(bins: 8, outlierThreshold: outlierThreshold))
        let outcome = try runner.run(stop: { SignalGuard.interruptCount >= 1 }, cancellation: cancellation) { st in
            guard showProgress else { return }
            FileHandle.standardError.write(Data(ScanCommand.progressLine(st, elapsed: Date().timeIntervalSince(start)).utf8))
        }
        cancellation.cancel()
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print(ScanRenderer(file: file, config: config, rows: outcome.rows, skipped: outcome.skipped, sort: sort).render(format), terminator: "")
        if outcome.interrupted {
            FileHandle.standardError.write(Data("qscope: interrupted after \(outcome.rows.count) of \(f.tensors.count) tensors\n".utf8))
            throw ExitCode(130)
        }
    }
}

enum ScanCommand {
    /// `[3/103] ████░░░░  41%  1.2 GB/s  ETA 12s  name`
    static func progressLine(_ st: ScanRunner.Status, elapsed: Double) -> String {
        let fraction = st.bytesTotal > 0 ? st.bytesDone / Double(st.bytesTotal) : 0
        let rate = elapsed > 0 ? st.bytesDone / elapsed : 0
        let eta = rate > 0 ? (Double(st.bytesTotal) - st.bytesDone) / rate : 0
        let filled = Int((fraction * 20).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 20 - filled)
        return String(format: "\r\u{1B}[K[%d/%d] %@ %3.0f%%  %@/s  ETA %.0fs  %@", st.index, st.tensors, bar, fraction * 100,
                      NumberFormat.bytes(Int(rate)), eta, String(st.name.prefix(40)))
    }
}
