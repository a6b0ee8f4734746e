import Foundation
import TensorCore
import TensorIO
import Testing
@testable import QuantCore

/// The deep-dive engines: the block inspector, the LLM.int8() matmul study and outlier isolation.
@Suite("deep dive")
struct DeepDiveTests {
    static func tensor(_ rows: Int, _ cols: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var r = TestRandom(seed: seed)
        return r.normals(rows * cols).map { $0 * scale }
    }

    // MARK: block inspection

    /// Every per-element field agrees with the quantized tensor, element by element.
    func expectAgrees(_ ins: BlockInspection, _ x: [Float], _ q: QuantizedTensor) {
        let idx = ins.elementIndices
        #expect(idx.count == ins.count)
        #expect(idx.allSatisfy { q.grouping.blockIndex(ofElement: $0) == ins.index })
        #expect(ins.values == idx.map { x[$0] })
        #expect(ins.dequantized == idx.map { q.dequantized[$0] })
        #expect(ins.errors == idx.map { q.dequantized[$0] - x[$0] })
        if q.config.dtype.hasCodes {
            #expect(ins.codes == idx.map { Int(q.codes[$0]) })
            #expect(ins.normalized == idx.map { q.normalized(x[$0], block: ins.index) })
            #expect(ins.scale == q.normScale[ins.index])
        }
    }

    @Test func nf4Block64() throws {
        let x = Self.tensor(32, 128, seed: 1)
        let q = try Quantizer.quantize(x, rows: 32, cols: 128, config: QuantConfig(dtype: .nf4, block: .elements(64)))
        let ins = try BlockInspection(values: x, quantized: q, block: 5)
        #expect(ins.start == 320 && ins.count == 64 && ins.isContiguous)
        let absmax = x[320..<384].map { abs($0) }.max()!
        #expect(ins.scale == absmax && ins.absmax == absmax)
        #expect(ins.zeroPoint == nil && ins.absmaxBeforeDoubleQuant == nil)
        for j in 0..<64 {
            #expect(ins.normalized[j] == x[320 + j] / absmax)
            #expect(ins.dequantized[j] == CodeTables.nf4[ins.codes[j]] * absmax)
            #expect(ins.levels[j] == CodeTables.nf4[ins.codes[j]])
        }
        expectAgrees(ins, x, q)
    }

    @Test func asymmetricZeroPoint() throws {
        let x = Self.tensor(16, 64, seed: 2).map { $0 + 0.7 }
        let q = try Quantizer.quantize(x, rows: 16, cols: 64, config: QuantConfig(dtype: .uint4Asym, block: .elements(32)))
        let ins = try BlockInspection(values: x, quantized: q, block: 3)
        let z = try #require(ins.zeroPoint)
        let s = try #require(ins.scale)
        #expect(z == q.zeroPoints[3] && s == q.normScale[3])
        #expect(ins.minimum == x[96..<128].min()! && ins.maximum == x[96..<128].max()!)
        for j in 0..<ins.count {
            #expect(ins.dequantized[j] == s * (Float(ins.codes[j]) - z))
            #expect(ins.normalized[j] == x[96 + j] / s + z)
        }
        expectAgrees(ins, x, q)
    }

