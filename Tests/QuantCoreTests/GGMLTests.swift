import Foundation
import TensorCore
import TensorIO
import Testing
@testable import QuantCore

/// llama.cpp's legacy block formats as engine datatypes, against the `gguf` package's own quantizers:
/// `Tests/Fixtures/gguf/blocks.gguf` holds one tensor quantized by gguf-py to each type, and the same
/// tensor in F32.
@Suite("GGUF datatypes")
struct GGMLTests {
    static let file = Fixtures.root.appendingPathComponent("gguf/blocks.gguf").path

    @Test(arguments: [DataType.q8_0, .q4_0, .q4_1, .q5_0])
    func quantizesLikeTheGGUFPackage(dtype: DataType) throws {
        let f = try TensorFile.open(Self.file)
        let source = try f.load("t_F32")
        let reference = try f.load("t_\(dtype.name.uppercased())")
        let q = try Quantizer.quantize(source, config: QuantConfig(dtype: dtype, block: .elements(32)))
        let differing = zip(q.dequantized, reference.values).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(dtype): \(differing) of \(source.count) values differ")
        let bits: [DataType: Double] = [.q8_0: 8.5, .q4_0: 4.5, .q4_1: 5.0, .q5_0: 5.5]
        #expect(q.bitsPerParam == bits[dtype])
    }

    @Test func requantizingAQ8_0TensorIsLossless() throws {
        let sample = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/minilm-l6.gguf").path
        let t = try TensorFile.open(sample).load("encoder.layer.0.output.dense.weight")
        #expect(t.sourceDType == "Q8_0")
        let a = try Analyzer.analyze(t, config: QuantConfig(dtype: .q8_0, block: .elements(32)))
        #expect(a.metrics.mse == 0)
    }

    @Test func kQuantsOnRealWeights() throws {
        // The MiniLM FFN output weight (rows of 1536 = 6 super-blocks): measured 22.66 dB for Q4_K and
        // 34.50 dB for Q6_K, against 20.78 dB for Q4_0 at the same 4.5 bits.
        let sample = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/minilm-l6.safetensors").path
        let t = try TensorFile.open(sample).load("encoder.layer.0.output.dense.weight")
        let q4k = try Analyzer.analyze(t, config: QuantConfig(dtype: .q4K, block: .elements(256)))
        let q4 = try Analyzer.analyze(t, config: QuantConfig(dtype: .q4_0, block: .elements(32)))
        let q6k = try Analyzer.analyze(t, config: QuantConfig(dtype: .q6K, block: .elements(256)))
        #expect(q4k.metrics.bitsPerParam == 4.5 && q6k.metrics.bitsPerParam == 6.5625)
        #expect(q4k.metrics.sqnrDB > q4.metrics.sqnrDB + 1)
        #expect(abs(q4k.metrics.sqnrDB - 22.66) < 0.05 && abs(q6k.metrics.sqnrDB - 34.50) < 0.05)
        #expect(try Quantizer.quantize(t, config: q4k.config).codes.allSatisfy { $0 < 16 })
        #expect(try Quantizer.quantize(t, config: q6k.config).codes.allSatisfy { $0 < 64 })
        #expect(throws: QuantError.rowLength(dtype: .q6K, cols: 384, multiple: 256)) {
            try Analyzer.analyze(Tensor(name: "t", shape: [2, 384], sourceDType: "F32", values: [Float](repeating: 1, count: 768)),
                                 config: QuantConfig(dtype: .q6K, block: .elements(256)))
        }
    }

    @Test func rowsMustHoldWholeBlocks() throws {
        let x = Tensor(name: "t", shape: [3, 40], sourceDType: "F32", values: [Float](repeating: 0.5, count: 120))
        #expect(throws: QuantError.rowLength(dtype: .q4_0, cols: 40, multiple: 32)) {
            try Analyzer.analyze(x, config: QuantConfig(dtype: .q4_0, block: .elements(32)))
        }
        let sweep = try Sweep.run(x, configurations: Sweep.configurations(datatypes: [.q8_0, .int8], blocks: [.elements(32)]))
        #expect(sweep.rows.map(\.config.dtype) == [.int8])
    }

    @Test func theExtremeValueLandsExactlyOnALevel() throws {
        var r = TestRandom(seed: 12)
        var v = r.normals(64)
        v[7] = -3
        let q = try Quantizer.quantize(v, rows: 1, cols: 64, config: QuantConfig(dtype: .q4_0, block: .elements(32)))
        #expect(q.codes[7] == 0)
        #expect(q.dequantized[7] == HalfPrecision.roundToHalf(-3.0 / -8) * -8)
    }
}
