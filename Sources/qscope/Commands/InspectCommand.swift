import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

/// `qscope inspect FILE --tensor T --index I | --worst | --max`: the batch form of the block inspector.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lay one block open: its scale, and every value normalised, its code, level, dequantized value and error.",
        discussion: "Pick the block by --index (0-based, in the order blocks run over the row-major tensor), --worst "
            + "(the largest sum of squared errors) or --max (the block holding the largest |x|); --index 0 when none is given.\n\n"
            + HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Option(name: .long, help: "The block to inspect (0-based).")
    var index: Int?

    @Flag(name: .long, help: "The block with the largest sum of squared errors.")
    var worst = false

    @Flag(name: .long, help: "The block holding the tensor's largest finite |x|.")
    var max = false

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

    func validate() throws {
        guard [index != nil, worst, max].filter({ $0 }).count <= 1 else {
            throw ValidationError("choose one of --index, --worst and --max")
        }
        if let index, index < 0 { throw ValidationError("--index must be 0 or more") }
    }

    func run() throws {
        let (_, reader) = try TensorLoading.reader(selection)
        let config = try quant.config()
        let selector: BlockInspection.Selector = worst ? .worst : max ? .max : .index(index ?? 0)
        let ins = try BlockInspection.inspect(reader, config: config, selector: selector)
        print(InspectRenderer(file: selection.file, tensor: reader.info.name, config: config, inspection: ins).render(format), terminator: "")
    }
}
