import Foundation
import TensorCore
import TensorIO
import Testing
@testable import QuantCore

/// The vector loops of the analysis (four values at a time, joint bin counters, float64 sums in
/// lanes) give what the plain element-by-element definitions give: every count, every extreme and
/// every bit of the dequantized values and scales.
@Suite("vector paths")
struct VectorPathTests {
    /// Normal values with the awkward cases the vector loops must not change: zeros of both signs
    /// (alone and as a block's extremes), a block of zeros that starts with −0, exact repeats.
    static func values(rows: Int, cols: Int, seed: UInt64, nonFinite: Bool) -> [Float] {
        var r = TestRandom(seed: seed)
        var x = r.normals(rows * cols)
        for i in stride(from: 5, to: x.count, by: 97) { x[i] = -0.0 }
        for i in stride(from: 11, to: x.count, by: 89) { x[i] = 0 }
        if x.count >= 200 {
            for i in 128..<192 { x[i] = i == 128 ? -0.0 : (i % 3 == 0 ? 0 : -0.0) }   // an all-zero block
            for i in 64..<128 { x[i] = abs(x[i]) }                                     // a block whose minimum is ≥ 0
            x[70] = 0; x[71] = -0.0                                                    // … and is zero
        }
        if nonFinite && x.count > 400 {
            x[3] = .nan; x[300] = .infinity; x[301] = -.infinity
        }
        return x
    }

    /// Plain recomputation of the counts and extremes the analysis reports.
    static func check(_ a: Analysis, _ x: [Float]) {
        let q = try! Quantizer.quantize(x, rows: a.rows, cols: a.cols, config: a.config, threads: 1)
        let y = q.dequantized
        func counter(_ h: Histogram) -> (Float, Float, Int) {
            let m = Float(Double(h.counts.count) / (h.upper - h.lower))
            return (Float(h.lower), m.isFinite ? m : 0, h.counts.count)
        }
        let (vl, vm, vb) = (Float(a.valueHistogram.lower), Float(Double(a.valueHistogram.counts.count) / (a.valueHistogram.upper - a.valueHistogram.lower)), a.valueHistogram.counts.count)
        let (nl, nm, nb) = counter(a.normalizedHistogram)
        let (el, em, eb) = counter(a.errorHistogram)
        var values = [Int](repeating: 0, count: vb), norm = [Int](repeating: 0, count: nb), err = [Int](repeating: 0, count: eb)
        var usage = [Int](repeating: 0, count: a.codeUsage.count)
        var maxErr = 0.0
        for i in x.indices where x[i].isFinite {
            let b = q.grouping.blockIndex(ofElement: i)
            values[BinCounter.clampedBin(x[i], lower: vl, mult: vm, bins: vb)] += 1
            let zero = q.zeroPoints.isEmpty ? 0 : q.zeroPoints[b]
            norm[BinCounter.clampedBin(x[i] * (1 / q.normScale[b]) + zero, lower: nl, mult: nm, bins: nb)] += 1
            err[BinCounter.clampedBin(y[i] - x[i], lower: el, mult: em, bins: eb)] += 1
            if !usage.isEmpty { usage[Int(q.codes[i])] += 1 }
            let e = abs(Double(y[i]) - Double(x[i]))
            if !(e <= maxErr) { maxErr = e }
        }
        let name = "\(a.config.dtype.name) \(a.config.block) \(a.rows)×\(a.cols)"
        #expect(a.valueHistogram.counts == values, "\(name): value histogram")
        #expect(a.normalizedHistogram.counts == norm, "\(name): normalised histogram")
        #expect(a.errorHistogram.counts == err, "\(name): error histogram")
        #expect(a.codeUsage == usage, "\(name): code usage")
        #expect(a.metrics.maxAbsErr.bitPattern == maxErr.bitPattern, "\(name): max error")
        // The extremes as the sequential loops find them, signs of zeros included.
        var lo = Float.infinity, hi = -Float.infinity
        for v in x where v.isFinite { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
        #expect(a.stats.min.bitPattern == Double(lo).bitPattern && a.stats.max.bitPattern == Double(hi).bitPattern, "\(name): extremes")
        for b in 0..<q.grouping.blockCount {
            let (start, length, stride) = q.grouping.extent(ofBlock: b)
            var l = Float.infinity, h = -Float.infinity
            for j in 0..<length {
                let v = x[start + j * stride]
                if v.isFinite { l = Swift.min(l, v); h = Swift.max(h, v) }
            }
            if l > h { l = 0; h = 0 }
            #expect(q.blockMinimum[b].bitPattern == l.bitPattern && q.blockMaximum[b].bitPattern == h.bitPattern
                    && q.absmax[b].bitPattern == Swift.max(-l, h).bitPattern, "\(name): block \(b) extremes")
        }
        var cols = [Float](repeating: 0, count: a.cols)
        for i in x.indices where x[i].isFinite { cols[i % a.cols] = Swift.max(cols[i % a.cols], abs(x[i])) }
        #expect(a.outliers.columnAbsmax == cols, "\(name): column absmax")
    }

