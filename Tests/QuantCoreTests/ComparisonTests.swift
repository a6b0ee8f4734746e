import Foundation
import QuantCore
import TensorCore
import Testing

/// `Comparison`: a tensor measured against another, streamed through both readers, with the figures
/// of a plain float64 loop whatever the threads and chunks; and the row-permuted reader it reads
/// llama.cpp's Q/K projections through.
@Suite("comparison")
struct ComparisonTests {
    static func pair(_ n: Int, seed: UInt64) -> (Tensor, Tensor) {
        var r = TestRandom(seed: seed)
        let x = r.normals(n).map { $0 * 0.05 }
        let y = x.enumerated().map { i, v in v + (i % 7 == 0 ? 0 : Float(r.normal()) * 0.001) }
        return (Tensor(name: "x", shape: [n / 64, 64], sourceDType: "F32", values: x),
                Tensor(name: "y", shape: [n / 64, 64], sourceDType: "Q4_0", values: y))
    }

    /// The definitions, element by element in float64.
    static func reference(_ x: [Float], _ y: [Float]) -> (mse: Double, sqnr: Double, cosine: Double, maxErr: Double, mae: Double, excluded: Int) {
        var sx2 = 0.0, se2 = 0.0, sxy = 0.0, sy2 = 0.0, sae = 0.0, mx = 0.0, n = 0, excluded = 0
        for (a, b) in zip(x, y) {
            guard a.isFinite else { excluded += 1; continue }
            let e = Double(b) - Double(a)
            sx2 += Double(a) * Double(a); sy2 += Double(b) * Double(b); sxy += Double(a) * Double(b)
            se2 += e * e; sae += abs(e); mx = max(mx, abs(e)); n += 1
        }
        return (se2 / Double(n), 10 * log10(sx2 / se2), sxy / (sx2 * sy2).squareRoot(), mx, sae / Double(n), excluded)
    }

    @Test func figuresAreThePlainLoopsWhateverTheThreadsAndChunks() throws {
        var (x, y) = Self.pair(64 * 301, seed: 3)
        x.values[10] = .nan; x.values[5000] = -.infinity
        let ref = Self.reference(x.values, y.values)
        let base = try Comparison.measure(original: x, quantized: y, threads: 1).metrics
        #expect(base.excluded == 2 && ref.excluded == 2)
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(abs(a), abs(b)) }
        #expect(close(base.mse, ref.mse) && close(base.sqnrDB, ref.sqnr) && close(base.cosine, ref.cosine) && close(base.mae, ref.mae))
        #expect(base.maxAbsErr == ref.maxErr)
        #expect(base.bitsPerParam == 32 && base.bytes == x.count * 4 && base.codesUsed == 0)
        for threads in [2, 5] {
            let again = try Comparison.measure(original: x, quantized: y, threads: threads).metrics
            #expect(again == base, "\(threads) threads")
        }
        for chunk in [64, 1000, 1 << 20] {
            let m = try Comparison.measure(original: x, quantized: y, threads: 3, chunkValues: chunk).metrics
            #expect(close(m.mse, base.mse) && close(m.sqnrDB, base.sqnrDB) && m.maxAbsErr == base.maxAbsErr && m.excluded == 2, "chunk \(chunk)")
        }
    }

    @Test func aNaNInTheQuantizedValuesShowsInTheFigures() throws {
        var (x, y) = Self.pair(64 * 8, seed: 4)
        y.values[100] = .nan
        let m = try Comparison.measure(original: x, quantized: y).metrics
        #expect(m.mse.isNaN && m.sqnrDB.isNaN && m.cosine.isNaN && m.excluded == 0)
    }

    @Test func identicalTensorsAreLossless() throws {
        let (x, _) = Self.pair(64 * 4, seed: 5)
        let m = try Comparison.measure(original: x, quantized: x).metrics
        #expect(m.mse == 0 && m.maxAbsErr == 0 && m.cosine == 1 && m.relFroErr == 0 && m.sqnrDB == .infinity)
    }

    @Test func countsMustAgree() throws {
        let (x, _) = Self.pair(64 * 4, seed: 6)
        let (y, _) = Self.pair(64 * 5, seed: 6)
        #expect(throws: ComparisonError.countMismatch(original: 256, quantized: 320)) {
            try Comparison.measure(original: x, quantized: y)
        }
    }

    @Test func totalsPoolTheSums() throws {
        let (x1, y1) = Self.pair(64 * 10, seed: 7)
        let (x2, y2) = Self.pair(64 * 30, seed: 8)
        var total = try Comparison.measure(original: x1, quantized: y1)
        total.merge(try Comparison.measure(original: x2, quantized: y2))
        let ref = Self.reference(x1.values + x2.values, y1.values + y2.values)
        #expect(abs(total.metrics.sqnrDB - ref.sqnr) < 1e-10 && total.count == 64 * 40 && total.bytes == 64 * 40 * 4)
    }

    @Test func rowPermutedReaderReadsRowsInTheGivenOrder() throws {
        let rows = 6, cols = 5
        let base = Tensor(name: "b", shape: [rows, cols], sourceDType: "F32", values: (0..<(rows * cols)).map(Float.init))
        let order = [3, 0, 5, 1, 4, 2]
        let p = try #require(RowPermutedReader(base, sourceRow: order))
        let want = order.flatMap { r in (0..<cols).map { Float(r * cols + $0) } }
        #expect(p.readAll() == want)
        // Ranges that start and end inside rows.
        for range in [3..<17, 0..<1, 29..<30, 4..<26] {
            var out = [Float](repeating: -1, count: range.count)
            out.withUnsafeMutableBufferPointer { p.read(range, into: $0) }
            #expect(out == Array(want[range]), "\(range)")
        }
        #expect(RowPermutedReader(base, sourceRow: [0, 1, 2, 3, 4, 4]) == nil)
        #expect(RowPermutedReader(base, sourceRow: [0, 1, 2]) == nil)
    }
}
