import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

/// `qscope explain FILE --tensor T`: the explanation panel as text.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain the datatype, block, double quantization and metrics of one analysis, with its numbers.",
        discussion: HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Option(name: .long, help: "Wrap the text at this many columns.")
    var width: Int = 100

    func validate() throws {
        guard (20...1000).contains(width) else { throw ValidationError("--width must be between 20 and 1000") }
    }

    func run() throws {
        let (_, reader) = try TensorLoading.reader(selection)
        let a = try Analyzer.analyze(reader, config: try quant.config())
        print("\(selection.file) ▸ \(reader.info.name)  \(a.config.description)\n")
        print(Explanation(a).lines(width: width).joined(separator: "\n"))
    }
}
