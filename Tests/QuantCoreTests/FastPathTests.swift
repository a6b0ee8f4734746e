import Foundation
import TensorCore
import TensorIO
import Testing
@testable import QuantCore

/// The fast paths give exactly what the plain definitions give: speed never changes a code.
@Suite("fast paths")
struct FastPathTests {
    /// The values a search must get right: random magnitudes of both signs, every midpoint and its
    /// neighbours, zeros of both signs, infinities and NaN.
    static func probes(around mids: [Float], seed: UInt64) -> [Float] {
        var r = TestRandom(seed: seed)
        var v: [Float] = [0, -0, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                          .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        for m in mids { v += [m, m.nextUp, m.nextDown, -m, (-m).nextUp, (-m).nextDown] }
        for _ in 0..<20_000 {
            let e = Float(Int(r.next() % 40)) - 30
            v.append(Float(r.normal()) * Float(pow(2.0, Double(e))))
        }
        return v
    }

    /// Count of midpoints strictly below v, then the tie rule: the definition, in its plainest form.
    static func reference(_ v: Float, mids: [Float], tie: NearestLevel.TieRule) -> Int {
        if v.isNaN { return 0 }
        let k = mids.filter { $0 < v }.count
        if tie == .even, k < mids.count, mids[k] == v, k & 1 == 1 { return k + 1 }
        return k
    }

    @Test(arguments: ["nf4", "dynamic8", "dynamic8-unsigned", "e4m3", "e5m2", "e2m3", "e3m2", "e2m1", "random256"])
    func bucketedSearchMatchesTheDefinition(table: String) {
        var r = TestRandom(seed: 7)
        let (levels, tie): ([Float], NearestLevel.TieRule) = switch table {
        case "nf4": (CodeTables.nf4, .lower)
        case "dynamic8": (CodeTables.dynamicSigned, .even)
        case "dynamic8-unsigned": (CodeTables.dynamicUnsigned, .even)
        case "e4m3": (ElementFormat.e4m3.magnitudes, .even)
        case "e5m2": (ElementFormat.e5m2.magnitudes, .even)
        case "e2m3": (ElementFormat.e2m3.magnitudes, .even)
        case "e3m2": (ElementFormat.e3m2.magnitudes, .even)
        case "e2m1": (ElementFormat.e2m1.magnitudes, .even)
        default: ((0..<256).map { _ in r.normal() }.sorted(), .lower)
        }
        let search = NearestLevel(levels: levels, tie: tie)
        // Small tables searched with ties down use the vector compare-count and the branchless search,
        // not buckets; every other table has them.
        #expect(search.buckets.isEmpty == (tie == .lower && levels.count <= 17), "\(table)")
        var wrong: [Float] = []
        for v in Self.probes(around: search.midpoints, seed: 11) where search.index(of: v) != Self.reference(v, mids: search.midpoints, tie: tie) {
            wrong.append(v)
        }
        #expect(wrong.isEmpty, "\(table): \(wrong.prefix(5))")
    }

    /// bitsandbytes' FP4 decision tree, branch for branch, against the branchless encoder.
    @Test func branchlessFP4MatchesTheDecisionTree() {
        func tree(_ x: Float) -> UInt8 {
            let sign: UInt8 = x < 0 ? 8 : 0
            let a = abs(x)
            let code: UInt8
            if a > 0.29166667 {
                if a > 0.583333 { code = a > 0.8333333 ? 3 : 2 } else { code = a > 0.4166667 ? 5 : 4 }
            } else {
                if a > 0.0859375 { code = a > 0.20833333 ? 7 : 6 } else { code = a > 0.00260417 ? 1 : 0 }
            }
            return sign | code
        }
        var wrong: [Float] = []
        for v in Self.probes(around: CodeTables.fp4Thresholds, seed: 3) where CodeTables.encodeFP4(v) != tree(v) {
            wrong.append(v)
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
    }

    @Test(arguments: [DataType.nf4, .fp4, .dynamic8, .dynamic8Unsigned, .int8, .int4, .uint4Asym, .quantile4,
                      .fp8E4M3, .fp6E3M2, .mxfp4, .mxint8, .nvfp4])
    func decodingStoredCodesGivesTheQuantizersValues(dtype: DataType) throws {
        var r = TestRandom(seed: 5)
        var x = r.normals(64 * 48)
        x[17] = 9.5; x[200] = -0.0; x[333] = .nan
        let blocks: [BlockSize] = dtype.fixedBlock.map { [.elements($0)] } ?? [.elements(64), .row, .column, .tensor]
        for block in blocks {
            for dq in dtype.supportsDoubleQuant ? [false, true] : [false] {
                let q = try Quantizer.quantize(x, rows: 48, cols: 64, config: QuantConfig(dtype: dtype, block: block, doubleQuant: dq))
                let decoded = try #require(Dequantizer.decode(q))
                let bad = zip(decoded, q.dequantized).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
                #expect(bad == nil, "\(dtype.name) \(block) dq \(dq): at \(bad?.offset ?? -1) x \(bad.map { x[$0.offset] } ?? 0) decoded \(bad?.element.0 ?? 0) quantizer \(bad?.element.1 ?? 0)")
            }
        }
    }

    @Test func profileMatchesTheTwoPassStatistics() {
        var r = TestRandom(seed: 9)
        var x = r.normals(300 * 70).map { $0 * 3 + 1000 }   // a large mean tests the moment merge
        x[5] = .nan; x[77] = .infinity; x[1234] = -40
        let profile = x.withUnsafeBufferPointer { TensorProfile.compute($0, rows: 300, cols: 70, threads: 2) }
        let stats = x.withUnsafeBufferPointer { TensorStats.compute($0, threads: 1) }
        let finite = x.filter(\.isFinite).map(Double.init)
        let mean = finite.reduce(0, +) / Double(finite.count)
        let m2 = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count)
        let m4 = finite.reduce(0) { $0 + pow($1 - mean, 4) } / Double(finite.count)
        let cols = x.withUnsafeBufferPointer { OutlierColumns.find($0, rows: 300, cols: 70, threads: 1) }
        let p = profile.stats
        #expect(p.count == stats.count && p.finiteCount == stats.finiteCount)
        #expect(p.nanCount == 1 && p.infCount == 1 && p.min == stats.min && p.max == stats.max)
        // Against float64 sums in the plainest order (the two-pass statistics sum in float32 runs).
        #expect(abs(p.mean - mean) <= 1e-12 * abs(mean))
        #expect(abs(p.std - m2.squareRoot()) <= 1e-9 * m2.squareRoot())
        #expect(abs(p.kurtosis - (m4 / (m2 * m2) - 3)) <= 1e-9 * max(1, abs(p.kurtosis)))
        #expect(profile.columnAbsmax == cols.columnAbsmax)
    }

    @Test func histogramCountingMatchesTheDefinition() {
        var r = TestRandom(seed: 13)
        var x = r.normals(100_003)
        x[3] = .nan; x[4] = 100; x[5] = -100
        let h = x.withUnsafeBufferPointer { Histogram.counting($0, lower: -3, upper: 3, bins: 48, threads: 2) }
        var reference = Histogram.empty(lower: -3, upper: 3, bins: 48)
        for v in x { if let k = reference.bin(of: Double(v)) { reference.counts[k] += 1 } }
        #expect(h.total == reference.total)
        // Float32 and float64 binning may differ for a value within a rounding of an edge: none here.
        #expect(h.counts == reference.counts)
    }

    /// The quantile table's order statistics are the stable sort's, bit for bit (signed zeros included),
    /// on samples with many ties, both zeros, one element and every size around the small-range cutoff.
    @Test func orderStatisticsMatchTheStableSort() {
        var r = TestRandom(seed: 77)
        for n in [1, 2, 3, 31, 32, 33, 64, 1000, 50_000] {
            for style in 0..<3 {
                let sample: [Float] = (0..<n).map { _ in
                    switch style {
                    case 0: return r.normal()
                    case 1: return Float(Int(r.next() % 9)) - 4 // many ties
                    default: return r.next() % 3 == 0 ? (r.next() % 2 == 0 ? 0 : -0.0) : r.normal() // signed zeros
                    }
                }
                let sorted = sample.sorted()
                var ranks = Set((0..<min(n, 40)).map { _ in Int(r.next() % UInt64(n)) })
                ranks.insert(0); ranks.insert(n - 1)
                let got = QuantileTable.orderStatistics(sample, ranks: ranks.sorted())
                for k in ranks {
                    #expect(got[k]?.bitPattern == sorted[k].bitPattern, "n \(n) style \(style) rank \(k)")
                }
            }
        }
    }

    /// The fitted table is the one the sorted sample gives (the definition), for both quantile datatypes.
    @Test func quantileTableMatchesTheSortedDefinition() throws {
        var r = TestRandom(seed: 78)
        var x = r.normals(64 * 512)
        for i in stride(from: 0, to: x.count, by: 97) { x[i] = i % 2 == 0 ? 0 : -0.0 }
        let g = Grouping(count: x.count, rows: 64, cols: 512, block: .elements(64))
        let absmax = (0..<g.blockCount).map { b -> Float in
            let e = g.extent(ofBlock: b)
            return (0..<e.length).map { abs(x[e.start + $0 * e.stride]) }.max() ?? 0
        }
        for k in [16, 256] {
            let table = QuantileTable.fit(sample: x.indices.map { i -> Float in let a = absmax[g.blockIndex(ofElement: i)]; return a > 0 ? x[i] * (1 / a) : 0 }, codes: k)
            let sample = x.indices.map { i -> Float in let a = absmax[g.blockIndex(ofElement: i)]; return a > 0 ? x[i] * (1 / a) : 0 }.sorted()
            let m = sample.count
            let expected = (0..<k).map { c -> Float in
                let p = (Double(c) + 0.5) / Double(k) * Double(m - 1)
                let lo = Int(p.rounded(.down)), hi = min(lo + 1, m - 1)
                return sample[lo] + (sample[hi] - sample[lo]) * Float(p - Double(lo))
            }
            #expect(table.map(\.bitPattern) == expected.map(\.bitPattern), "k = \(k)")
        }
    }
}