    @Test(arguments: [DataType.nf4, .fp4, .dynamic8, .int8, .int4, .uint4Asym, .mxfp4, .nvfp4, .fp8E4M3, .quantile4, .fp16])
    func analysisCountsMatchThePlainLoops(dtype: DataType) throws {
        for (rows, cols) in [(48, 64), (30, 70), (7, 13)] {
            for nonFinite in [false, true] {
                let x = Self.values(rows: rows, cols: cols, seed: UInt64(rows * cols), nonFinite: nonFinite)
                let t = Tensor(name: "t", shape: [rows, cols], sourceDType: "F32", values: x)
                let blocks: [BlockSize] = dtype.fixedBlock.map { [.elements($0)] } ?? [.elements(64), .elements(30), .row, .column, .tensor]
                for block in blocks {
                    for bins in [64, 7] {
                        let config = QuantConfig(dtype: dtype, block: block)
                        guard (try? config.validate(cols: cols)) != nil else { continue }
                        let a = try Analyzer.analyze(t, config: config, options: AnalysisOptions(bins: bins, threads: 2))
                        Self.check(a, x)
                        // The streamed quantization does not depend on the threads.
                        let q = try Quantizer.quantize(x, rows: rows, cols: cols, config: config, threads: 1)
                        let q2 = try Quantizer.quantize(x, rows: rows, cols: cols, config: config, threads: 2)
                        #expect(q.codes == q2.codes)
                        #expect(zip(q.dequantized, q2.dequantized).allSatisfy { $0.bitPattern == $1.bitPattern })
                    }
                }
            }
        }
    }

    @Test func blockExtremesKeepTheSignOfZero() {
        // −0 first, then +0: min keeps the first, max the last, as the scalar loops do.
        var x = [Float](repeating: 0, count: 64 * 4)
        x[0] = -0.0
        for i in 64..<128 { x[i] = i == 127 ? -0.0 : 0 }
        for i in 128..<192 { x[i] = Float(i - 160) }
        x[192] = .nan
        for i in 193..<256 { x[i] = -Float(i) }
        let s = x.withUnsafeBufferPointer { BlockStatistics.compute($0, grouping: Grouping(count: 256, rows: 4, cols: 64, block: .elements(64)), threads: 2) }
        for b in 0..<4 {
            var l = Float.infinity, h = -Float.infinity
            for v in x[(b * 64)..<(b * 64 + 64)] where v.isFinite { l = Swift.min(l, v); h = Swift.max(h, v) }
            if l > h { l = 0; h = 0 }
            #expect(s.minimum[b].bitPattern == l.bitPattern && s.maximum[b].bitPattern == h.bitPattern, "block \(b)")
        }
    }
}