    @Test func doubleQuantAbsmaxBeforeAndAfter() throws {
        let x = Self.tensor(64, 256, seed: 3)
        let config = QuantConfig(dtype: .dynamic8, block: .elements(64), doubleQuant: true)
        let q = try Quantizer.quantize(x, rows: 64, cols: 256, config: config)
        let dq = try #require(q.doubleQuant)
        for b in [0, 17, 255] {
            let ins = try BlockInspection(values: x, quantized: q, block: b)
            let before = try #require(ins.absmaxBeforeDoubleQuant)
            let after = try #require(ins.absmaxAfterDoubleQuant)
            #expect(before == x[(b * 64)..<(b * 64 + 64)].map { abs($0) }.max()!)
            #expect(after == dq.dequantizedAbsmax[b])
            #expect(before != after || b == 0)
            for j in 0..<64 { #expect(ins.dequantized[j] == CodeTables.dynamicSigned[ins.codes[j]] * after) }
            expectAgrees(ins, x, q)
        }
    }

    @Test func rowAndColumnGrouping() throws {
        let x = Self.tensor(12, 40, seed: 4)
        let qr = try Quantizer.quantize(x, rows: 12, cols: 40, config: QuantConfig(dtype: .int8, block: .row))
        let r = try BlockInspection(values: x, quantized: qr, block: 7)
        #expect(r.start == 280 && r.count == 40 && r.stride == 1)
        #expect(r.scale == x[280..<320].map { abs($0) }.max()!)
        expectAgrees(r, x, qr)

        let qc = try Quantizer.quantize(x, rows: 12, cols: 40, config: QuantConfig(dtype: .int4, block: .column))
        let c = try BlockInspection(values: x, quantized: qc, block: 9)
        #expect(c.start == 9 && c.stride == 40 && c.count == 12 && !c.isContiguous)
        #expect(c.elementIndices == (0..<12).map { 9 + 40 * $0 })
        #expect(c.scale == (0..<12).map { abs(x[9 + 40 * $0]) }.max()!)
        expectAgrees(c, x, qc)

        let qt = try Quantizer.quantize(x, rows: 12, cols: 40, config: QuantConfig(dtype: .fp8E4M3, block: .tensor))
        let t = try BlockInspection(values: x, quantized: qt, block: 0)
        #expect(t.count == 480)
        expectAgrees(t, x, qt)
    }

    @Test func castsHaveNoScaleOrCodes() throws {
        let x = Self.tensor(4, 64, seed: 5)
        let q = try Quantizer.quantize(x, rows: 4, cols: 64, config: QuantConfig(dtype: .bf16, block: .tensor))
        let ins = try BlockInspection(values: x, quantized: q, block: 0)
        #expect(ins.scale == nil && ins.zeroPoint == nil && ins.absmax == nil)
        #expect(ins.codes.isEmpty && ins.levels.isEmpty)
        #expect(ins.normalized == x)
        #expect(ins.dequantized == x.map(HalfPrecision.roundToBFloat16))
    }

    @Test(arguments: DataType.allCases)
    func everyDatatypeInspects(dtype: DataType) throws {
        let x = Self.tensor(8, 512, seed: 6)
        let config = QuantConfig(dtype: dtype).adaptingBlockToDatatype()
        let q = try Quantizer.quantize(x, rows: 8, cols: 512, config: config)
        let inspector = try BlockInspector(Tensor(name: "t", shape: [8, 512], sourceDType: "F32", values: x), config: config)
        for sel in [BlockInspection.Selector.index(0), .worst, .max] {
            let b = try inspector.resolve(sel)
            let streamed = inspector.inspect(block: b)
            let whole = try BlockInspection(values: x, quantized: q, block: b)
            expectAgrees(whole, x, q)
            #expect(streamed.codes == whole.codes && streamed.dequantized.map(\.bitPattern) == whole.dequantized.map(\.bitPattern)
                    && streamed.scale == whole.scale && streamed.zeroPoint == whole.zeroPoint, "\(dtype) \(sel)")
        }
    }

    @Test func worstAndMaxPickTheKnownBlocks() throws {
        // Small noise everywhere; block 3 is loud (large errors); block 7 holds one huge spike that
        // NF4 stores exactly (the absmax is a level), so its block's errors stay tiny.
        var x = Self.tensor(16, 64, seed: 7, scale: 0.01)
        let loud = Self.tensor(1, 64, seed: 8, scale: 10)
        for j in 0..<64 { x[3 * 64 + j] = loud[j] }
        x[7 * 64 + 11] = -1000
        let config = QuantConfig(dtype: .nf4, block: .elements(64))
        let t = Tensor(name: "t", shape: [16, 64], sourceDType: "F32", values: x)
        let inspector = try BlockInspector(t, config: config)
        #expect(try inspector.resolve(.worst) == 3)
        #expect(try inspector.resolve(.max) == 7)
        let viaInspect = try BlockInspection.inspect(x, rows: 16, cols: 64, config: config, selector: .max)
        #expect(viaInspect.index == 7 && viaInspect.values[11] == -1000 && viaInspect.errors[11] == 0)
        #expect(viaInspect.blockCount == 16)
        // With column grouping the spike's block is its column.
        #expect(try BlockInspector(t, config: QuantConfig(dtype: .nf4, block: .column)).resolve(.max) == 11)
    }

