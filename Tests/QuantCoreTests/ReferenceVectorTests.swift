import TensorCore
import TensorIO
import Testing
@testable import QuantCore

/// Bit-exactness against bitsandbytes 0.50.2 (Tests/Fixtures/refvec).
@Suite("bitsandbytes reference vectors")
struct ReferenceVectorTests {
    static let inputs: [(prefix: String, input: String)] = [("x", "x_randn4096"), ("w", "w_l0ffnout_rows96_104")]
    static let blocks = [64, 128, 256, 4096]

    @Test func tablesMatchTheReference() throws {
        #expect(try Fixtures.floats("dynamic_map_signed").map(\.bitPattern) == CodeTables.dynamicSigned.map(\.bitPattern))
        #expect(try Fixtures.floats("nf4_code").map(\.bitPattern) == CodeTables.nf4.map(\.bitPattern))
        #expect(try Fixtures.floats("fp4_code").map(\.bitPattern) == CodeTables.fp4.map(\.bitPattern))
        let u = CodeTables.dynamicUnsigned
        #expect(u.count == 256 && Set(u).count == 256 && u[0] == 0 && u[255] == 1)
        #expect(zip(u, u.dropFirst()).allSatisfy { $0 < $1 })
        #expect(u[1] == 3.2500003044333425e-07 && u[250] == 0.9683593511581421)
    }

    @Test(arguments: ["nf4", "fp4"], blocks)
    func fourBitPackedBytesAndAbsmax(kind: String, block: Int) throws {
        let dtype = DataType(name: kind)!
        var zeroSwaps = 0, windows = 0, total = 0
        for (prefix, input) in Self.inputs {
            let x = try Fixtures.load(input)
            let q = try Quantizer.quantize(x, config: QuantConfig(dtype: dtype, block: .elements(block)))
            let stem = "\(prefix)_\(kind)_bs\(block)"
            #expect(q.absmax.map(\.bitPattern) == (try Fixtures.floats("\(stem)_absmax")).map(\.bitPattern))
            let ref = try Fixtures.bytes("\(stem)_packed")
            let ours = Fixtures.pack(q.codes)
            if kind == "nf4" {
                #expect(ours == ref, "NF4 bytes must be identical (\(stem))")
                #expect(q.dequantized == (try Fixtures.floats("\(stem)_deq")), "NF4 dequantized (\(stem))")
            } else {
                // bitsandbytes' CPU backend bucketizes on true midpoints in sorted order, so it differs from
                // the CUDA tree in two ways (docs/DATATYPES.md): 0 < |s| <= 0.0026 encodes to the other zero
                // (+0 <-> -0, the same value), and |s| in the narrow windows between a CUDA literal and the
                // true midpoint lands one level away. Check every difference is one of these.
                let codes = q.codes
                total += codes.count
                for i in 0..<codes.count where codes[i] != nibble(ref, i) {
                    let s = abs(x.values[i] / q.absmax[i / block])
                    let theirs = nibble(ref, i)
                    let zeroSwap = (codes[i] & 7) == 0 && (theirs & 7) == 0 && s <= 0.0026041700039058924
                    let window = CodeTables.fp4Thresholds.contains { t in
                        let mid = midpointFor(t)
                        return s >= min(t, mid) && s <= max(t, mid)
                    }
                    if zeroSwap { zeroSwaps += 1 } else if window { windows += 1 }
                    #expect(zeroSwap || window, "unexplained FP4 difference at \(stem)[\(i)], s=\(s)")
                }
            }
        }
        if kind == "fp4" {
            // Measured (x and w together, 16384 values): the ±0 swap grows with the block (more values
            // fall below 0.0026 · absmax): 156 at block 64, 2116 at 4096; no threshold-window case occurs in these vectors.
            #expect(windows * 1000 < total, "\(windows) window differences of \(total)")
            print("fp4 block \(block): \(zeroSwaps) ±0 swaps, \(windows) threshold-window differences of \(total)")
        }
    }

