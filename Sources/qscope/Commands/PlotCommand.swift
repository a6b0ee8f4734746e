import ArgumentParser
import Foundation
import QuantCore
import Reports
import TensorCore
import TensorIO

/// `qscope plot FILE --tensor T -o F.svg`: the values histogram as a figure to keep.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an SVG figure: the histogram of x ÷ block scale with the code levels, decision boundaries and metrics.",
        discussion: """
        The figure is the workbench's values pane in the normalised domain, drawn for a slide: the histogram of every \
        value divided by its block's scale, the datatype's code levels (solid) and the decision boundaries between \
        them (dashed), with the tensor, datatype and block in the title and SQNR, MSE and bits per parameter under \
        it. The file is written atomically; an existing one is replaced only with --force. 'E' in the workbench \
        writes the same figure for the tensor and configuration on screen.

        """ + HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Flag(name: .long, help: "A logarithmic count axis (the tails and the outliers show).")
    var log = false

    @Option(name: .long, help: "Histogram bins (1…4096).")
    var bins: Int = 96

    @Option(name: .shortAndLong, help: "The output .svg file.")
    var output: String

    @Flag(name: .long, help: "Replace the output file if it exists.")
    var force = false

    func validate() throws {
        guard (1...4096).contains(bins) else { throw ValidationError("--bins must be between 1 and 4096") }
    }

    func run() throws {
        let (_, reader) = try TensorLoading.reader(selection)
        let analysis = try Analyzer.analyze(reader, config: try quant.config(), options: AnalysisOptions(bins: bins))
        let figure = HistogramFigure(analysis: analysis, logCounts: log)
        try TextFileWriter.write(figure.svg(), to: output, force: force)
        FileHandle.standardError.write(Data("wrote \(output): \(figure.title)\n".utf8))
    }
}
