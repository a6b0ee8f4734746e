import Foundation
import QuantCore
import TensorCore
import TensorIO
import Testing

/// `quantize -o X.gguf`: a GGUF v3 file in llama.cpp's block layout whose decoding (ggml's
/// `dequantize_row_*`, bit-exact with the gguf package: TensorIO's tests) equals qscope's own
/// dequantized values, for every datatype GGUF can hold; others are refused with the list.
@Suite("GGUF output")
struct GGUFOutputTests {
    static let sample = CLI.repoRoot.appendingPathComponent("samples/minilm-l6.safetensors").path
    static let tensor = "encoder.layer.0.output.dense.weight"

    @Test(arguments: ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl", "fp16", "bf16"])
    func decodesToQscopesOwnValues(dtype: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-gguf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("t.gguf").path
        let r = try CLI.run(["quantize", Self.sample, "--tensor", Self.tensor, "--dtype", dtype, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let f = try TensorFile.open(out)
        #expect(f.format == .gguf && f.tensors.count == 1 && f.tensors[0].shape == [384, 1536])
        #expect(f.metadata["qscope.dtype"] == dtype)
        let decoded = try f.load(Self.tensor).values
        let source = try TensorFile.open(Self.sample).load(Self.tensor)
        let mine = try Quantizer.quantize(source, config: QuantConfig(dtype: DataType(name: dtype)!).adaptingBlockToDatatype()).dequantized
        #expect(decoded.map(\.bitPattern) == mine.map(\.bitPattern), "\(dtype)")
    }

    @Test func aDatatypeWithoutABlockLayoutIsRefused() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-gguf-\(UUID().uuidString).gguf").path
        let r = try CLI.run(["quantize", Self.sample, "--tensor", Self.tensor, "--dtype", "nf4", "-o", out])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("qscope: error: nf4 has no ggml block layout") && r.stderr.contains("q4_k"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