    @Test(arguments: ["nf4", "fp4"], blocks)
    func doubleQuantization(kind: String, block: Int) throws {
        let dtype = DataType(name: kind)!
        for (prefix, input) in Self.inputs {
            let x = try Fixtures.load(input)
            let q = try Quantizer.quantize(x, config: QuantConfig(dtype: dtype, block: .elements(block), doubleQuant: true))
            let stem = "\(prefix)_\(kind)_bs\(block)_cs"
            let dq = try #require(q.doubleQuant)
            #expect(dq.offset.bitPattern == (try Fixtures.floats("\(stem)_offset"))[0].bitPattern, "offset \(stem)")
            #expect(dq.nestedAbsmax.map(\.bitPattern) == (try Fixtures.floats("\(stem)_state2_absmax")).map(\.bitPattern))
            // bitsandbytes' CPU kernel picks the nested 8-bit codes through a lookup table that is off by
            // one step for a few values; decoding its own codes must give its output exactly.
            let refCodes = try Fixtures.bytes("\(stem)_qabsmax")
            let decoded = DoubleQuantState.decode(codes: refCodes, nestedAbsmax: dq.nestedAbsmax, offset: dq.offset)
            let table = dtype == .nf4 ? CodeTables.nf4 : CodeTables.fp4
            let deq = q.codes.enumerated().map { i, c in table[Int(c)] * decoded[i / block] }
            #expect(deq == (try Fixtures.floats("\(stem)_deq")), "dequantized \(stem)")
            let differing = zip(dq.codes, refCodes).filter { $0 != $1 }.count
            #expect(differing * 20 <= max(refCodes.count, 20), "nested codes differ in \(differing) of \(refCodes.count)")
            // Where the nested codes agree, our own dequantized output is identical.
            let refDeq = try Fixtures.floats("\(stem)_deq")
            for i in 0..<q.dequantized.count where dq.codes[i / block] == refCodes[i / block] {
                #expect(q.dequantized[i] == refDeq[i])
            }
        }
    }

    @Test(arguments: blocks)
    func dynamic8(block: Int) throws {
        let map = CodeTables.dynamicSigned
        for (prefix, input) in Self.inputs {
            let x = try Fixtures.load(input)
            let q = try Quantizer.quantize(x, config: QuantConfig(dtype: .dynamic8, block: .elements(block)))
            let stem = "\(prefix)_dyn8_bs\(block)"
            let absmax = try Fixtures.floats("\(stem)_absmax")
            #expect(q.absmax == absmax)
            let refCodes = try Fixtures.bytes("\(stem)_codes")
            // Decoding bitsandbytes' own codes is exact.
            let refDecoded = refCodes.enumerated().map { i, c in map[Int(c)] * absmax[i / block] }
            #expect(refDecoded == (try Fixtures.floats("\(stem)_deq")))
            // Our codes are the exact nearest (ties to even); bitsandbytes' CPU lookup table differs
            // on ~0.2 %: each difference must be one where ours is at least as near.
            var differing = 0
            for i in 0..<refCodes.count where q.codes[i] != refCodes[i] {
                differing += 1
                let s = x.values[i] * (1 / absmax[i / block])
                #expect(abs(s - map[Int(q.codes[i])]) <= abs(s - map[Int(refCodes[i])]))
            }
            // Measured: 0.1–0.4 % on randn; 1.25 % on the MiniLM rows at block 4096, whose 7.91 outlier
            // pushes most values to |s| < 0.01, where the lookup table's grid is coarsest.
            #expect(Double(differing) / Double(refCodes.count) < 0.02, "\(stem): \(differing) differ")
            print("dynamic8 \(stem): \(differing) of \(refCodes.count) codes differ from bitsandbytes' CPU lookup table")
        }
    }

