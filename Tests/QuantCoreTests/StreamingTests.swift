import Foundation
import QuantCore
import TensorCore
import TensorIO
import Testing

/// The streaming engine gives the same figures whatever its chunks and threads, from memory or from
/// a file in any stored dtype: histograms, code usage and outliers identical, float sums to 1e-12.
@Suite("streaming engine")
struct StreamingTests {
    static func tensor(_ rows: Int, _ cols: Int, seed: UInt64) -> Tensor {
        var r = TestRandom(seed: seed)
        var x = r.normals(rows * cols).map { $0 * 0.05 }
        for i in stride(from: 17, to: x.count, by: cols) { x[i] *= 30 }      // an outlier column
        x[5] = .nan; x[rows * cols / 2] = .infinity                          // excluded values
        return Tensor(name: "t", shape: [rows, cols], sourceDType: "F32", values: x)
    }

    static func expectSame(_ a: Analysis, _ b: Analysis, _ what: String) {
        #expect(a.valueHistogram == b.valueHistogram, "\(what) value histogram")
        #expect(a.normalizedHistogram == b.normalizedHistogram, "\(what) normalised histogram")
        #expect(a.errorHistogram == b.errorHistogram, "\(what) error histogram")
        #expect(a.codeUsage == b.codeUsage, "\(what) code usage")
        #expect(a.outliers == b.outliers, "\(what) outliers")
        #expect(a.metrics.excluded == b.metrics.excluded && a.metrics.codesUsed == b.metrics.codesUsed, "\(what)")
        func close(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) || abs(x - y) <= 1e-12 * max(abs(x), abs(y)) }
        for (x, y) in [(a.metrics.mse, b.metrics.mse), (a.metrics.sqnrDB, b.metrics.sqnrDB), (a.metrics.cosine, b.metrics.cosine),
                       (a.metrics.mae, b.metrics.mae), (a.metrics.maxAbsErr, b.metrics.maxAbsErr),
                       (a.stats.mean, b.stats.mean), (a.stats.std, b.stats.std), (a.stats.kurtosis, b.stats.kurtosis)] {
            #expect(close(x, y), "\(what): \(x) vs \(y)")
        }
    }

    @Test(arguments: [QuantConfig(dtype: .nf4, block: .elements(64)), QuantConfig(dtype: .nf4, block: .elements(64), doubleQuant: true),
                      QuantConfig(dtype: .int8, block: .row), QuantConfig(dtype: .uint4Asym, block: .column),
                      QuantConfig(dtype: .quantile4, block: .elements(128)), QuantConfig(dtype: .nvfp4, block: .elements(16)),
                      QuantConfig(dtype: .q4_0, block: .elements(32)), QuantConfig(dtype: .fp8E4M3, block: .tensor)])
    func chunksAndThreadsDoNotChangeTheFigures(config: QuantConfig) throws {
        let t = Self.tensor(96, 512, seed: 11)
        let base = try Analyzer.analyze(t, config: config, options: AnalysisOptions(threads: 1))
        // The second pass reuses what the first decoded up to a budget: none, part, all give the same figures.
        for (threads, chunk, reuse) in [(2, 1 << 16, 32 << 20), (2, 1000, 0), (3, 512, 20_000), (1, 1 << 20, 0)] {
            let a = try Analyzer.analyze(t as any TensorReader, config: config,
                                         options: AnalysisOptions(threads: threads, chunkValues: chunk, reuseValues: reuse))
            Self.expectSame(base, a, "\(config) threads \(threads) chunk \(chunk) reuse \(reuse)")
        }
    }

    @Test func aFileStreamsLikeMemory() throws {
        let t = Self.tensor(64, 384, seed: 12)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.safetensors").path
        // bfloat16 storage: the file holds the rounded values; memory gets the same rounded values.
        var bytes = [UInt8](), rounded = [Float]()
        for v in t.values {
            let b = HalfPrecision.bfloat16Bits(from: v)
            bytes += [UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8)]
            rounded.append(HalfPrecision.float(fromBFloat16Bits: b))
        }
        try SafetensorsWriter.write([SafetensorsEntry(name: "t", dtype: "BF16", shape: t.shape, bytes: bytes)], metadata: nil,
                                    to: path, force: false)
        let reader = try TensorFile.open(path).reader("t")
        let memory = Tensor(name: "t", shape: t.shape, sourceDType: "BF16", values: rounded)
        for config in [QuantConfig(dtype: .nf4, block: .elements(64)), QuantConfig(dtype: .int8, block: .column)] {
            let a = try Analyzer.analyze(memory, config: config)
            let b = try Analyzer.analyze(reader, config: config, options: AnalysisOptions(chunkValues: 3000))
            Self.expectSame(a, b, "bf16 file \(config)")
        }
    }

    @Test func aSampleIsLabelledAndAFullSampleIsExact() throws {
        let t = Self.tensor(256, 1024, seed: 13)
        let config = QuantConfig(dtype: .nf4, block: .elements(64))
        let full = try Analyzer.analyze(t, config: config)
        #expect(!full.isEstimate)
        let sample = try Analyzer.analyze(t as any TensorReader, config: config, sampleValues: 40_000)
        #expect(sample.isEstimate && (sample.coverage ?? 0) < t.count && (sample.coverage ?? 0) >= 40_000)
        #expect(abs(sample.metrics.sqnrDB - full.metrics.sqnrDB) < 0.5)
        let everything = try Analyzer.analyze(t as any TensorReader, config: config, sampleValues: t.count)
        #expect(!everything.isEstimate)
    }

    @Test func cancellationStopsAPass() throws {
        let t = Self.tensor(512, 1024, seed: 14)
        let c = Cancellation()
        c.cancel()
        #expect(throws: CancellationError.self) {
            try Analyzer.analyze(t as any TensorReader, config: QuantConfig(), cancellation: c)
        }
        let c2 = Cancellation()
        c2.cancel()
        #expect(throws: CancellationError.self) {
            try Sweep.run(t as any TensorReader, configurations: [QuantConfig(), QuantConfig(dtype: .int4)], cancellation: c2)
        }
    }
}
