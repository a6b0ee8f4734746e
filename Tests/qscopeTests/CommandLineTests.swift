import Foundation
import Testing
import TensorIO

/// End-to-end: the real binary on files made by NumPy and by the safetensors format.
@Suite("command line", .serialized)
struct CommandLineTests {
    let npy = CLI.fixtures.appendingPathComponent("weights.npy").path
    let st = CLI.fixtures.appendingPathComponent("model.safetensors").path

    func close(_ a: Any?, _ b: Any?, rel: Double = 1e-9) -> Bool {
        guard let x = a as? Double, let y = b as? Double else { return false }
        return abs(x - y) <= rel * max(abs(y), 1e-30)
    }

    @Test func reportOnNumpyFileMatchesIndependentRecomputation() throws {
        let exp = try CLI.expected()
        let j = try CLI.json(["report", npy, "--dtype", "nf4", "--block", "64", "--format", "json"])
        #expect(j["tensor"] as? String == "weights")
        #expect(j["shape"] as? [Int] == [64, 128])
        #expect(j["source_dtype"] as? String == "<f4")
        let m = try #require(j["metrics"] as? [String: Any])
        let e = try #require(exp["weights_nf4_b64"] as? [String: Any])
        for key in ["mse", "mae", "max_abs_err", "sqnr_db", "cosine", "rel_fro_err"] {
            #expect(close(m[key], e[key], rel: 1e-7), "\(key): \(m[key] ?? "nil") vs \(e[key] ?? "nil")")
        }
        #expect(m["bits_per_param"] as? Double == 4.5)
        let s = try #require(j["stats"] as? [String: Any])
        let es = try #require(exp["weights_stats"] as? [String: Any])
        for key in ["mean", "std", "min", "max", "kurtosis"] { #expect(close(s[key], es[key], rel: 1e-6), "\(key)") }
        let o = try #require(j["outliers"] as? [String: Any])
        let cols = try #require(o["columns"] as? [[String: Any]])
        #expect(cols.first?["index"] as? Int == 17)
        let usage = try #require(j["code_usage"] as? [Int])
        #expect(usage.count == 16 && usage.reduce(0, +) == 64 * 128)
        let hist = try #require(j["histogram"] as? [String: Any])
        #expect((hist["edges"] as? [Double])?.count == 65)
        #expect(Array(j.keys).count == 11)
    }

    /// AF4 (bitsandbytes' AbnormalFloat table) against an independent NumPy implementation: the same
    /// metrics and the same count of every code, in bitsandbytes' code order.
    @Test func af4MatchesIndependentRecomputation() throws {
        let e = try #require((try CLI.expected())["weights_af4_b64"] as? [String: Any])
        let j = try CLI.json(["report", npy, "--dtype", "af4", "--block", "64", "--format", "json"])
        let m = try #require(j["metrics"] as? [String: Any])
        for key in ["mse", "mae", "max_abs_err", "sqnr_db", "cosine", "rel_fro_err"] {
            #expect(close(m[key], e[key], rel: 1e-7), "\(key): \(m[key] ?? "nil") vs \(e[key] ?? "nil")")
        }
        #expect(j["code_usage"] as? [Int] == e["code_usage"] as? [Int])
        #expect(m["bits_per_param"] as? Double == 4.5)
    }

    @Test func reportOnSafetensorsFile() throws {
        let exp = try CLI.expected()
        let j = try CLI.json(["report", st, "--tensor", "layer.weight", "--dtype", "int4", "--block", "128", "--format", "json"])
        let m = try #require(j["metrics"] as? [String: Any])
        let e = try #require(exp["weights_int4_b128"] as? [String: Any])
        for key in ["mse", "sqnr_db", "rel_fro_err", "max_abs_err"] { #expect(close(m[key], e[key], rel: 1e-7), "\(key)") }
        let h = try CLI.json(["report", st, "--tensor", "layer.half", "--format", "json"])
        #expect(h["source_dtype"] as? String == "F16")
        let hm = try #require(h["metrics"] as? [String: Any])
        let he = try #require(exp["half_nf4_b64"] as? [String: Any])
        #expect(close(hm["sqnr_db"], he["sqnr_db"], rel: 1e-7))
    }

    @Test func textCsvAndMarkdownReports() throws {
        let t = try CLI.run(["report", npy])
        #expect(t.status == 0)
        #expect(t.stdout.contains("SQNR") && t.stdout.contains("outlier columns"))
        let c = try CLI.run(["report", npy, "--format", "csv"])
        let lines = c.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("file,tensor,shape"))
        let md = try CLI.run(["report", npy, "--format", "markdown"])
        #expect(md.stdout.contains("| sqnr_db |"))
    }

    @Test func everyDatatypeReports() throws {
        for dt in ["int8", "int2", "uint3-asym", "dynamic8", "dynamic8-unsigned", "fp4", "quantile8", "fp8-e5m2",
                   "fp6-e3m2", "mxfp8", "mxint8", "nvfp4", "bf16"] {
            let j = try CLI.json(["report", npy, "--dtype", dt, "--format", "json"])
            let m = try #require(j["metrics"] as? [String: Any])
            #expect((m["sqnr_db"] as? Double ?? 0) > 1, "\(dt)")
        }
    }

    @Test func sweepMarksParetoRows() throws {
        let j = try CLI.json(["sweep", npy, "--dtypes", "nf4,int4,fp4,int8,mxfp4", "--blocks", "32,64,row", "--format", "json"])
        let rows = try #require(j["rows"] as? [[String: Any]])
        #expect(rows.count == 13)
        #expect(rows.contains { $0["pareto"] as? Bool == true })
        let text = try CLI.run(["sweep", npy, "--dtypes", "nf4,int8", "--blocks", "64"])
        #expect(text.stdout.contains("★"))
    }

    @Test func quantizeWritesBitsandbytesLayoutAtomically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("q.safetensors").path
        let before = try CLI.checksum(URL(fileURLWithPath: st))
        let r = try CLI.run(["quantize", st, "--tensor", "layer.weight", "--dtype", "nf4", "--block", "64",
                             "--double-quant", "--with-dequantized", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.checksum(URL(fileURLWithPath: st)) == before)
        let list = try CLI.json(["list", out, "--format", "json"])
        let tensors = (list["tensors"] as? [[String: Any]]) ?? []
        // The bitsandbytes layout reads back as one NF4 tensor; its parts are the tensors written.
        #expect(Set(tensors.compactMap { $0["name"] as? String }) == ["layer.weight", "layer.weight.dequantized"])
        let parts = (tensors.first { $0["name"] as? String == "layer.weight" }?["quantization"] as? [String: Any])?["parts"] as? [String]
        #expect(Set(parts ?? []) == ["layer.weight", "layer.weight.absmax", "layer.weight.quant_map", "layer.weight.nested_absmax",
                                     "layer.weight.nested_quant_map", "layer.weight.quant_state.bitsandbytes__nf4"])
        // Refuses to replace without --force, and leaves nothing behind.
        let again = try CLI.run(["quantize", st, "--tensor", "layer.weight", "-o", out])
        #expect(again.status == 1 && again.stderr.hasPrefix("qscope: error:"))
        let forced = try CLI.run(["quantize", st, "--tensor", "layer.weight", "--dtype", "int8", "--block", "row", "-o", out, "--force"])
        #expect(forced.status == 0)
        let l2 = try CLI.json(["list", out, "--format", "json"])
        let t2 = (l2["tensors"] as? [[String: Any]]) ?? []
        #expect(t2.compactMap { $0["name"] as? String } == ["layer.weight"])
        #expect((t2.first?["quantization"] as? [String: Any])?["parts"] as? [String] == ["layer.weight", "layer.weight.SCB"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(leftovers == ["q.safetensors"])
    }

    @Test func errorsAreOneLineWithTheirExitCodes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-err-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.safetensors")
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = 0xFF; bytes[1] = 0xFF; bytes[2] = 0xFF // header length far past the end
        try Data(bytes).write(to: bad)
        for cmd in [["report", bad.path], ["list", bad.path]] {
            let r = try CLI.run(cmd)
            #expect(r.status == 65, "\(cmd)")
            #expect(r.stderr.hasPrefix("qscope: error:") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        let usage = try CLI.run(["report", npy, "--dtype", "nf5"])
        #expect(usage.status == 2 && usage.stderr.hasPrefix("qscope: error:"))
        let fixed = try CLI.run(["report", npy, "--dtype", "mxfp4", "--block", "64"])
        #expect(fixed.status == 2 && fixed.stderr.contains("fixed block of 32"))
        let dq = try CLI.run(["report", npy, "--dtype", "nvfp4", "--double-quant"])
        #expect(dq.status == 2)
        let many = try CLI.run(["report", st])
        #expect(many.status == 2 && many.stderr.contains("--tensor"))
        let missing = try CLI.run(["report", st, "--tensor", "nope"])
        #expect(missing.status == 2 && missing.stderr.contains("layer.weight"))
        let help = try CLI.run(["report", "--help"])
        #expect(help.status == 0 && help.stdout.contains("nf4") && help.stdout.contains("mxfp4"))
    }

    @Test func scanEveryTensor() throws {
        let j = try CLI.json(["scan", st, "--format", "json", "--sort", "name"])
        let rows = try #require(j["tensors"] as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["layer.bias", "layer.half", "layer.weight"])
        let weight = try #require(rows.last)
        let exp = try #require((try CLI.expected())["weights_nf4_b64"] as? [String: Any])
        #expect(close(weight["sqnr_db"], exp["sqnr_db"], rel: 1e-7))
        #expect(weight["outlier_columns"] as? Int == 1)
        let gguf = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/gguf/blocks.gguf").path
        let text = try CLI.run(["scan", gguf, "--dtype", "int8", "--block", "row"])
        #expect(text.status == 0 && text.stdout.contains("t_Q6_K"))
        let list = try CLI.run(["list", gguf])
        #expect(list.stdout.contains("architecture qscope-test") && list.stdout.contains("Q4_K"))
    }

    @Test func activationSampleShowsTheOutlierFeature() throws {
        let path = CLI.repoRoot.appendingPathComponent("samples/minilm-l6-activations.safetensors").path
        let j = try CLI.json(["report", path, "--tensor", "hidden_states.3", "--dtype", "int8", "--block", "row", "--format", "json"])
        let cols = try #require((j["outliers"] as? [String: Any])?["columns"] as? [[String: Any]])
        #expect(cols.first?["index"] as? Int == 99)
        #expect((cols.first?["absmax"] as? Double ?? 0) > 6)
        let f = try CLI.json(["report", path, "--tensor", "encoder.layer.0.output.dense.input", "--format", "json"])
        let fc = try #require((f["outliers"] as? [String: Any])?["columns"] as? [[String: Any]])
        #expect(fc.first?["index"] as? Int == 856)
    }

    @Test func synthIsDeterministicAndRecordsItsOutliers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-synth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.safetensors"), b = dir.appendingPathComponent("b.safetensors")
        for url in [a, b] {
            let r = try CLI.run(["synth", "--dist", "laplace", "--shape", "32x64", "--outlier-cols", "2", "--outlier-scale", "40", "--seed", "3", "-o", url.path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        let list = try CLI.json(["list", a.path, "--format", "json"])
        let recorded = try #require((list["metadata"] as? [String: String])?["qscope.outlier_columns"])
        let report = try CLI.json(["report", a.path, "--format", "json", "--outlier-threshold", "1000"])
        let found = ((report["outliers"] as? [String: Any])?["columns"] as? [[String: Any]] ?? []).compactMap { $0["index"] as? Int }
        #expect(found.sorted().map(String.init).joined(separator: ",") == recorded)
        #expect(try CLI.run(["synth", "--shape", "0x3", "-o", dir.appendingPathComponent("c").path]).status == 2)
        #expect(try CLI.run(["synth", "--shape", "2x3", "-o", a.path]).status == 1) // exists, no --force
    }

    @Test func ctrlCStopsAScanWithThePartialTable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("many.safetensors").path
        var values = [Float](repeating: 0, count: 512 * 1024)
        for i in values.indices { values[i] = Float((i * 7919) % 1000) / 1000 - 0.5 }
        try SafetensorsWriter.write((0..<24).map { SafetensorsEntry(name: String(format: "t%02d", $0), shape: [512, 1024], floats: values) },
                                    metadata: nil, to: path, force: false)
        let p = try ChildProcess(CLI.binary.path, ["scan", path, "--dtype", "dynamic8", "--sort", "name"])
        Thread.sleep(forTimeInterval: 1.0)
        p.signal(SIGINT)
        Thread.sleep(forTimeInterval: 0.05)
        p.signal(SIGINT)
        let started = Date()
        let r = p.wait(timeout: 30)
        let o = r.stdout, e = r.stderr
        #expect(Date().timeIntervalSince(started) < 5, "the second Ctrl-C stops at once")
        #expect(r.status == 130, "\(e)")
        #expect(o.contains("sorted by name") && e.contains("interrupted after"))
        let listed = o.split(separator: "\n").filter { $0.hasPrefix("t") }.count
        #expect(listed < 24, "a partial table: \(listed) rows")
    }

    @Test func noCommandModifiesItsInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-ro-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for input in [st, npy, CLI.repoRoot.appendingPathComponent("Tests/Fixtures/gguf/blocks.gguf").path,
                      CLI.repoRoot.appendingPathComponent("Tests/Fixtures/tensorio/deflated.npz").path] {
            let url = URL(fileURLWithPath: input)
            let before = try CLI.checksum(url)
            let modified = try FileManager.default.attributesOfItem(atPath: input)[.modificationDate] as? Date
            let name = try #require((try CLI.json(["list", input, "--format", "json"])["tensors"] as? [[String: Any]])?.first?["name"] as? String)
            for args in [["report", input, "--tensor", name], ["sweep", input, "--tensor", name, "--dtypes", "nf4,int8", "--blocks", "64"],
                         ["scan", input], ["quantize", input, "--tensor", name, "--dtype", "int8", "--block", "row", "-o",
                                           dir.appendingPathComponent("out-\(UUID().uuidString).safetensors").path]] {
                _ = try CLI.run(args)
            }
            #expect(try CLI.checksum(url) == before, "\(input) changed")
            #expect((try FileManager.default.attributesOfItem(atPath: input)[.modificationDate] as? Date) == modified)
        }
    }

    @Test func listShowsEveryTensor() throws {
        let j = try CLI.json(["list", st, "--format", "json"])
        #expect(j["format"] as? String == "safetensors")
        let tensors = try #require(j["tensors"] as? [[String: Any]])
        #expect(tensors.count == 3)
        #expect((j["metadata"] as? [String: String])?["format"] == "pt")
    }

    @Test func bundledSampleOpensByDefault() throws {
        let sample = CLI.repoRoot.appendingPathComponent("samples/minilm-l6.safetensors")
        try #require(FileManager.default.fileExists(atPath: sample.path))
        let j = try CLI.json(["report", sample.path, "--tensor", "encoder.layer.0.output.dense.weight", "--format", "json"])
        let s = try #require(j["stats"] as? [String: Any])
        #expect(abs((s["absmax"] as? Double ?? 0) - 7.9148) < 1e-3)
        let cols = try #require((j["outliers"] as? [String: Any])?["columns"] as? [[String: Any]])
        #expect(cols.first?["index"] as? Int == 856)
        // Without a terminal the workbench refuses and points to the batch commands.
        let r = try CLI.run([])
        #expect(r.status == 1 && r.stderr.hasPrefix("qscope: error:") && r.stderr.contains("qscope report"))
    }
}
