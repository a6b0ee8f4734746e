import TensorCore
import TensorIO
import Testing
@testable import QuantCore

@Suite("datatypes")
struct DatatypeTests {
    @Test func elementFormatValueSets() {
        func distinctFinite(_ f: ElementFormat) -> Int {
            Set(f.codeValues.filter(\.isFinite).map { $0 == 0 ? 0 : $0 }).count
        }
        #expect(distinctFinite(.e4m3) == 253)
        #expect(distinctFinite(.e5m2) == 247)
        #expect(distinctFinite(.e2m3) == 63)
        #expect(distinctFinite(.e3m2) == 63)
        #expect(distinctFinite(.e2m1) == 15)
        #expect(ElementFormat.e4m3.maxValue == 448)
        #expect(ElementFormat.e5m2.maxValue == 57344)
        #expect(ElementFormat.e2m3.maxValue == 7.5)
        #expect(ElementFormat.e3m2.maxValue == 28)
        #expect(ElementFormat.e2m1.magnitudes == [0, 0.5, 1, 1.5, 2, 3, 4, 6])
        #expect(ElementFormat.e4m3.magnitudes[1] == 0.001953125)
        #expect(ElementFormat.e4m3.value(ofCode: 0x7F).isNaN)
        #expect(ElementFormat.e5m2.value(ofCode: 0x7C).isNaN) // infinity is not a level
        #expect(ElementFormat.e3m2.magnitudes.prefix(4) == [0, 0.0625, 0.125, 0.1875])
    }

    /// Round to nearest even, with saturation, as ml_dtypes casts do inside the range.
    @Test func elementRoundingTiesToEven() throws {
        let cases: [(Float, Float)] = [(0.25, 0), (0.75, 1), (1.25, 1), (1.75, 2), (2.5, 2), (3.5, 4), (5, 4), (-5, -4), (-2.5, -2)]
        // Block absmax 6 makes the scale exactly 1 for fp4-e2m1.
        for (input, expected) in cases {
            let q = try Quantizer.quantize([input, 6], rows: 1, cols: 2,
                                           config: QuantConfig(dtype: .fp4E2M1, block: .tensor))
            #expect(q.dequantized[0] == expected, "\(input)")
        }
    }

    @Test func e4m3SaturatesAndRounds() throws {
        // absmax 448 gives scale 1: 300 → 288, 449 would exceed and saturate.
        let q = try Quantizer.quantize([300, 448, -0.0, 0.0009765625, 0.0029296875], rows: 1, cols: 5,
                                       config: QuantConfig(dtype: .fp8E4M3, block: .tensor))
        #expect(q.dequantized[0] == 288)
        #expect(q.dequantized[1] == 448)
        #expect(q.codes[2] == 0x80) // −0 keeps its sign bit
        #expect(q.dequantized[3] == 0) // exactly half the smallest subnormal: tie to even (zero)
        #expect(q.dequantized[4] == 0.00390625) // 1.5 × 2^-9: tie between 1 and 2 subnormal steps → 2 (even)
    }

    @Test func symmetricIntegers() throws {
        let x: [Float] = [-1, -0.5, 0, 0.25, 0.5, 1, 1.0 / 14, 3.0 / 14]
        let q4 = try Quantizer.quantize(x, rows: 1, cols: x.count, config: QuantConfig(dtype: .int4, block: .tensor))
        // q = round_half_even(x · 7): -7, -3.5→-4, 0, 1.75→2, 3.5→4, 7, 0.5→0, 1.5→2
        #expect(q4.codes.map { Int($0) - 7 } == [-7, -4, 0, 2, 4, 7, 0, 2])
        let q2 = try Quantizer.quantize(x, rows: 1, cols: x.count, config: QuantConfig(dtype: .int2, block: .tensor))
        #expect(Set(q2.codes).isSubset(of: [0, 1, 2]))
        #expect(q4.bitsPerParam == 4 + 32.0 / Double(x.count))
    }

