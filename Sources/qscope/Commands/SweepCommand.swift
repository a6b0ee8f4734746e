import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

/// `qscope sweep FILE --tensor T`.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Datatypes × block sizes on one tensor: bits per parameter, SQNR and error, Pareto-optimal rows marked.",
        discussion: HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection

    @Option(name: .long, help: "Comma-separated datatypes (default: all).")
    var dtypes: String?

    @Option(name: .long, help: "Comma-separated block sizes (default: 32,64,128,256,row).")
    var blocks: String?

    @Flag(name: .customLong("double-quant"), help: "Also run every datatype that supports it with double quantization.")
    var doubleQuant = false

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

    func run() throws {
        let dts = try dtypes.map { list in
            try commaList(list, { DataType(name: $0) }) { s in
                CLIError.usage(UsageAdvice.datatype(String(s), option: "--dtypes") ?? "--dtypes: unknown datatype '\(s)'")
            }
        } ?? QuantCore.Sweep.defaultDatatypes
        let bs = try blocks.map { list in
            try commaList(list, { BlockSize(argument: $0) }) { s in
                CLIError.usage(UsageAdvice.blockSize(String(s), option: "--blocks") ?? "--blocks: invalid block size '\(s)'")
            }
        } ?? QuantCore.Sweep.defaultBlocks
        var configs = QuantCore.Sweep.configurations(datatypes: dts, blocks: bs)
        if doubleQuant {
            configs = QuantCore.Sweep.addingDoubleQuant(configs)
        }
        let (_, reader) = try TensorLoading.reader(selection)
        let sweep = try QuantCore.Sweep.run(reader, configurations: configs)
        print(SweepRenderer(file: selection.file, tensor: reader.info.name, sweep: sweep).render(format), terminator: "")
    }
}
