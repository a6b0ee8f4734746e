import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

/// `qscope quantize FILE --tensor T --dtype D --block N -o OUT.safetensors`.
struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize one tensor and write it in bitsandbytes' serialisation layout (safetensors).",
        discussion: """
        nf4/fp4 (numeric block): NAME (U8 packed, element 2i in the high nibble), NAME.absmax, NAME.quant_map, \
        with --double-quant NAME.nested_absmax and NAME.nested_quant_map, and NAME.quant_state.bitsandbytes__nf4 \
        (or __fp4). int8 with --block row: NAME (I8) and NAME.SCB (row absmax). dynamic8: NAME (U8 codes), \
        NAME.absmax, NAME.quant_map. Other datatypes: NAME (codes), NAME.quant_map, NAME.scales and \
        NAME.dequantized. The output is written to a temporary file and renamed into place; an existing file \
        is replaced only with --force.

        """ + HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Flag(name: .customLong("with-dequantized"), help: "Also store NAME.dequantized (F32).")
    var withDequantized = false

    @Option(name: .shortAndLong, help: "The output .safetensors file.")
    var output: String

    @Flag(name: .long, help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        let (_, reader) = try TensorLoading.reader(selection)
        let t = reader.materialize()
        let config = try quant.config()
        if URL(fileURLWithPath: output).standardizedFileURL == URL(fileURLWithPath: selection.file).standardizedFileURL {
            throw CLIError.usage("the output would replace the input file \(selection.file); choose another -o")
        }
        let q = try Quantizer.quantize(t, config: config)
        let entries = CheckpointLayout.entries(name: t.name, tensor: t, quantized: q, withDequantized: withDequantized)
        let metadata = [
            "format": "pt", "qscope.source": selection.file, "qscope.tensor": t.name,
            "qscope.dtype": config.dtype.name, "qscope.block": config.block.description,
            "qscope.double_quant": String(config.doubleQuant),
        ]
        try SafetensorsWriter.write(entries, metadata: metadata, to: output, force: force)
        let bits = q.bitsPerParam
        FileHandle.standardError.write(Data("wrote \(output): \(entries.count) tensors, \(t.count) values at \(String(format: "%.4f", bits)) bits/param\n".utf8))
    }
}
