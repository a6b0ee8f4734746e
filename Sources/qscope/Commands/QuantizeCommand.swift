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
        abstract: "Quantize one tensor and write it as safetensors (bitsandbytes' layout) or GGUF (llama.cpp's block layout).",
        discussion: """
        The output format follows -o's extension. OUT.gguf: a GGUF v3 file holding the tensor in its ggml \
        block layout, readable by llama.cpp and the gguf package, for the llama.cpp datatypes (q8_0, q4_0, \
        q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl) and the fp16/bf16 casts; the bytes are those of \
        llama.cpp's reference quantizers (no importance matrix). OUT.safetensors: \
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

    @Option(name: .shortAndLong, help: "The output file: .gguf for llama.cpp's layout, anything else for safetensors.")
    var output: String

    @Flag(name: .long, help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        let (f, reader) = try TensorLoading.reader(selection)
        let config = try quant.config()
        if URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath() == URL(fileURLWithPath: f.path).standardizedFileURL.resolvingSymlinksInPath() {
            throw CLIError.usage("the output would replace the input file \(selection.file); choose another -o")
        }
        if output.lowercased().hasSuffix(".gguf") {
            let metadata: [(key: String, value: GGUFValue)] = [
                ("qscope.source", .string(selection.file)), ("qscope.tensor", .string(reader.info.name)),
                ("qscope.dtype", .string(config.dtype.name)),
            ]
            let bytes = try GGUFExport.write(reader, config: config, to: output, metadata: metadata, force: force)
            FileHandle.standardError.write(Data(("wrote \(output): \(reader.info.name) as \(config.dtype.traits.ggmlType!.name), "
                + "\(reader.info.count) values in \(bytes) bytes (\(NumberFormat.fixed(Double(bytes * 8) / Double(max(1, reader.info.count)), 4)) bits/param)\n").utf8))
            return
        }
        let t = reader.materialize()
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
