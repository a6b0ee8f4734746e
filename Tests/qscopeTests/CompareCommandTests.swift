import Foundation
import Testing

/// `qscope compare` through the real binary, against the figures NumPy computed from gguf-py's own
/// decoding of the fixtures (Tests/Fixtures/compare/make_compare_fixtures.py).
@Suite("compare")
struct CompareCommandTests {
    static let folder = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/compare")
    static let metricKeys = ["sqnr_db", "mse", "rmse", "mae", "max_abs_err", "cosine", "rel_fro_err", "bits_per_param", "bytes"]

    static func expected() throws -> [String: [String: Any]] {
        let d = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        return try #require(JSONSerialization.jsonObject(with: d) as? [String: [String: Any]])
    }

    func path(_ name: String) -> String { Self.folder.appendingPathComponent(name).path }

    func compare(_ quantized: String, original: String? = nil, _ extra: [String] = []) throws -> [String: Any] {
        let e = try #require(try Self.expected()[quantized])
        let o: String
        if let original { o = original } else { o = path(try #require(e["original"] as? String)) }
        return try CLI.json(["compare", o, path(quantized), "--format", "json"] + extra)
    }

    /// Every metric of every tensor as NumPy has it (float64 sums of float32 values: equal to rounding).
    func checkRows(_ json: [String: Any], _ quantized: String) throws {
        let e = try #require(try Self.expected()[quantized])
        let want = try #require(e["tensors"] as? [[String: Any]])
        let got = try #require(json["tensors"] as? [[String: Any]])
        #expect(Set(got.compactMap { $0["name"] as? String }) == Set(want.compactMap { $0["original"] as? String }))
        #expect(got.count == want.count)
        for g in got {
            let name = g["name"] as? String ?? "?"
            let w = try #require(want.first { $0["original"] as? String == name })
            #expect(g["quantized_name"] as? String == w["quantized"] as? String)
            #expect(g["quantized_dtype"] as? String == w["type"] as? String, "\(name)")
            #expect(g["count"] as? Int == w["count"] as? Int, "\(name)")
            #expect(g["matched_by"] as? String == (w["quantized"] as? String == name ? "name" : "llama.cpp"))
            #expect((g["unpermuted_heads"] as? Int != nil) == (w["permuted"] as? Bool == true), "\(name)")
            let m = try #require(g["metrics"] as? [String: Any])
            for key in Self.metricKeys {
                if w[key] is NSNull {
                    #expect(m[key] is NSNull, "\(name) \(key): \(m[key] ?? "missing")")
                    continue
                }
                let a = try #require(m[key] as? Double, "\(name) \(key)"), b = try #require(w[key] as? Double, "\(name) \(key)")
                #expect(abs(a - b) <= 1e-9 * max(abs(b), 1e-12), "\(name) \(key): \(a) vs NumPy \(b)")
            }
            #expect(m["excluded"] as? Int == 0)
        }
    }

    @Test func llamaQ4_0MatchesByLlamaCppNamesAtNumPysFigures() throws {
        let json = try compare("llama_q4_0.gguf")
        try checkRows(json, "llama_q4_0.gguf")
        #expect((json["unmatched"] as? [String: [String]])?["original"] == ["model.layers.0.self_attn.rotary_emb.inv_freq"])
        #expect((json["unmatched"] as? [String: [String]])?["quantized"] == ["rope_freqs.weight"])
        #expect((json["mismatched"] as? [Any])?.isEmpty == true && (json["skipped"] as? [Any])?.isEmpty == true)
        #expect(json["interrupted"] as? Bool == false)
        let total = try #require(json["total"] as? [String: Any])
        #expect(total["tensors"] as? Int == 21 && total["count"] as? Int == 86344 - 8)
    }

    @Test func llamaQ8_0() throws {
        try checkRows(try compare("llama_q8_0.gguf"), "llama_q8_0.gguf")
    }

    /// The Q and K projections compare at the quantization's own error (about 21 dB for Q4_0), not at
    /// the ≈ −2 dB of rows compared in the converter's order.
    @Test func qkPermutationIsUndone() throws {
        let e = try #require(try Self.expected()["llama_q4_0.gguf"]?["tensors"] as? [[String: Any]])
        let json = try compare("llama_q4_0.gguf", ["--tensor", "blk.0.attn_q.weight", "--tensor", "model.layers.1.self_attn.k_proj.weight"])
        let rows = try #require(json["tensors"] as? [[String: Any]])
        #expect(rows.map { $0["quantized_name"] as? String } == ["blk.0.attn_q.weight", "blk.1.attn_k.weight"])
        #expect(rows.map { $0["unpermuted_heads"] as? Int } == [4, 2])
        for r in rows {
            let sqnr = try #require((r["metrics"] as? [String: Any])?["sqnr_db"] as? Double)
            let w = try #require(e.first { $0["quantized"] as? String == r["quantized_name"] as? String })
            let scrambled = try #require(w["sqnr_db_without_unpermuting"] as? Double)
            #expect(sqnr > 20 && scrambled < 0, "\(sqnr) dB; without undoing the permutation \(scrambled) dB")
        }
        // With --tensor, the unmatched lists hold only what was asked for.
        #expect((json["unmatched"] as? [String: [String]])?["original"]?.isEmpty == true)
    }

    @Test func bertUnderLlamaCppNames() throws {
        let json = try compare("bert_q4_0.gguf")
        try checkRows(json, "bert_q4_0.gguf")
        #expect((json["unmatched"] as? [String: [String]])?["original"] == ["encoder.layer.4.output.dense.weight", "embeddings.position_embeddings.weight"])
    }

    /// The bundled GGUF keeps Hugging Face names: it matches by name alone.
    @Test func bundledSampleMatchesByName() throws {
        let json = try CLI.json(["compare", "samples/minilm-l6.safetensors", "samples/minilm-l6.gguf", "--format", "json"])
        let rows = try #require(json["tensors"] as? [[String: Any]])
        #expect(rows.count == 4 && rows.allSatisfy { $0["matched_by"] as? String == "name" })
        let q8 = try #require(rows.first { $0["quantized_dtype"] as? String == "Q8_0" }?["metrics"] as? [String: Any])
        #expect(q8["bits_per_param"] as? Double == 8.5)
    }

    @Test func shapeMismatchesAreReportedPerTensor() throws {
        let json = try compare("llama_mismatch.gguf")
        try checkRows(json, "llama_mismatch.gguf")
        let want = try #require(try Self.expected()["llama_mismatch.gguf"]?["mismatched"] as? [[String: Any]])
        let got = try #require(json["mismatched"] as? [[String: Any]])
        #expect(got.map { $0["name"] as? String } == want.map { $0["original"] as? String })
        for (g, w) in zip(got, want) {
            #expect(g["quantized_name"] as? String == w["quantized"] as? String)
            #expect(g["original_shape"] as? [Int] == w["original_shape"] as? [Int])
            #expect(g["quantized_shape"] as? [Int] == w["quantized_shape"] as? [Int])
            #expect((g["reason"] as? String)?.contains("shape") == true)
        }
        let text = try CLI.run(["compare", path("llama_hf"), path("llama_mismatch.gguf")])
        #expect(text.status == 0)
        #expect(text.stdout.contains("not compared model.layers.0.self_attn.v_proj.weight ↔ blk.0.attn_v.weight: shape 32×64 in the original, 64×32 in the quantized file"))
    }

    @Test func textCsvAndMarkdown() throws {
        let text = try CLI.run(["compare", path("llama_hf"), path("llama_q4_0.gguf")])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("21 tensors compared (21 by llama.cpp's names, 4 with the Q/K row permutation undone)"))
        #expect(text.stdout.contains("only in \(path("llama_q4_0.gguf")) (1): rope_freqs.weight"))
        #expect(text.stderr.isEmpty, "no progress line when stderr is not a terminal")
        let csv = try CLI.run(["compare", path("llama_hf"), path("llama_q4_0.gguf"), "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.count == 22)
        #expect(lines.first.map(String.init) == "name,quantized_name,shape,original_dtype,quantized_dtype,count,matched_by,unpermuted_heads,"
            + Self.metricKeys.joined(separator: ",") + ",excluded")
        let md = try CLI.run(["compare", path("llama_hf"), path("llama_q4_0.gguf"), "--format", "markdown"])
        #expect(md.stdout.hasPrefix("| tensor | quantized as | shape | dtype | SQNR dB | MSE | max |err| | cosine | rel. error | bits/param |"))
        #expect(md.stdout.contains("| **all 21** |"))
    }

    @Test func exitCodes() throws {
        let unknown = try CLI.run(["compare", path("llama_hf"), path("llama_q4_0.gguf"), "--tensor", "no.such.tensor"])
        #expect(unknown.status == 2 && unknown.stderr.hasPrefix("qscope: error: neither") && unknown.stdout.isEmpty)
        let unrelated = try CLI.run(["compare", path("llama_hf"), "Tests/Fixtures/gguf/all_types.gguf"])
        #expect(unrelated.status == 65 && unrelated.stderr.hasPrefix("qscope: error: no tensor of"), "\(unrelated.stderr)")
        let missing = try CLI.run(["compare", path("llama_hf"), path("nothing-here.gguf")])
        #expect(missing.status == 1, "\(missing.stderr)")
        let malformed = try CLI.run(["compare", path("llama_hf"), "Tests/Fixtures/malformed/gguf_cut_header.gguf"])
        #expect(malformed.status == 65, "\(malformed.stderr)")
        let usage = try CLI.run(["compare", path("llama_hf")])
        #expect(usage.status == 2)
    }
}

/// `qscope report --stored [--original FILE]`: a GGUF tensor's own quantization, read from its blocks.
@Suite("report --stored")
struct StoredReportTests {
    let folder = CompareCommandTests.folder

    @Test func storedQ4_0AgainstItsOriginalHasCompareFigures() throws {
        let json = try CLI.json(["report", folder.appendingPathComponent("llama_q4_0.gguf").path, "--tensor", "blk.1.attn_k.weight",
                                 "--stored", "--original", folder.appendingPathComponent("llama_hf").path, "--format", "json"])
        let config = try #require(json["config"] as? [String: Any])
        #expect(config["dtype"] as? String == "Q4_0" && config["block"] as? Int == 32 && config["double_quant"] as? Bool == false)
        let stored = try #require(json["stored"] as? [String: Any])
        #expect(stored["type"] as? String == "Q4_0" && stored["scale_group"] as? Int == 32 && stored["codes"] as? String == "scalar")
        #expect(stored["code_count"] as? Int == 16 && stored["lattice_group"] is NSNull)
        #expect(stored["levels"] as? [Double] == (-8...7).map(Double.init))
        #expect((stored["original"] as? String)?.hasSuffix("model.safetensors ▸ model.layers.1.self_attn.k_proj.weight") == true)
        // The K projection's rows were permuted by the converter: the original is read in the file's order,
        // and the figures are compare's (NumPy's).
        let e = try #require(try CompareCommandTests.expected()["llama_q4_0.gguf"]?["tensors"] as? [[String: Any]])
        let want = try #require(e.first { $0["quantized"] as? String == "blk.1.attn_k.weight" })
        let m = try #require(json["metrics"] as? [String: Any])
        for key in ["sqnr_db", "mse", "max_abs_err", "cosine", "rel_fro_err", "bits_per_param"] {
            let a = try #require(m[key] as? Double), b = try #require(want[key] as? Double)
            #expect(abs(a - b) <= 1e-9 * abs(b), "\(key): \(a) vs \(b)")
        }
        #expect((json["code_usage"] as? [Int])?.reduce(0, +) == 2048)
    }

    @Test func latticeTypeWithoutOriginal() throws {
        let json = try CLI.json(["report", "Tests/Fixtures/gguf/all_types.gguf", "--tensor", "t_IQ3_XXS", "--stored", "--format", "json"])
        let stored = try #require(json["stored"] as? [String: Any])
        #expect(stored["codes"] as? String == "lattice" && stored["code_count"] as? Int == 256 && stored["lattice_group"] as? Int == 4)
        #expect(stored["original"] is NSNull)
        #expect((json["metrics"] as? [String: Any])?["sqnr_db"] is NSNull)
        #expect((json["metrics"] as? [String: Any])?["codes_used"] as? Int == 256)
        #expect((json["code_usage"] as? [Int])?.count == 256)
        let text = try CLI.run(["report", "Tests/Fixtures/gguf/all_types.gguf", "--tensor", "t_IQ3_XXS", "--stored"])
        #expect(text.status == 0 && text.stdout.contains("stored   IQ3_XXS · blocks of 256, a scale per 32 · a lattice of 256 grid points of 4 values"))
    }

    @Test func refusals() throws {
        let f32 = try CLI.run(["report", "samples/minilm-l6.gguf", "--tensor", "encoder.layer.0.attention.self.query.weight", "--stored"])
        #expect(f32.status == 2 && f32.stderr.contains("stored as F16, not in quantized ggml blocks"), "\(f32.stderr)")
        let noStored = try CLI.run(["report", "samples/minilm-l6.gguf", "--tensor", "encoder.layer.0.output.dense.weight",
                                    "--original", "samples/minilm-l6.safetensors"])
        #expect(noStored.status == 2)
        let withDtype = try CLI.run(["report", "samples/minilm-l6.gguf", "--tensor", "encoder.layer.0.output.dense.weight", "--stored", "--dtype", "nf4"])
        #expect(withDtype.status == 2)
        let unmatched = try CLI.run(["report", "Tests/Fixtures/gguf/all_types.gguf", "--tensor", "t_Q4_0", "--stored",
                                     "--original", "samples/minilm-l6.safetensors"])
        #expect(unmatched.status == 2 && unmatched.stderr.contains("has no tensor that matches it"), "\(unmatched.stderr)")
        let ok = try CLI.run(["report", "samples/minilm-l6.gguf", "--tensor", "encoder.layer.0.output.dense.weight", "--stored",
                              "--original", "samples/minilm-l6.safetensors"])
        #expect(ok.status == 0 && ok.stdout.contains("SQNR        44.14 dB"), "\(ok.stdout)")
    }
}