    @Test func halfAndBFloat16Inputs() throws {
        for kind in ["f16", "bf16"] {
            let raw = try Fixtures.load("x_\(kind)")
            let values = kind == "f16" ? raw.values
                : raw.values.map { HalfPrecision.float(fromBFloat16Bits: UInt16($0)) }
            let x = Tensor(name: "x", shape: [values.count], sourceDType: kind, values: values)
            let nf4 = try Quantizer.quantize(x, config: QuantConfig(dtype: .nf4, block: .elements(64)))
            #expect(Fixtures.pack(nf4.codes) == (try Fixtures.bytes("x_\(kind)_nf4_bs64_packed")))
            #expect(nf4.absmax == (try Fixtures.floats("x_\(kind)_nf4_bs64_absmax")))
            let refDeq = try Fixtures.floats("x_\(kind)_nf4_bs64_deq")
            let ours = kind == "f16" ? nf4.dequantized.map(HalfPrecision.roundToHalf)
                : nf4.dequantized.map { Float(HalfPrecision.bfloat16Bits(from: $0)) }
            #expect(ours == refDeq)
            let dyn = try Quantizer.quantize(x, config: QuantConfig(dtype: .dynamic8, block: .elements(64)))
            #expect(dyn.absmax == (try Fixtures.floats("x_\(kind)_dyn8_bs64_absmax")))
        }
    }

    @Test func fullMatrix() throws {
        let w = try Fixtures.load("wfull_l0ffnout")
        #expect(w.shape == [384, 1536])
        let nf4 = try Quantizer.quantize(w, config: QuantConfig(dtype: .nf4, block: .elements(64)))
        #expect(Fixtures.pack(nf4.codes) == (try Fixtures.bytes("wfull_nf4_bs64_packed")))
        #expect(nf4.absmax == (try Fixtures.floats("wfull_nf4_bs64_absmax")))
        #expect(nf4.dequantized == (try Fixtures.floats("wfull_nf4_bs64_deq")))
        let dyn = try Quantizer.quantize(w, config: QuantConfig(dtype: .dynamic8, block: .elements(64)))
        #expect(dyn.absmax == (try Fixtures.floats("wfull_dyn8_bs64_absmax")))
        let ref = try Fixtures.bytes("wfull_dyn8_bs64_codes")
        let differing = zip(dyn.codes, ref).filter { $0 != $1 }.count
        #expect(Double(differing) / Double(ref.count) < 0.006)
    }

    @Test func int8Vectorwise() throws {
        let w = try Fixtures.load("w_l0ffnout_rows96_104")
        let plain = Int8Vectorwise.quantize(w.values, rows: 8, cols: 1536)
        #expect(plain.codes.map(Float.init) == (try Fixtures.floats("w_int8vw_q")))
        #expect(plain.rowStats == (try Fixtures.floats("w_int8vw_rowstats")))
        let thr = Int8Vectorwise.quantize(w.values, rows: 8, cols: 1536, threshold: 6)
        #expect(thr.codes.map(Float.init) == (try Fixtures.floats("w_int8vw_thr6_q")))
        #expect(thr.rowStats == (try Fixtures.floats("w_int8vw_thr6_rowstats")))
        #expect(thr.outlierColumns == [856])
        let x = try Fixtures.load("x_randn4096")
        let sq = Int8Vectorwise.quantize(x.values, rows: 64, cols: 64)
        #expect(sq.codes.map(Float.init) == (try Fixtures.floats("x64x64_int8vw_q")))
        #expect(sq.rowStats == (try Fixtures.floats("x64x64_int8vw_rowstats")))
        // The engine's int8 datatype with --block row is the same quantizer.
        let q = try Quantizer.quantize(w.values, rows: 8, cols: 1536, config: QuantConfig(dtype: .int8, block: .row))
        #expect(q.codes.map { Float(Int($0) - 127) } == (try Fixtures.floats("w_int8vw_q")))
        #expect(q.dequantized == plain.dequantize(cols: 1536))
    }
}

private func nibble(_ packed: [UInt8], _ i: Int) -> UInt8 {
    i % 2 == 0 ? packed[i / 2] >> 4 : packed[i / 2] & 15
}

/// The true float32 midpoint that bitsandbytes' CPU backend uses next to a CUDA literal.
private func midpointFor(_ literal: Float) -> Float {
    let sorted = CodeTables.fp4[0..<8].sorted()
    let mids = zip(sorted, sorted.dropFirst()).map { ($0 + $1) * 0.5 }
    return mids.min { abs($0 - literal) < abs($1 - literal) }!
}