    @Test func asymmetricIntegersIncludeZero() throws {
        let x: [Float] = [0.5, 1.0, 1.5, 2.0]
        let q = try Quantizer.quantize(x, rows: 1, cols: 4, config: QuantConfig(dtype: .uint4Asym, block: .tensor))
        // Range forced to [0, 2]: s = fp16(2/15), zero = 0.
        #expect(q.zeroPoints == [0])
        #expect(q.normScale[0] == HalfPrecision.roundToHalf(2.0 / 15))
        for (a, b) in zip(x, q.dequantized) { #expect(abs(a - b) <= q.normScale[0] / 2 + 1e-6) }
        #expect(q.bitsPerParam == 4 + 20.0 / 4)
    }

    @Test func fixedBlocksAreEnforced() {
        #expect(throws: QuantError.fixedBlock(dtype: .mxfp4, required: 32, given: .elements(64))) {
            try QuantConfig(dtype: .mxfp4, block: .elements(64)).validate()
        }
        #expect(throws: QuantError.doubleQuantUnsupported(dtype: .nvfp4)) {
            try QuantConfig(dtype: .nvfp4, block: .elements(16), doubleQuant: true).validate()
        }
        #expect(QuantConfig(dtype: .nvfp4).adaptingBlockToDatatype().block == .elements(16))
    }

    @Test func microscalingClipsTheBlockMaximum() throws {
        // absmax 7.9: e = floor(log2 7.9) − 2 = 0, so 7.9 / 1 saturates at 6 (MXFP4's known clipping).
        var x = [Float](repeating: 0.1, count: 32)
        x[5] = 7.9
        let q = try Quantizer.quantize(x, rows: 1, cols: 32, config: QuantConfig(dtype: .mxfp4, block: .elements(32)))
        #expect(q.sharedExponents == [127])
        #expect(q.dequantized[5] == 6)
        #expect(q.bitsPerParam == 4.25)
        let m8 = try Quantizer.quantize(x, rows: 1, cols: 32, config: QuantConfig(dtype: .mxint8, block: .elements(32)))
        // mxint8: e = floor(log2 7.9) = 2, k = round(7.9 / 4 · 64) = 126.
        #expect(m8.sharedExponents == [129])
        #expect(m8.dequantized[5] == 126.0 / 64 * 4)
    }

    @Test func nvfp4TwoLevelScale() throws {
        var r = TestRandom(seed: 3)
        var x = r.normals(256)
        x[17] = 7.9
        let q = try Quantizer.quantize(x, rows: 16, cols: 16, config: QuantConfig(dtype: .nvfp4, block: .elements(16)))
        let s2 = try #require(q.tensorScale)
        #expect(s2 == 7.9 / (6 * 448))
        // The block holding the maximum has E4M3 scale 448, so 7.9 decodes to 6 · 448 · s2 = 7.9 (± rounding).
        #expect(abs(q.dequantized[17] - 7.9) < 1e-5)
        #expect(q.bitsPerParam == 4.5 + 32.0 / 256)
    }

    @Test func everyDatatypeRunsOnEveryBlockKind() throws {
        var r = TestRandom(seed: 11)
        let x = Tensor(name: "t", shape: [3, 5, 40], sourceDType: "F32", values: r.normals(600))
        for dt in DataType.allCases where dt.family != .ggml { // GGUF formats need rows of whole blocks (GGMLTests)
            for block in [BlockSize.elements(16), .elements(64), .row, .column, .tensor] {
                var config = QuantConfig(dtype: dt, block: block)
                if dt.fixedBlock != nil { config = config.adaptingBlockToDatatype() }
                let a = try Analyzer.analyze(x, config: config)
                // Ternary int2 and the unsigned dynamic map (negatives clamp to 0) are poor on signed
                // normal data, but still better than nothing.
                #expect(a.metrics.sqnrDB > 0.5, "\(dt) \(block): \(a.metrics.sqnrDB)")
                #expect(a.metrics.excluded == 0)
                if dt.hasCodes {
                    #expect(a.codeUsage.reduce(0, +) == 600)
                    #expect(try Quantizer.quantize(x, config: config).codes.allSatisfy { Int($0) < a.codebook.codeCount })
                }
            }
        }
    }

    @Test func quantileCodesAreUsedEvenly() throws {
        var r = TestRandom(seed: 5)
        let x = Tensor(name: "t", shape: [64, 256], sourceDType: "F32", values: r.normals(64 * 256))
        let a = try Analyzer.analyze(x, config: QuantConfig(dtype: .quantile4, block: .elements(64)))
        let expected = Double(x.count) / 16
        for c in a.codeUsage { #expect(abs(Double(c) - expected) < 0.25 * expected) }
        #expect(a.metrics.codeEntropyBits > 3.9)
    }

    @Test func namesRoundTrip() {
        for dt in DataType.allCases { #expect(DataType(name: dt.name) == dt) }
        #expect(DataType(name: "FP8_E4M3") == .fp8E4M3)
        #expect(BlockSize(argument: "64") == .elements(64))
        #expect(BlockSize(argument: "48") == nil)
        #expect(BlockSize(argument: "8") == nil)
        #expect(BlockSize(argument: "row") == .row)
    }
}
