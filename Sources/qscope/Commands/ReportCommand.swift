import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

/// `qscope report FILE --tensor T`.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize one tensor and report statistics, error metrics, outlier columns and histograms.",
        discussion: HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Option(name: .customLong("outlier-threshold"), help: "Absolute column-absmax threshold for outlier columns (LLM.int8() uses 6.0).")
    var outlierThreshold: Float = 6

    @Option(name: .customLong("outlier-k"), help: "Relative rule: a column is an outlier above k × the median column absmax.")
    var outlierK: Float = 6

    @Option(name: .long, help: "Histogram bins (1…4096).")
    var bins: Int = 64

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

    func validate() throws {
        guard (1...4096).contains(bins) else { throw ValidationError("--bins must be between 1 and 4096") }
        guard outlierThreshold.isFinite, outlierThreshold >= 0, outlierK.isFinite, outlierK >= 0 else {
            throw ValidationError("--outlier-threshold and --outlier-k must be finite and not negative")
        }
    }

    func run() throws {
        let (_, reader) = try TensorLoading.reader(selection)
        let options = AnalysisOptions(bins: bins, outlierThreshold: outlierThreshold, outlierK: outlierK)
        let analysis = try Analyzer.analyze(reader, config: try quant.config(), options: options)
        print(ReportRenderer(file: selection.file, analysis: analysis).render(format), terminator: "")
    }
}
