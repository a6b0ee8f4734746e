import Foundation
import Testing
import TensorIO
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
