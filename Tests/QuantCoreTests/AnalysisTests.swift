import Foundation
import TensorCore
import TensorIO
import Testing
@testable import QuantCore

/// Metrics and statistics against a plain recomputation, and the edge cases of docs/ARCHITECTURE.md.
@Suite("analysis")
struct AnalysisTests {
    /// Recomputes every metric with straightforward loops in Double.
    static func naive(_ x: [Float], _ y: [Float]) -> (mse: Double, mae: Double, maxErr: Double, sqnr: Double, cosine: Double, rel: Double) {
        var sx2 = 0.0, se2 = 0.0, sae = 0.0, sxy = 0.0, sy2 = 0.0, mx = 0.0
        for (a, b) in zip(x, y) where a.isFinite {
            let e = Double(b) - Double(a)
            sx2 += Double(a) * Double(a); sy2 += Double(b) * Double(b); sxy += Double(a) * Double(b)
            se2 += e * e; sae += abs(e); mx = max(mx, abs(e))
        }
        let n = Double(x.filter(\.isFinite).count)
        return (se2 / n, sae / n, mx, 10 * log10(sx2 / se2), sxy / (sx2 * sy2).squareRoot(), (se2 / sx2).squareRoot())
    }

    @Test(arguments: [DataType.nf4, .int8, .dynamic8, .mxfp4, .uint4Asym, .fp16])
    func metricsMatchRecomputation(dtype: DataType) throws {
        var r = TestRandom(seed: 7)
        let x = Tensor(name: "t", shape: [96, 160], sourceDType: "F32", values: r.normals(96 * 160))
        let a = try Analyzer.analyze(x, config: QuantConfig(dtype: dtype).adaptingBlockToDatatype())
        let ref = Self.naive(x.values, try Quantizer.quantize(x, config: a.config).dequantized)
        let m = a.metrics
        #expect(abs(m.mse - ref.mse) <= 1e-12 * max(1, ref.mse) + 1e-9 * ref.mse)
        #expect(abs(m.rmse - ref.mse.squareRoot()) <= 1e-9 * ref.mse.squareRoot())
        #expect(abs(m.mae - ref.mae) <= 1e-9 * ref.mae)
        #expect(m.maxAbsErr == ref.maxErr)
        #expect(abs(m.sqnrDB - ref.sqnr) < 1e-9)
        #expect(abs(m.cosine - ref.cosine) < 1e-12)
        #expect(abs(m.relFroErr - ref.rel) < 1e-12)
        #expect(a.valueHistogram.total == x.count)
        #expect(a.errorHistogram.total == x.count)
        #expect(a.normalizedHistogram.total == x.count)
    }

