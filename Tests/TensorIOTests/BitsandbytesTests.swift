import Foundation
import Testing
import TensorCore
@testable import TensorIO

/// bitsandbytes checkpoints (`Tests/Fixtures/bnb/`, written by transformers and bitsandbytes): each
/// quantized weight is one tensor whose values are bitsandbytes' own dequantization, bit for bit.
@Suite("bitsandbytes checkpoints")
struct BitsandbytesTests {
    static let dir = IOFixtures.dir.deletingLastPathComponent().appendingPathComponent("bnb")
    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    static let models = ["nf4-dq-bf16", "fp4-dq-bf16", "nf4-f32", "fp4-f16", "int8-f16"]

    /// Compares with bitsandbytes' output bit for bit; `signedZeros` counts values that differ only in
    /// the sign of zero (bitsandbytes' CPU kernels disagree about FP4's zero code).
    static func compare(_ got: [Float], _ want: [Float]) -> (mismatches: Int, signedZeros: Int) {
        var mismatches = 0, zeros = 0
        for (a, b) in zip(got, want) where a.bitPattern != b.bitPattern {
            if a == 0 && b == 0 { zeros += 1 } else { mismatches += 1 }
        }
        return (mismatches + abs(got.count - want.count), zeros)
    }

    @Test(arguments: models)
    func weightsDequantizeAsBitsandbytesDoes(model: String) throws {
        let f = try TensorFile.open(Self.path(model + ".safetensors"))
        let expected = try TensorFile.open(Self.path(model + "-expected.safetensors"))
        #expect(expected.tensors.count == 2)
        for e in expected.tensors {
            let info = try #require(f.info(named: e.name))
            #expect(info.shape == e.shape, "\(e.name)")
            let got = try f.load(e.name).values
            let (mismatches, zeros) = Self.compare(got, try expected.load(e.name).values)
            #expect(mismatches == 0 && zeros == 0, "\(model) \(e.name): \(mismatches) values differ, \(zeros) in the sign of zero")
        }
    }

    @Test func edgeCasesDequantizeAsBitsandbytesDoes() throws {
        let f = try TensorFile.open(Self.path("edge.safetensors"))
        let expected = try TensorFile.open(Self.path("edge-expected.safetensors"))
        #expect(Set(f.tensors.map(\.name)) == Set(expected.tensors.map(\.name)))
        for e in expected.tensors {
            let (mismatches, zeros) = Self.compare(try f.load(e.name).values, try expected.load(e.name).values)
            #expect(mismatches == 0, "\(e.name): \(mismatches) values differ")
            // The scalar CPU kernel (rows not a multiple of 16) writes FP4's nibble 8 as -0.0; qscope
            // uses the stored quant_map (+0.0), as the AVX-512 kernel and the PyTorch fallback do.
            #expect(zeros == (e.name == "fp4dq.weight" ? 16 : 0), "\(e.name): \(zeros) zeros differ in sign")
        }
    }

