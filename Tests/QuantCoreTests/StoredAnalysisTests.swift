import Foundation
import QuantCore
import TensorCore
import TensorIO
import Testing

/// The stored view's figures: code usage read from the blocks (grid points for the lattice types),
/// the normalised domain recovered from each group's scale, the error against the original the file
/// was made from — the same whatever the threads and chunks.
@Suite("stored analysis")
struct StoredAnalysisTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let allTypes = root.appendingPathComponent("Tests/Fixtures/gguf/all_types.gguf").path
    static let compare = root.appendingPathComponent("Tests/Fixtures/compare")

    /// Code usage counted straight from the bytes with `GGMLType.codes` / `latticeCodes`.
    static func directUsage(_ file: TensorFile, _ name: String, _ t: GGMLType) throws -> [Int] {
        let reader = try file.reader(name)
        let blocks = reader.info.count / t.blockLayout.elements
        let stored = try #require(reader as? any StoredBlocksReader)
        var usage: [Int] = []
        stored.withStoredBlocks(0..<blocks) { raw in
            switch t.codeKind {
            case .none: break
            case .scalar(let book):
                var codes = [UInt8](repeating: 0, count: reader.info.count)
                codes.withUnsafeMutableBufferPointer { t.codes(raw, blocks: blocks, into: $0.baseAddress!) }
                usage = [Int](repeating: 0, count: book.count)
                for c in codes { usage[Int(c)] += 1 }
            case .lattice(let grid):
                var codes = [GGMLLatticeCode](repeating: GGMLLatticeCode(point: 0, signs: 0, shift: 0), count: blocks * grid.groupsPerBlock)
                codes.withUnsafeMutableBufferPointer { t.latticeCodes(raw, blocks: blocks, into: $0.baseAddress!) }
                usage = [Int](repeating: 0, count: grid.points)
                for c in codes { usage[Int(c.point)] += 1 }
            }
        }
        return usage
    }

    /// Elements of the groups whose stored values are not all equal.
    static func elementsWithALine(_ file: TensorFile, _ name: String, group: Int) throws -> Int {
        let v = try file.reader(name).readAll()
        return stride(from: 0, to: v.count, by: group).reduce(0) { n, g in
            Set(v[g..<min(v.count, g + group)]).count > 1 ? n + min(group, v.count - g) : n
        }
    }

    @Test func everyQuantizedTypeShowsItsOwnCodes() throws {
        let f = try TensorFile.open(Self.allTypes)
        for info in f.tensors {
            let t = try #require(GGMLType(name: info.dtype))
            let a = try StoredAnalysis.analyze(try f.reader(info.name), options: AnalysisOptions(bins: 32, threads: 2))
            let st = try #require(a.stored, "\(info.name)")
            #expect(st.type == t && a.label == "stored \(t.name)")
            #expect(a.codeUsage == (try Self.directUsage(f, info.name, t)), "\(info.name)")
            #expect(a.metrics.bitsPerParam == Double(info.byteCount * 8) / Double(info.count))
            #expect(a.metrics.mse.isNaN && a.errorHistogram.total == 0, "no original, no error: \(info.name)")
            if let g = st.latticeGroup {
                // The fixture's lattice tensors use every grid point once.
                #expect(a.codeUsage.count == st.codeCount && a.codeUsage.allSatisfy { $0 == 1 }, "\(info.name)")
                #expect(a.metrics.codesUsed == st.codeCount && a.codeSlots == st.codeCount && g == (t == .iq3_XXS || t == .iq3_S ? 4 : 8))
            } else {
                #expect(a.codebook.levels == t.codeBook?.levels)
            }
            // Elements of a group whose values all share one level have no line and are left out (the
            // fixture has all-zero blocks).
            #expect(a.normalizedHistogram.total == (try Self.elementsWithALine(f, info.name, group: st.scaleGroup)), "\(info.name)")
        }
    }

    /// Without an original the normalised values are the stored ones divided by their group's scale:
    /// exactly the levels, so each lands in the bin of its level.
    @Test(arguments: ["t_Q4_0", "t_Q8_0", "t_Q4_K", "t_Q6_K", "t_IQ4_XS", "t_MXFP4", "t_IQ2_XS", "t_IQ1_M"])
    func storedValuesNormaliseOntoTheLevels(name: String) throws {
        let f = try TensorFile.open(Self.allTypes)
        let a = try StoredAnalysis.analyze(try f.reader(name), options: AnalysisOptions(bins: 4096, threads: 1))
        let h = a.normalizedHistogram
        let levelBins = Set(a.codebook.sortedLevels.compactMap { h.bin(of: Double($0)) })
        let width = (h.upper - h.lower) / Double(h.counts.count)
        for (k, c) in h.counts.enumerated() where c > 0 {
            // A value a rounding away from its level may fall in the neighbouring bin.
            #expect(levelBins.contains(k) || levelBins.contains(k - 1) || levelBins.contains(k + 1),
                    "\(name): \(c) values in bin \(k) at \(h.lower + Double(k) * width)")
        }
        #expect(h.total == (try Self.elementsWithALine(f, name, group: a.stored?.scaleGroup ?? 0)), "\(name)")
    }

    /// Against its original, a stored Q4_0 tensor has the figures `compare` measures (NumPy's, from
    /// the fixture), and its normalised histogram is x ÷ d with each block's own d.
    @Test func againstTheOriginal() throws {
        let gguf = try TensorFile.open(Self.compare.appendingPathComponent("bert_q4_0.gguf").path)
        let minilm = try TensorFile.open(Self.root.appendingPathComponent("samples/minilm-l6.safetensors").path)
        let stored = try gguf.reader("blk.0.ffn_down.weight")
        let original = try minilm.reader("encoder.layer.0.output.dense.weight")
        let base = try StoredAnalysis.analyze(stored, original: original, originalLabel: "minilm", options: AnalysisOptions(bins: 64, threads: 1))
        #expect(base.stored?.original == "minilm")
        let c = try Comparison.measure(original: original, quantized: stored).metrics
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(abs(a), abs(b)) }
        #expect(close(base.metrics.mse, c.mse) && close(base.metrics.sqnrDB, c.sqnrDB) && base.metrics.maxAbsErr == c.maxAbsErr)
        #expect(base.metrics.bitsPerParam == 4.5 && base.metrics.codesUsed == 16)
        #expect(base.errorHistogram.total == base.count && base.valueHistogram.total == base.count)
        #expect(abs(base.stats.absmax - 7.9148) < 1e-3, "the reference is the original")

        // x ÷ d from the bytes: d is each block's fp16 scale.
        let x = original.readAll()
        var d = [Float](repeating: 0, count: x.count / 32)
        (stored as! any StoredBlocksReader).withStoredBlocks(0..<d.count) { raw in
            for b in 0..<d.count { d[b] = HalfPrecision.float(fromHalfBits: raw.loadUnaligned(fromByteOffset: b * 18, as: UInt16.self)) }
        }
        var want = Histogram.empty(lower: base.normalizedHistogram.lower, upper: base.normalizedHistogram.upper, bins: 64)
        for (i, v) in x.enumerated() where d[i / 32] != 0 { if let k = want.bin(of: Double(v) / Double(d[i / 32])) { want.counts[k] += 1 } }
        let diff = zip(want.counts, base.normalizedHistogram.counts).reduce(0) { $0 + abs($1.0 - $1.1) }
        #expect(want.total == base.normalizedHistogram.total && diff <= 4, "\(diff) values in other bins")

        for (threads, chunk) in [(3, 1 << 16), (2, 96), (5, 4096)] {
            let again = try StoredAnalysis.analyze(stored, original: original, options: AnalysisOptions(bins: 64, threads: threads, chunkValues: chunk))
            #expect(again.codeUsage == base.codeUsage && again.valueHistogram == base.valueHistogram, "\(threads) threads, chunk \(chunk)")
            #expect(again.normalizedHistogram == base.normalizedHistogram && again.errorHistogram == base.errorHistogram)
            #expect(close(again.metrics.mse, base.metrics.mse) && again.metrics.maxAbsErr == base.metrics.maxAbsErr)
            #expect(again.peakBlock == base.peakBlock && again.peakBlockScale == base.peakBlockScale)
        }
        // The peak group holds the model's largest weight (row 99, column 856), and its line is its block's d.
        #expect(base.peakBlock == (99 * 1536 + 856) / 32)
        #expect(abs(Double(base.peakBlockScale) - Double(d[base.peakBlock])) <= 1e-6 * abs(Double(d[base.peakBlock])))
    }

    @Test func refusals() throws {
        let minilm = try TensorFile.open(Self.root.appendingPathComponent("samples/minilm-l6.gguf").path)
        #expect(throws: StoredAnalysisError.notStored(tensor: "encoder.layer.0.attention.self.query.weight", dtype: "F16")) {
            try StoredAnalysis.analyze(try minilm.reader("encoder.layer.0.attention.self.query.weight"))
        }
        let t = Tensor(name: "t", shape: [32], sourceDType: "F32", values: [Float](repeating: 1, count: 32))
        #expect(throws: StoredAnalysisError.notStored(tensor: "t", dtype: "F32")) { try StoredAnalysis.analyze(t) }
        let q8 = try minilm.reader("encoder.layer.0.output.dense.weight")
        #expect(throws: StoredAnalysisError.countMismatch(tensor: "encoder.layer.0.output.dense.weight", stored: 589824, original: 32)) {
            try StoredAnalysis.analyze(q8, original: t)
        }
    }
}