    @Test func outOfRangeBlockIsAnError() throws {
        let x = Self.tensor(2, 64, seed: 9)
        let q = try Quantizer.quantize(x, rows: 2, cols: 64, config: QuantConfig())
        #expect(throws: BlockInspectionError.blockOutOfRange(block: 2, blockCount: 2)) {
            try BlockInspection(values: x, quantized: q, block: 2)
        }
        #expect(throws: BlockInspectionError.blockOutOfRange(block: -1, blockCount: 2)) {
            try BlockInspector(Tensor(name: "t", shape: [2, 64], sourceDType: "F32", values: x), config: QuantConfig()).resolve(.index(-1))
        }
        #expect(throws: BlockInspectionError.self) {
            try BlockInspection.inspect(x, rows: 2, cols: 64, config: QuantConfig(dtype: .mxfp4, block: .elements(64)), selector: .worst)
        }
    }

    // MARK: LLM.int8() decomposition

    /// A plain recomputation of the int8 vector-wise product, for comparison.
    static func naiveInt8(_ a: [Float], _ w: [Float], tokens: Int, out: Int, inner: Int) -> [Float] {
        let qa = Int8Vectorwise.quantize(a, rows: tokens, cols: inner)
        let qw = Int8Vectorwise.quantize(w, rows: out, cols: inner)
        var y = [Float](repeating: 0, count: tokens * out)
        for t in 0..<tokens {
            for o in 0..<out {
                var acc: Int32 = 0
                for c in 0..<inner { acc += Int32(qa.codes[t * inner + c]) * Int32(qw.codes[o * inner + c]) }
                y[t * out + o] = Float(acc) * (qa.rowStats[t] * qw.rowStats[o]) * Float(1.0 / 16129.0)
            }
        }
        return y
    }

    static func naiveReference(_ a: [Float], _ w: [Float], tokens: Int, out: Int, inner: Int) -> [Float] {
        var y = [Float](repeating: 0, count: tokens * out)
        for t in 0..<tokens {
            for o in 0..<out {
                var s = 0.0
                for c in 0..<inner { s += Double(a[t * inner + c]) * Double(w[o * inner + c]) }
                y[t * out + o] = Float(s)
            }
        }
        return y
    }

    @Test func thresholdZeroIsPlainInt8() throws {
        let a = Self.tensor(16, 64, seed: 10), w = Self.tensor(32, 64, seed: 11, scale: 0.05)
        let study = try Int8Decomposition(activations: a, tokens: 16, weight: w, outFeatures: 32, inFeatures: 64)
        let r = study.evaluate(threshold: 0)
        #expect(r.outlierColumns.isEmpty && r.fraction16Bit == 0)
        #expect(r.llmInt8 == r.int8Vectorwise)
        let ref = Self.naiveReference(a, w, tokens: 16, out: 32, inner: 64)
        #expect(study.reference == ref)
        let expected = Int8Decomposition.error(of: Self.naiveInt8(a, w, tokens: 16, out: 32, inner: 64), against: ref)
        #expect(r.int8Vectorwise == expected)
        #expect(r.int8Vectorwise.relFroErr > 0 && r.int8Vectorwise.relFroErr < 0.02)
    }

    @Test func outlierColumnGoesTo16Bit() throws {
        var a = Self.tensor(16, 64, seed: 12)
        for t in 0..<16 { a[t * 64 + 5] = (t % 2 == 0 ? 20 : -20) + a[t * 64 + 5] }
        let w = Self.tensor(32, 64, seed: 13, scale: 0.05)
        let study = try Int8Decomposition(activations: a, tokens: 16, weight: w, outFeatures: 32, inFeatures: 64)
        let r = study.evaluate(threshold: 6)
        #expect(r.outlierColumns == [5])
        #expect(r.fraction16Bit == 1.0 / 64)
        #expect(r.llmInt8.relFroErr * 4 < r.int8Vectorwise.relFroErr,
                "llm.int8 \(r.llmInt8.relFroErr) vs int8 \(r.int8Vectorwise.relFroErr)")
        #expect(r.llmInt8.maxAbsErr < r.int8Vectorwise.maxAbsErr)
        // A threshold above every value decomposes nothing; the sweep reports each threshold in order.
        let sweep = study.evaluate(thresholds: [0, 6, 100])
        #expect(sweep.map(\.outlierColumns) == [[], [5], []])
        #expect(sweep[2].llmInt8 == sweep[0].llmInt8 && sweep[1] == r)
    }

    @Test func shapesAreChecked() {
        #expect(throws: Int8DecompositionError.self) {
            try Int8Decomposition(activations: [1, 2, 3], tokens: 1, weight: [1, 2], outFeatures: 1, inFeatures: 3)
        }
        #expect(throws: Int8DecompositionError.self) {
            try Int8Decomposition(activations: [], tokens: 0, weight: [], outFeatures: 1, inFeatures: 3)
        }
    }

    @Test func minilmSizedMatmulIsFast() throws {
        let a = Self.tensor(67, 1536, seed: 14), w = Self.tensor(384, 1536, seed: 15, scale: 0.05)
        let start = Date()
        let r = try Int8Decomposition.study(activations: a, tokens: 67, weight: w, outFeatures: 384, inFeatures: 1536,
                                            threshold: 3)
        let elapsed = Date().timeIntervalSince(start)
        #expect(!r.outlierColumns.isEmpty)
        // Well under a second on one core in a debug build; the bound leaves room for a busy machine.
        #expect(elapsed < 10, "took \(elapsed) s")
    }

    // MARK: outlier isolation

    @Test func zeroPercentIsThePlainAnalysis() throws {
        let x = Self.tensor(64, 256, seed: 16)
        for config in [QuantConfig(dtype: .nf4, block: .elements(64)), QuantConfig(dtype: .int4, block: .row, doubleQuant: true),
                       QuantConfig(dtype: .uint4Asym, block: .elements(128))] {
            let iso = try OutlierIsolation(x, rows: 64, cols: 256, config: config, percents: [0])
            let a = try Analyzer.analyze(Tensor(name: "t", shape: [64, 256], sourceDType: "F32", values: x), config: config)
            let row = try #require(iso.rows.first)
            #expect(row.kept == 0)
            #expect(row.bitsPerParam == a.metrics.bitsPerParam)
            #expect(abs(row.sqnrDB - a.metrics.sqnrDB) < 1e-9)
            #expect(abs(row.relFroErr - a.metrics.relFroErr) < 1e-12)
            #expect(row.maxAbsErr == a.metrics.maxAbsErr)
        }
    }

    @Test(arguments: OutlierIsolation.Ranking.allCases)
    func keepingOutliersCostsBitsAndBuysAccuracy(ranking: OutlierIsolation.Ranking) throws {
        var x = Self.tensor(64, 256, seed: 17, scale: 0.05)
        var r = TestRandom(seed: 18)
        for _ in 0..<60 { x[Int(r.next() % UInt64(x.count))] = Float(r.normal()) * 5 }
        let percents = [0, 0.1, 0.25, 0.5, 1, 2]
        let iso = try OutlierIsolation(x, rows: 64, cols: 256, config: QuantConfig(dtype: .nf4), by: ranking, percents: percents)
        #expect(iso.rows.map(\.percent) == percents)
        #expect(iso.rows.map(\.kept) == percents.map { Int(($0 / 100 * Double(x.count)).rounded()) })
        for (p, q) in zip(iso.rows, iso.rows.dropFirst()) {
            #expect(q.bitsPerParam > p.bitsPerParam)
            #expect(q.relFroErr <= p.relFroErr, "\(ranking): \(q.percent) % \(q.relFroErr) vs \(p.percent) % \(p.relFroErr)")
            #expect(q.sqnrDB >= p.sqnrDB)
        }
        #expect(iso.rows[1].bitsPerParam == 4.5 + Double(iso.rows[1].kept * 48) / Double(x.count))
        switch ranking {
        case .magnitude:
            // Keeping the 60 spikes (0.37 % of the values) removes most of the error: they no longer
            // stretch their blocks' absmax.
            #expect(iso.rows[3].relFroErr < iso.rows[0].relFroErr / 2)
        case .error:
            // A spike is its block's absmax, which NF4 stores exactly (error 0), so ranking by error never
            // picks the spikes themselves: it keeps their squeezed neighbours, which helps less.
            #expect(iso.rows[3].relFroErr < iso.rows[0].relFroErr)
            #expect(iso.rows[3].relFroErr > iso.rows[0].relFroErr / 2)
        }
    }

    @Test func partialSelectionMatchesAFullSort() {
        var r = TestRandom(seed: 19)
        // Many ties: values on a coarse grid, some negatives (never chosen).
        let keys: [Float] = (0..<5000).map { _ in Float(Int(r.next() % 200)) / 4 - 2 }
        let order = keys.indices.filter { keys[$0] >= 0 }.sorted { keys[$0] != keys[$1] ? keys[$0] > keys[$1] : $0 < $1 }
        for k in [1, 7, 100, 2500, 4700, 10_000] {
            #expect(OutlierIsolation.largest(k, of: keys) == Array(order.prefix(k)), "k = \(k)")
        }
        var a: [Float] = [3, 1, 2, 2, 5]
        #expect(OutlierIsolation.kthLargest(&a, 1) == 5)
        a = [3, 1, 2, 2, 5]
        #expect(OutlierIsolation.kthLargest(&a, 3) == 2)
        a = [3, 1, 2, 2, 5]
        #expect(OutlierIsolation.kthLargest(&a, 5) == 1)
    }

    @Test func isolationRejectsBadInput() {
        let x = Self.tensor(4, 64, seed: 20)
        #expect(throws: OutlierIsolationError.percent(101)) {
            try OutlierIsolation(x, rows: 4, cols: 64, config: QuantConfig(), percents: [1, 101])
        }
        #expect(throws: OutlierIsolationError.self) {
            try OutlierIsolation(x, rows: 4, cols: 64, config: QuantConfig(dtype: .nvfp4, block: .elements(64)))
        }
    }
}