    @Test func statsMatchRecomputation() throws {
        var r = TestRandom(seed: 9)
        let values = r.normals(10_000).map { $0 * 2 + 0.5 }
        let s = values.withUnsafeBufferPointer { TensorStats.compute($0) }
        let d = values.map(Double.init)
        let mean = d.reduce(0, +) / Double(d.count)
        let m2 = d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)
        let m4 = d.map { pow($0 - mean, 4) }.reduce(0, +) / Double(d.count)
        #expect(abs(s.mean - mean) < 1e-9)
        #expect(abs(s.std - m2.squareRoot()) < 1e-9)
        #expect(abs(s.kurtosis - (m4 / (m2 * m2) - 3)) < 1e-9)
        #expect(abs(s.kurtosis) < 0.2) // normal data: excess kurtosis near 0
        #expect(s.min == Double(values.min()!) && s.max == Double(values.max()!))
    }

    @Test func bitsPerParameter() throws {
        var r = TestRandom(seed: 1)
        let x = Tensor(name: "t", shape: [64, 1024], sourceDType: "F32", values: r.normals(64 * 1024))
        func bits(_ c: QuantConfig) throws -> Double { try Quantizer.quantize(x, config: c).bitsPerParam }
        #expect(try bits(QuantConfig(dtype: .nf4, block: .elements(64))) == 4.5)
        let dq = try bits(QuantConfig(dtype: .nf4, block: .elements(64), doubleQuant: true))
        // 4 + 8/64 + 32/(64·256) + the 32-bit offset amortised: ≈ 4.127.
        #expect(abs(dq - (4 + 8.0 / 64 + 32.0 / (64 * 256) + 32.0 / Double(x.count))) < 1e-12)
        #expect(try bits(QuantConfig(dtype: .int8, block: .row)) == 8 + 32.0 / 1024)
        #expect(try bits(QuantConfig(dtype: .mxfp8, block: .elements(32))) == 8.25)
        #expect(try bits(QuantConfig(dtype: .mxfp6, block: .elements(32))) == 6.25)
        #expect(try bits(QuantConfig(dtype: .fp16, block: .tensor)) == 16)
        #expect(try bits(QuantConfig(dtype: .uint4Asym, block: .elements(128))) == 4.15625)
    }

    @Test func oneElement() throws {
        let x = Tensor(name: "s", shape: [], sourceDType: "F32", values: [0.3])
        for dt in DataType.allCases where dt.family != .ggml {
            let a = try Analyzer.analyze(x, config: QuantConfig(dtype: dt).adaptingBlockToDatatype())
            #expect(a.count == 1)
            #expect(a.grouping.blockCount == 1)
            #expect(a.metrics.maxAbsErr < 0.3, "\(dt)")
        }
    }

    @Test func partialLastBlock() throws {
        var r = TestRandom(seed: 2)
        let values = r.normals(100)
        let q = try Quantizer.quantize(values, rows: 1, cols: 100, config: QuantConfig(dtype: .nf4, block: .elements(64)))
        #expect(q.absmax.count == 2)
        #expect(q.absmax[1] == values[64...].map { abs($0) }.max())
        let expectedBits: Double = (100 * 4 + 2 * 32) / 100
        #expect(q.bitsPerParam == expectedBits)
    }

    @Test func allZeros() throws {
        let x = Tensor(name: "z", shape: [1, 256], sourceDType: "F32", values: [Float](repeating: 0, count: 256))
        for dt in DataType.allCases {
            let a = try Analyzer.analyze(x, config: QuantConfig(dtype: dt).adaptingBlockToDatatype())
            #expect(try Quantizer.quantize(x, config: a.config).dequantized.allSatisfy { $0 == 0 }, "\(dt)")
            #expect(a.metrics.mse == 0)
            #expect(a.metrics.maxAbsErr == 0)
        }
    }

    @Test func nonFiniteValuesAreCountedAndExcluded() throws {
        var values: [Float] = (0..<128).map { Float($0) / 100 - 0.6 }
        values[3] = .nan
        values[70] = .infinity
        values[71] = -.infinity
        let x = Tensor(name: "n", shape: [2, 64], sourceDType: "F32", values: values)
        let a = try Analyzer.analyze(x, config: QuantConfig(dtype: .nf4, block: .elements(64)))
        #expect(a.stats.nanCount == 1 && a.stats.infCount == 2)
        #expect(a.metrics.excluded == 3)
        #expect(a.metrics.mse.isFinite && a.metrics.sqnrDB.isFinite)
        // The other elements of the blocks keep a finite scale.
        #expect(try Quantizer.quantize(x, config: a.config).absmax.allSatisfy { $0.isFinite })
        #expect(a.codeUsage.reduce(0, +) == 125)
    }

    @Test func threeDimensionalTensorsAreRowsTimesLastAxis() throws {
        var r = TestRandom(seed: 4)
        var values = r.normals(2 * 3 * 8)
        values[1 * 24 + 2 * 8 + 5] = 9 // last-axis column 5
        let x = Tensor(name: "t", shape: [2, 3, 8], sourceDType: "F32", values: values)
        #expect(x.rows == 6 && x.cols == 8)
        let a = try Analyzer.analyze(x, config: QuantConfig(dtype: .int8, block: .row))
        #expect(try Quantizer.quantize(x, config: a.config).absmax.count == 6)
        #expect(a.outliers.columns.first?.index == 5)
        let c = try Analyzer.analyze(x, config: QuantConfig(dtype: .int8, block: .column))
        let cq = try Quantizer.quantize(x, config: c.config)
        #expect(cq.absmax.count == 8)
        #expect(cq.absmax[5] == 9)
    }

    @Test func halfPrecisionInputs() throws {
        var r = TestRandom(seed: 6)
        let values = r.normals(512).map(HalfPrecision.roundToHalf)
        let x = Tensor(name: "h", shape: [8, 64], sourceDType: "F16", values: values)
        let a = try Analyzer.analyze(x, config: QuantConfig(dtype: .fp16, block: .tensor))
        #expect(a.metrics.mse == 0) // fp16 input survives an fp16 cast exactly
        // A cast has no codes; its usage counts distinct 16-bit values.
        #expect(a.codeUsage.isEmpty)
        #expect(a.metrics.codesUsed == Set(values).count)
        let b = try Analyzer.analyze(x, config: QuantConfig(dtype: .bf16, block: .tensor))
        #expect(b.metrics.mse > 0 && b.metrics.sqnrDB > 45)
    }

    @Test func outlierColumnsBothRules() {
        var values = [Float](repeating: 0.1, count: 4 * 10)
        values[2 * 10 + 3] = 7     // above the absolute threshold
        values[1 * 10 + 8] = 0.9   // 9× the median column absmax of 0.1
        let o = values.withUnsafeBufferPointer { OutlierColumns.find($0, rows: 4, cols: 10) }
        #expect(o.median == 0.1)
        #expect(o.columns.map(\.index) == [3, 8])
        #expect(abs(o.columns[1].ratio - 9) < 1e-5)
    }

    @Test func histogramsCoverTheirDomains() throws {
        var r = TestRandom(seed: 8)
        let x = Tensor(name: "t", shape: [32, 64], sourceDType: "F32", values: r.normals(2048))
        let a = try Analyzer.analyze(x, config: QuantConfig(dtype: .nf4, block: .elements(64)))
        #expect(a.normalizedHistogram.lower == -1 && a.normalizedHistogram.upper == 1)
        #expect(a.valueHistogram.lower == a.stats.min && a.valueHistogram.upper == a.stats.max)
        #expect(a.errorHistogram.lower == -a.metrics.maxAbsErr)
        #expect(a.codebook.boundaries.count == 15)
    }
}
