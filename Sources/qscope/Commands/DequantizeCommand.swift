import ArgumentParser
import Foundation
import Reports
import TensorCore
import TensorIO

/// `qscope dequantize FILE [--tensor T] -o OUT.npy|OUT.safetensors`: the values as float32, for any
/// tensor qscope reads (a GGUF block type, a bitsandbytes NF4/FP4/int8 weight, bfloat16, ...).
struct Dequantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write tensors' values as float32 (.npy or .safetensors), as qscope reads them.",
        discussion: """
        The output format follows the extension of -o. Without --tensor every tensor of the file is written \
        into one .safetensors output (tensors without a numeric meaning are skipped, with a note on stderr); \
        a .npy output holds exactly one tensor. Values stream through in chunks, so a tensor larger than \
        memory can be written. Quantized tensors are dequantized as their library does: GGUF blocks as \
        llama.cpp, bitsandbytes NF4/FP4 weights as dequantize_4bit (rounded to the quant state's dtype), \
        LLM.int8() weights as int8_vectorwise_dequant. The output is written to a temporary file and renamed \
        into place; an existing file is replaced only with --force.

        """ + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection

    @Option(name: .shortAndLong, help: "The output file: .npy (one tensor) or .safetensors.")
    var output: String

    @Flag(name: .long, help: "Replace the output file if it exists.")
    var force = false

    /// Values converted per read: 4 MiB of floats.
    static let chunk = 1 << 20

    enum Output { case npy, safetensors }

    func run() throws {
        let lower = output.lowercased()
        let kind: Output
        if lower.hasSuffix(".npy") { kind = .npy } else if lower.hasSuffix(".safetensors") { kind = .safetensors } else {
            throw CLIError.usage("the output must end in .npy or .safetensors (got \(output))")
        }
        if URL(fileURLWithPath: output).standardizedFileURL == URL(fileURLWithPath: selection.file).standardizedFileURL {
            throw CLIError.usage("the output would replace the input file \(selection.file); choose another -o")
        }
        let f = try TensorLoading.open(selection.file)
        var chosen: [TensorInfo]
        if let name = selection.tensor {
            let info = try TensorLoading.pick(f, name: name)
            guard info.isFloatConvertible else {
                throw CLIError.malformed("\(f.path): tensor '\(info.name)' has dtype \(info.dtype), which qscope cannot read as numbers")
            }
            chosen = [info]
        } else {
            chosen = f.tensors.filter(\.isFloatConvertible)
            for t in f.tensors where !t.isFloatConvertible {
                FileHandle.standardError.write(Data("qscope: skipping \(t.name): dtype \(t.dtype) cannot be read as numbers\n".utf8))
            }
            if kind == .npy && f.tensors.count != 1 {
                throw CLIError.usage("\(f.path) holds \(f.tensors.count) tensors and a .npy file holds one; choose one with --tensor or write .safetensors")
            }
            guard !chosen.isEmpty else { throw CLIError.malformed("\(f.path): no tensor qscope can read as numbers") }
        }

        switch kind {
        case .npy:
            try NpyWriter.stream(shape: chosen[0].shape, to: output, force: force) { sink in
                try Self.copy(chosen[0], from: f, to: sink)
            }
        case .safetensors:
            let headers = chosen.map { SafetensorsTensorHeader(name: $0.name, shape: $0.shape) }
            let metadata = ["format": "pt", "qscope.source": selection.file, "qscope.dequantized": "float32"]
            try SafetensorsWriter.stream(headers, metadata: metadata, to: output, force: force) { sink in
                for info in chosen { try Self.copy(info, from: f, to: sink) }
            }
        }
        let values = chosen.reduce(0) { $0 + $1.count }
        FileHandle.standardError.write(Data("wrote \(output): \(chosen.count) tensor\(chosen.count == 1 ? "" : "s"), \(values) float32 values\n".utf8))
    }

    /// Streams one tensor through its reader into the sink, a chunk at a time.
    static func copy(_ info: TensorInfo, from file: TensorFile, to sink: TensorDataSink) throws {
        let reader = try file.reader(info.name)
        let n = info.count
        let size = max(1, min(chunk, n))
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: size)
        defer { buffer.deallocate() }
        var start = 0
        while start < n {
            let end = min(start + size, n)
            let part = UnsafeMutableBufferPointer(rebasing: buffer[0..<(end - start)])
            reader.read(start..<end, into: part)
            try sink.write(UnsafeBufferPointer(part))
            start = end
        }
    }
}
