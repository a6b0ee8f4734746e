import Foundation
import Testing
import TensorIO

/// `qscope dequantize` and bitsandbytes checkpoints through the real binary: outputs read back and
/// compared with bitsandbytes' own dequantization, overwrite rules, exit codes.
@Suite("dequantize and bitsandbytes checkpoints", .serialized)
struct DequantizeCommandTests {
    static let bnb = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/bnb")
    let model = bnb.appendingPathComponent("nf4-dq-bf16.safetensors").path
    let expected = bnb.appendingPathComponent("nf4-dq-bf16-expected.safetensors").path
    let down = "model.layers.0.mlp.down_proj.weight"

    /// A fresh folder for outputs, removed afterwards.
    func withFolder(_ body: (URL) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-dequantize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir)
    }

    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    @Test func oneTensorToNpyIsBitsandbytesOutput() throws {
        try withFolder { dir in
            let out = dir.appendingPathComponent("down.npy")
            let r = try CLI.run(["dequantize", model, "--tensor", down, "-o", out.path])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.isEmpty && r.stderr.contains("1 tensor, 20480 float32 values"))
            let f = try TensorFile.open(out.path)
            #expect(f.format == .npy && f.tensors[0].dtype == "<f4" && f.tensors[0].shape == [64, 320])
            let e = try TensorFile.open(expected)
            #expect(bits(try f.load(f.tensors[0].name).values) == bits(try e.load(down).values))
            // NumPy's own header for this shape (np.save): version 1.0, padded to 128 bytes.
            let head = try Data(contentsOf: out).prefix(128)
            let text = "{'descr': '<f4', 'fortran_order': False, 'shape': (64, 320), }"
            #expect(Array(head.prefix(10)) == [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0])
            #expect(String(decoding: head.dropFirst(10), as: UTF8.self) == text + String(repeating: " ", count: 117 - text.count) + "\n")
        }
    }

    @Test func everyTensorToSafetensors() throws {
        try withFolder { dir in
            let out = dir.appendingPathComponent("all.safetensors")
            let r = try CLI.run(["dequantize", model, "-o", out.path])
            #expect(r.status == 0, "\(r.stderr)")
            let f = try TensorFile.open(out.path)
            let source = try TensorFile.open(model)
            #expect(f.tensors.map(\.name) == source.tensors.map(\.name))
            #expect(f.tensors.allSatisfy { $0.dtype == "F32" })
            #expect(f.metadata["qscope.source"] == model && f.metadata["format"] == "pt")
            let e = try TensorFile.open(expected)
            for t in e.tensors { #expect(bits(try f.load(t.name).values) == bits(try e.load(t.name).values), "\(t.name)") }
            for t in source.tensors {
                #expect(f.info(named: t.name)?.shape == t.shape)
                #expect(bits(try f.load(t.name).values) == bits(try source.load(t.name).values), "\(t.name)")
            }
        }
    }

    @Test func int8AndGGUFTensorsToo() throws {
        try withFolder { dir in
            let int8 = Self.bnb.appendingPathComponent("int8-f16.safetensors").path
            let out = dir.appendingPathComponent("q.npy")
            #expect(try CLI.run(["dequantize", int8, "--tensor", "model.layers.0.self_attn.q_proj.weight", "-o", out.path]).status == 0)
            let e = try TensorFile.open(Self.bnb.appendingPathComponent("int8-f16-expected.safetensors").path)
            let f = try TensorFile.open(out.path)
            #expect(bits(try f.load(f.tensors[0].name).values) == bits(try e.load("model.layers.0.self_attn.q_proj.weight").values))

            let gguf = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/gguf/blocks.gguf").path
            let g = try TensorFile.open(gguf)
            let q4k = try #require(g.tensors.first { $0.dtype == "Q4_K" })
            let kout = dir.appendingPathComponent("k.npy")
            #expect(try CLI.run(["dequantize", gguf, "--tensor", q4k.name, "-o", kout.path]).status == 0)
            let k = try TensorFile.open(kout.path)
            #expect(bits(try k.load(k.tensors[0].name).values) == bits(try g.load(q4k.name).values))
        }
    }

    @Test func anExistingOutputIsReplacedOnlyWithForce() throws {
        try withFolder { dir in
            let out = dir.appendingPathComponent("x.npy")
            try Data("keep me".utf8).write(to: out)
            let r = try CLI.run(["dequantize", model, "--tensor", down, "-o", out.path])
            #expect(r.status == 1)
            #expect(r.stderr.hasPrefix("qscope: error:") && r.stderr.contains("--force"))
            #expect(try Data(contentsOf: out) == Data("keep me".utf8))
            let forced = try CLI.run(["dequantize", model, "--tensor", down, "-o", out.path, "--force"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(try TensorFile.open(out.path).tensors[0].count == 20480)
            // No temporary file is left beside it.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["x.npy"])
        }
    }

    @Test func usageErrors() throws {
        try withFolder { dir in
            let cases: [([String], String)] = [
                (["dequantize", model, "-o", dir.appendingPathComponent("all.npy").path], "a .npy file holds one"),
                (["dequantize", model, "-o", dir.appendingPathComponent("all.bin").path], "must end in .npy or .safetensors"),
                (["dequantize", model, "-o", model], "would replace the input"),
                (["dequantize", model, "--tensor", "nope", "-o", dir.appendingPathComponent("n.npy").path], "no tensor named 'nope'"),
                (["dequantize", model], "Missing expected argument"),
            ]
            for (args, message) in cases {
                let r = try CLI.run(args)
                #expect(r.status == 2, "\(args): \(r.status) \(r.stderr)")
                #expect(r.stderr.hasPrefix("qscope: error:") && r.stderr.contains(message), "\(args): \(r.stderr)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
            let missing = try CLI.run(["dequantize", dir.appendingPathComponent("absent.safetensors").path, "-o", dir.appendingPathComponent("o.npy").path])
            #expect(missing.status == 1)
        }
    }

    @Test func listShowsTheStoredQuantization() throws {
        let text = try CLI.run(["list", model])
        #expect(text.status == 0)
        #expect(text.stdout.contains("12 tensors, 82112 values"))
        let line = try #require(text.stdout.split(separator: "\n").first { $0.contains(down) })
        #expect(line.contains("NF4") && line.contains("64×320") && line.contains("(bitsandbytes nf4, block 64, double quant (256), bfloat16)"))
        #expect(!text.stdout.contains("absmax") && !text.stdout.contains("quant_state"))

        let j = try CLI.json(["list", model, "--format", "json"])
        let tensors = try #require(j["tensors"] as? [[String: Any]])
        let t = try #require(tensors.first { $0["name"] as? String == down })
        #expect(t["dtype"] as? String == "NF4" && t["shape"] as? [Int] == [64, 320] && t["count"] as? Int == 20480)
        let q = try #require(t["quantization"] as? [String: Any])
        #expect(q["layout"] as? String == "bitsandbytes" && q["dtype"] as? String == "nf4" && q["block"] as? Int == 64)
        #expect(q["double_quant"] as? Bool == true && q["nested_block"] as? Int == 256 && q["dequantized_dtype"] as? String == "bfloat16")
        #expect((q["parts"] as? [String])?.count == 6)
        #expect(tensors.first { $0["name"] as? String == "model.norm.weight" }?["quantization"] == nil)

        let int8 = try CLI.json(["list", Self.bnb.appendingPathComponent("int8-f16.safetensors").path, "--format", "json"])
        let w = try #require((int8["tensors"] as? [[String: Any]])?.first { $0["name"] as? String == down })
        #expect(w["dtype"] as? String == "INT8" && (w["quantization"] as? [String: Any])?["block"] as? String == "row")
    }

    @Test func aMalformedLayoutExits65() throws {
        try withFolder { dir in
            let bad = dir.appendingPathComponent("bad.safetensors")
            let state = Array(#"{"quant_type": "nf4", "blocksize": 0, "dtype": "float32", "shape": [2, 4]}"#.utf8)
            try SafetensorsWriter.write([
                SafetensorsEntry(name: "w", shape: [4, 1], uint8: [0x12, 0x34, 0x56, 0x78]),
                SafetensorsEntry(name: "w.absmax", shape: [1], floats: [1]),
                SafetensorsEntry(name: "w.quant_map", shape: [16], floats: [Float](repeating: 0, count: 16)),
                SafetensorsEntry(name: "w.quant_state.bitsandbytes__nf4", shape: [state.count], uint8: state),
            ], metadata: nil, to: bad.path, force: false)
            for args in [["list", bad.path], ["report", bad.path, "--tensor", "w"], ["dequantize", bad.path, "-o", dir.appendingPathComponent("o.npy").path]] {
                let r = try CLI.run(args)
                #expect(r.status == 65, "\(args): \(r.stderr)")
                let lines = r.stderr.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].hasPrefix("qscope: error:") && lines[0].contains("tensor 'w'") && lines[0].contains("blocksize"),
                        "\(args): \(r.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.npy").path))
        }
    }
}

extension DequantizeCommandTests {
    /// `qscope quantize` writes bitsandbytes' layout; reading it back gives the values the quantizer
    /// computed (`NAME.dequantized`), bit for bit, for NF4 and FP4, with and without double quantization.
    @Test(arguments: [("nf4", true), ("nf4", false), ("fp4", true), ("fp4", false)])
    func quantizeOutputReadsBackAsItsDequantizedValues(dtype: String, doubleQuant: Bool) throws {
        try withFolder { dir in
            let source = CLI.fixtures.appendingPathComponent("model.safetensors").path
            let out = dir.appendingPathComponent("q.safetensors")
            let r = try CLI.run(["quantize", source, "--tensor", "layer.weight", "--dtype", dtype, "--block", "64", "--with-dequantized", "-o", out.path]
                                + (doubleQuant ? ["--double-quant"] : []))
            #expect(r.status == 0, "\(r.stderr)")
            let f = try TensorFile.open(out.path)
            let info = try #require(f.info(named: "layer.weight"))
            #expect(info.dtype == dtype.uppercased() && info.storedQuantization?.doubleQuant == doubleQuant)
            #expect(bits(try f.load("layer.weight").values) == bits(try f.load("layer.weight.dequantized").values))
        }
    }
}