    @Test func theListShowsLogicalTensors() throws {
        let f = try TensorFile.open(Self.path("nf4-dq-bf16.safetensors"))
        #expect(f.tensors.count == 12)
        #expect(!f.tensors.contains { $0.name.contains(".absmax") || $0.name.contains("quant_state") || $0.name.contains("quant_map") })
        let down = try #require(f.info(named: "model.layers.0.mlp.down_proj.weight"))
        #expect(down.dtype == "NF4" && down.shape == [64, 320] && down.count == 20480 && down.isFloatConvertible && !down.isInteger)
        let q = try #require(down.storedQuantization)
        #expect(q.dtype == "nf4" && q.scaling == .block(64) && q.doubleQuant && q.nestedBlock == 256)
        #expect(q.dequantizedDType == "bfloat16" && q.layout == "bitsandbytes")
        let name = "model.layers.0.mlp.down_proj.weight"
        #expect(q.parts == [name, "\(name).quant_state.bitsandbytes__nf4", "\(name).quant_map", "\(name).absmax",
                            "\(name).nested_absmax", "\(name).nested_quant_map"])
        // Bytes: the packed codes, one code byte per block, the nested absmax, both maps and the JSON.
        let json = try #require(f.info(named: "\(name).quant_state.bitsandbytes__nf4"))
        #expect(down.byteCount == 10240 + 320 + 2 * 4 + 16 * 4 + 256 * 4 + json.byteCount)
        // A side tensor still opens by its own name.
        #expect(try f.load("\(name).absmax").count == 320)
        #expect(f.info(named: "model.norm.weight")?.storedQuantization == nil)

        let fp4 = try TensorFile.open(Self.path("fp4-f16.safetensors"))
        let plain = try #require(fp4.info(named: "model.layers.0.self_attn.q_proj.weight")?.storedQuantization)
        #expect(plain.dtype == "fp4" && !plain.doubleQuant && plain.nestedBlock == nil && plain.dequantizedDType == "float16")

        let int8 = try TensorFile.open(Self.path("int8-f16.safetensors"))
        let w = try #require(int8.info(named: "model.layers.0.mlp.down_proj.weight"))
        #expect(w.dtype == "INT8" && w.shape == [64, 320] && !w.isInteger)
        #expect(w.storedQuantization?.scaling == .row && w.storedQuantization?.dtype == "int8")
        #expect(w.storedQuantization?.parts == ["model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.down_proj.SCB",
                                                 "model.layers.0.mlp.down_proj.weight_format"])
        #expect(!int8.tensors.contains { $0.name.hasSuffix(".SCB") || $0.name.hasSuffix("weight_format") })
    }

    @Test(arguments: ["sharded/model.safetensors.index.json", "sharded/model-00002-of-00003.safetensors",
                      "split/model.safetensors.index.json", "split/model-00001-of-00002.safetensors"])
    func shardedCheckpointsGroupAcrossShards(entry: String) throws {
        let f = try TensorFile.open(Self.path(entry))
        #expect(f.format == .sharded)
        #expect(f.tensors.count == 12)
        let expected = try TensorFile.open(Self.path("nf4-dq-bf16-expected.safetensors"))
        for e in expected.tensors {
            #expect(f.info(named: e.name)?.dtype == "NF4")
            let (mismatches, zeros) = Self.compare(try f.load(e.name).values, try expected.load(e.name).values)
            #expect(mismatches == 0 && zeros == 0, "\(entry) \(e.name)")
        }
    }

    @Test(arguments: ["edge.safetensors", "int8-f16.safetensors"])
    func anyRangeReadsTheSameValues(file: String) throws {
        let f = try TensorFile.open(Self.path(file))
        for info in f.tensors where info.storedQuantization != nil {
            let r = try f.reader(info.name)
            let all = r.readAll()
            var rng = SystemRandomNumberGenerator()
            for _ in 0..<20 {
                let a = Int.random(in: 0..<info.count, using: &rng)
                let b = Int.random(in: a...info.count, using: &rng)
                var part = [Float](repeating: .nan, count: b - a)
                part.withUnsafeMutableBufferPointer { r.read(a..<b, into: $0) }
                #expect(part.map(\.bitPattern) == all[a..<b].map(\.bitPattern), "\(info.name) \(a)..<\(b)")
            }
        }
    }

    // MARK: malformed layouts

    /// The parts of `edge.safetensors`'s `small.weight` (NF4, double quantization, 3×70, blocks of 32),
    /// edited and written to a temporary file; the first error opening it.
    static func malformed(_ edit: (inout [String: SafetensorsEntry]) -> Void) throws -> TensorFileError? {
        let f = try TensorFile.open(path("edge.safetensors"))
        let q = try #require(f.info(named: "small.weight")?.storedQuantization)
        var entries: [String: SafetensorsEntry] = [:]
        for p in q.parts {
            let raw = try #require(f.rawPart(p))
            entries[p] = SafetensorsEntry(name: p, dtype: raw.info.dtype, shape: raw.info.shape, bytes: try f.rawBytes(p))
        }
        edit(&entries)
        return write(entries)
    }

    static func write(_ entries: [String: SafetensorsEntry]) -> TensorFileError? {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-bnb-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            try SafetensorsWriter.write(entries.values.sorted { $0.name < $1.name }, metadata: nil, to: url.path, force: false)
            _ = try TensorFile.open(url.path)
            return nil
        } catch let e as TensorFileError {
            return e
        } catch {
            return TensorFileError(file: url.path, reason: "unexpected \(error)")
        }
    }

    static func state(_ json: String) -> SafetensorsEntry {
        SafetensorsEntry(name: "small.weight.quant_state.bitsandbytes__nf4", shape: [json.utf8.count], uint8: Array(json.utf8))
    }

    static let goodState = #"{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [3, 70], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.25}"#

    @Test func theUneditedPartsOpen() throws {
        #expect(try Self.malformed { _ in } == nil)
        #expect(try Self.malformed { $0["small.weight.quant_state.bitsandbytes__nf4"] = Self.state(Self.goodState) } == nil)
    }

    @Test(arguments: [
        ("missing absmax", "absmax", "small.weight.absmax"),
        ("missing quant_map", "quant_map", "small.weight.quant_map"),
        ("missing nested absmax", "nested_absmax", "small.weight.nested_absmax"),
        ("missing weight", "", "has no packed weight"),
    ])
    func aMissingPartIsNamed(label: String, part: String, message: String) throws {
        let e = try Self.malformed { $0["small.weight" + (part.isEmpty ? "" : "." + part)] = nil }
        #expect(e?.description.contains(message) == true, "\(label): \(e?.description ?? "no error")")
    }

    @Test(arguments: [
        ("blocksize 0", #"{"quant_type": "nf4", "blocksize": 0, "dtype": "bfloat16", "shape": [3, 70], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.25}"#, "blocksize"),
        ("blocksize 1.5", #"{"quant_type": "nf4", "blocksize": 1.5, "dtype": "bfloat16", "shape": [3, 70]}"#, "blocksize"),
        ("not JSON", #"{"quant_type": "nf4", "#, "not a JSON object"),
        ("a JSON array", #"[1, 2]"#, "not a JSON object"),
        ("shape and size", #"{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [3, 72], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.25}"#, "needs 108 bytes"),
        ("negative dim", #"{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [-3, 70]}"#, "non-negative integers"),
        ("huge shape", #"{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [4294967296, 4294967296, 4294967296]}"#, "overflows"),
        ("block count", #"{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [3, 70], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.25}"#, "needs 4"),
        ("quant type", #"{"quant_type": "fp4", "blocksize": 32, "dtype": "bfloat16", "shape": [3, 70], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.25}"#, "not nf4"),
        ("dtype", #"{"quant_type": "nf4", "blocksize": 32, "dtype": "int8", "shape": [3, 70], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.25}"#, "float16, bfloat16 or float32"),
        ("half the nested keys", #"{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [3, 70], "nested_blocksize": 256}"#, "not all of"),
        ("no nested keys", #"{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [3, 70]}"#, "nested_absmax is present"),
        ("offset", #"{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [3, 70], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": "x"}"#, "nested_offset"),
        ("nested dtype", #"{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [3, 70], "nested_blocksize": 256, "nested_dtype": "float16", "nested_offset": 0.25}"#, "nested_dtype"),
        ("nested block", #"{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [3, 70], "nested_blocksize": 0, "nested_dtype": "float32", "nested_offset": 0.25}"#, "nested_blocksize"),
    ])
    func aBadQuantStateIsRefused(label: String, json: String, message: String) throws {
        let e = try Self.malformed { $0["small.weight.quant_state.bitsandbytes__nf4"] = Self.state(json) }
        #expect(e?.tensor == "small.weight", "\(label)")
        #expect(e?.description.contains(message) == true, "\(label): \(e?.description ?? "no error")")
    }

    @Test func wrongSizesAndTypesAreRefused() throws {
        func check(_ message: String, _ edit: (inout [String: SafetensorsEntry]) -> Void) throws {
            let e = try Self.malformed(edit)
            #expect(e?.description.contains(message) == true, "\(message): \(e?.description ?? "no error")")
        }
        try check("holds 6 values") { $0["small.weight.absmax"] = SafetensorsEntry(name: "small.weight.absmax", shape: [6], uint8: [1, 2, 3, 4, 5, 6]) }
        try check("must be U8") { $0["small.weight.absmax"] = SafetensorsEntry(name: "small.weight.absmax", shape: [7], floats: [Float](repeating: 1, count: 7)) }
        try check("holds 15 values") { $0["small.weight.quant_map"] = SafetensorsEntry(name: "small.weight.quant_map", shape: [15], floats: [Float](repeating: 1, count: 15)) }
        try check("holds 2 values") { $0["small.weight.nested_absmax"] = SafetensorsEntry(name: "small.weight.nested_absmax", shape: [2], floats: [1, 2]) }
        try check("holds 255 values") { $0["small.weight.nested_quant_map"] = SafetensorsEntry(name: "small.weight.nested_quant_map", shape: [255], floats: [Float](repeating: 1, count: 255)) }
        try check("needs 105 bytes") { $0["small.weight"] = SafetensorsEntry(name: "small.weight", shape: [104, 1], uint8: [UInt8](repeating: 0, count: 104)) }
        try check("1-D U8 tensor of JSON") {
            $0["small.weight.quant_state.bitsandbytes__nf4"] = SafetensorsEntry(name: "small.weight.quant_state.bitsandbytes__nf4", shape: [1], floats: [1])
        }
        try check("unknown bitsandbytes quant type 'nf3'") {
            let s = $0.removeValue(forKey: "small.weight.quant_state.bitsandbytes__nf4")!
            $0["small.weight.quant_state.bitsandbytes__nf3"] = SafetensorsEntry(name: "small.weight.quant_state.bitsandbytes__nf3", dtype: "U8", shape: s.shape, bytes: s.bytes)
        }
    }

    @Test func malformedInt8LayoutsAreRefused() throws {
        func int8(_ scb: SafetensorsEntry?, weight: SafetensorsEntry? = SafetensorsEntry(name: "l.weight", shape: [2, 3], int8: [1, -2, 3, 127, -127, 0]),
                  format: [UInt8]? = nil) -> TensorFileError? {
            var e: [String: SafetensorsEntry] = [:]
            if let weight { e[weight.name] = weight }
            if let scb { e[scb.name] = scb }
            if let format { e["l.weight_format"] = SafetensorsEntry(name: "l.weight_format", dtype: "U8", shape: [], bytes: format) }
            return Self.write(e)
        }
        #expect(int8(SafetensorsEntry(name: "l.SCB", shape: [2], floats: [1, 2])) == nil)
        #expect(int8(SafetensorsEntry(name: "l.SCB", shape: [2], floats: [1, 2]), format: [0]) == nil)
        #expect(int8(SafetensorsEntry(name: "l.SCB", shape: [3], floats: [1, 2, 3]))?.description.contains("one float absmax per row (2)") == true)
        #expect(int8(SafetensorsEntry(name: "l.SCB", shape: [2], floats: [1, 2]), format: [1])?.description.contains("col32") == true)
        #expect(int8(SafetensorsEntry(name: "l.SCB", shape: [2], floats: [1, 2]), weight: nil)?.description.contains("without its weight") == true)
        #expect(int8(SafetensorsEntry(name: "l.SCB", shape: [2], floats: [1, 2]),
                     weight: SafetensorsEntry(name: "l.weight", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))?.description.contains("2-D I8") == true)
        #expect(int8(SafetensorsEntry(name: "l.SCB", shape: [2], uint8: [1, 2]))?.description.contains("one float absmax") == true)
    }

    @Test func qscopesOwnInt8LayoutReadsLikeBitsandbytes() throws {
        let q: [Int8] = [1, -2, 3, 127, -127, 0]
        let scb: [Float] = [0.5, 3.25]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-int8-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafetensorsWriter.write([SafetensorsEntry(name: "w", shape: [2, 3], int8: q), SafetensorsEntry(name: "w.SCB", shape: [2], floats: scb)],
                                    metadata: nil, to: url.path, force: false)
        let f = try TensorFile.open(url.path)
        #expect(f.tensors.map(\.name) == ["w"])
        let values = try f.load("w").values
        let r = Float(bitPattern: 0x3C01_0204)
        #expect(values.map(\.bitPattern) == q.enumerated().map { i, c in (Float(c) * scb[i / 3] * r).bitPattern })
    }
}

extension BitsandbytesTests {
    /// Random layouts, consistent or off by a little: each either opens and reads the values the format
    /// defines, or is refused with a TensorFileError; none crashes.
    @Test func randomLayoutsOpenCorrectlyOrAreRefused() throws {
        let rng = LayoutRandom(seed: 11)
        var opened = 0
        for _ in 0..<300 where try Self.randomLayout(rng) { opened += 1 }
        #expect(opened > 30 && opened < 270, "opened \(opened) of 300")
    }

    /// One random layout: true when it opened (and then read the expected values).
    static func randomLayout(_ rng: LayoutRandom) throws -> Bool {
        let dims = (0..<Int(rng.next() % 3 + 1)).map { _ in Int(rng.next() % 9) }
        let n = dims.reduce(1, *)
        let blocksize = [1, 2, 3, 7, 8, 32, 64, 0, -4][Int(rng.next() % 9)]
        let nestedBlock = [1, 2, 3, 256][Int(rng.next() % 4)]
        let nested = rng.next() % 2 == 0
        let blocks = blocksize > 0 ? (n + blocksize - 1) / blocksize : 1
        let packed = (0..<rng.jiggle((n + 1) / 2)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let map = (0..<rng.jiggle(16)).map { _ in Float(Int(rng.next() % 200) - 100) / 64 }
        var entries = [SafetensorsEntry(name: "w", shape: [packed.count, 1], uint8: packed),
                       SafetensorsEntry(name: "w.quant_map", shape: [map.count], floats: map)]
        var json = #"{"quant_type": "nf4", "blocksize": \#(blocksize), "dtype": "float32", "shape": [\#(dims.map(String.init).joined(separator: ", "))]"#
        var absmax: [Float] = []
        if nested {
            let codes = (0..<rng.jiggle(blocks)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let nb = (codes.count + nestedBlock - 1) / nestedBlock
            let scales = (0..<rng.jiggle(nb)).map { _ in Float(rng.next() % 100) / 16 }
            let levels = (0..<rng.jiggle(256)).map { _ in Float(Int(rng.next() % 512) - 256) / 256 }
            entries += [SafetensorsEntry(name: "w.absmax", shape: [codes.count], uint8: codes),
                        SafetensorsEntry(name: "w.nested_absmax", shape: [scales.count], floats: scales),
                        SafetensorsEntry(name: "w.nested_quant_map", shape: [levels.count], floats: levels)]
            json += #", "nested_blocksize": \#(nestedBlock), "nested_dtype": "float32", "nested_offset": 0.125"#
            if codes.count == blocks && scales.count == nb && levels.count == 256 {
                absmax = codes.enumerated().map { i, c in levels[Int(c)] * scales[i / nestedBlock] + 0.125 }
            }
        } else {
            absmax = (0..<rng.jiggle(blocks)).map { _ in Float(rng.next() % 100) / 16 }
            entries.append(SafetensorsEntry(name: "w.absmax", shape: [absmax.count], floats: absmax))
        }
        json += "}"
        entries.append(SafetensorsEntry(name: "w.quant_state.bitsandbytes__nf4", shape: [json.utf8.count], uint8: Array(json.utf8)))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-bnb-random-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafetensorsWriter.write(entries, metadata: nil, to: url.path, force: false)
        let values: [Float]
        do {
            values = try TensorFile.open(url.path).load("w").values
        } catch {
            // Typed throws: a refusal is a TensorFileError, the malformed-input error.
            return false
        }
        let consistent = blocksize > 0 && packed.count == (n + 1) / 2 && map.count == 16 && absmax.count == blocks
        #expect(consistent, "opened an inconsistent layout: \(json)")
        if consistent {
            let want = (0..<n).map { e in map[Int(e % 2 == 0 ? packed[e / 2] >> 4 : packed[e / 2] & 0x0F)] * absmax[e / blocksize] }
            #expect(values.map(\.bitPattern) == want.map(\.bitPattern), "\(json)")
        }
        return true
    }
}

/// A small deterministic generator for the random layouts (a class, so that closures share it).
final class LayoutRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `x`, or one of its neighbours one time in eight.
    func jiggle(_ x: Int) -> Int {
        next() % 8 == 0 ? max(0, x + (next() % 2 == 0 ? -1 : 1)) : x
    }
}
