import Foundation
import Testing

/// The model commands (embed, eval, sensitivity, allocate) as a user runs them, on the bundled
/// all-MiniLM-L6-v2 with two sentences so that each run stays short in a debug build.
@Suite("model commands", .serialized)
struct ModelCommandTests {
    static let temp = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-model-cli-\(getpid())")

    func file(_ name: String, _ text: String) throws -> String {
        try FileManager.default.createDirectory(at: Self.temp, withIntermediateDirectories: true)
        let url = Self.temp.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func sentences() throws -> String {
        try file("two.txt", "The quick brown fox jumps over the lazy dog.\n\nQuantization maps each weight to one of a few code levels.\n")
    }

    @Test func embedGivesUnitVectors() throws {
        let j = try CLI.json(["embed", "--sentences", try sentences(), "--format", "json"])
        #expect(j["sentences"] as? Int == 2 && j["dimension"] as? Int == 384)
        let rows = try #require(j["embeddings"] as? [[Double]])
        for r in rows { #expect(abs(r.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) }
        #expect((j["recipe"] as? [String: Any])?["label"] as? String == "fp32")
    }

    @Test func evalReportsTheContractFields() throws {
        let j = try CLI.json(["eval", "--sentences", try sentences(), "--dtype", "nf4", "--block", "64", "--format", "json"])
        for key in ["model", "recipe", "sentences", "cosine_mean", "cosine_min", "spearman", "top1_agreement", "bits_per_param", "layer_drift"] {
            #expect(j[key] != nil, "\(key)")
        }
        #expect(j["bits_per_param"] as? Double == 4.5)
        let cos = try #require(j["cosine_mean"] as? Double)
        #expect(cos > 0.9 && cos < 1)
        #expect((j["layer_drift"] as? [Any])?.count == 7)
        let one = try file("one.json", #"{"tensors": {"encoder.layer.1.output.dense.weight": {"dtype": "q8_0"}}}"#)
        let md = try CLI.run(["eval", "--sentences", try sentences(), "--recipe", one, "--format", "markdown"])
        #expect(md.status == 0 && md.stdout.contains("| one.json | 8.500 |"))
    }

    @Test func sensitivityRanksTheRecipeTensors() throws {
        let recipe = try file("three.json", #"{"tensors": {"encoder.layer.5.attention.self.value.weight": {"dtype": "int4"}, "encoder.layer.0.output.dense.weight": {"dtype": "int4"}, "encoder.layer.3.intermediate.dense.weight": {"dtype": "int4", "block": 128}}}"#)
        let j = try CLI.json(["sensitivity", "--sentences", try sentences(), "--recipe", recipe, "--format", "json"])
        let rows = try #require(j["tensors"] as? [[String: Any]])
        #expect(rows.count == 3)
        #expect(rows.map { $0["rank_end_to_end"] as? Int } == [1, 2, 3])
        for r in rows {
            for key in ["name", "one_minus_cosine", "weight_sqnr_db", "output_sqnr_db", "rank_weight", "rank_output", "disagree"] {
                #expect(r[key] != nil, "\(key)")
            }
        }
    }

    @Test func allocateWritesARecipeThatEvalReads() throws {
        let out = Self.temp.appendingPathComponent("allocated.json").path
        try? FileManager.default.removeItem(atPath: out)
        let tensors = "encoder.layer.5.attention.self.value.weight,encoder.layer.2.output.dense.weight,encoder.layer.0.attention.self.query.weight"
        let j = try CLI.json(["allocate", "--sentences", try sentences(), "--bits", "6", "--candidates", "int4:64,int8:64",
                              "--tensors", tensors, "--frontier", "5", "-o", out, "--format", "json"])
        let bits = try #require(j["bits_per_param"] as? Double)
        #expect(bits <= 6 && bits > 4.5)
        #expect((j["frontier"] as? [Any])?.count == 1 && (j["uniform"] as? [Any])?.count == 2)
        #expect((j["llama_cpp"] as? [String]) == [])
        let again = try CLI.json(["eval", "--sentences", try sentences(), "--recipe", out, "--format", "json"])
        #expect(again["bits_per_param"] as? Double == bits)
        #expect(abs((again["cosine_mean"] as? Double ?? 0) - (j["cosine_mean"] as? Double ?? 1)) < 1e-9)
        // The output exists now: without --force it is kept.
        let r = try CLI.run(["allocate", "--sentences", try sentences(), "--bits", "6", "--candidates", "int8:64", "--tensors", tensors, "-o", out])
        #expect(r.status == 2 && r.stderr.contains("--force"))
        // A budget below every candidate: no recipe, exit 1.
        let none = try CLI.run(["allocate", "--sentences", try sentences(), "--bits", "3", "--candidates", "int4:64", "--tensors", tensors, "--frontier", "none"])
        #expect(none.status == 1)
    }

    @Test func badInputsFailWithOneLine() throws {
        let missing = try CLI.run(["eval", "/nonexistent-model-folder"])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("qscope: error:"))
        let folder = Self.temp.appendingPathComponent("broken-model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try #"{"hidden_size": "big"}"#.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let broken = try CLI.run(["eval", folder.path])
        #expect(broken.status == 65 && broken.stderr.contains("hidden_size"))
        let recipe = try file("bad.json", #"{"tensors": {"encoder.layer.7.output.dense.weight": {"dtype": "nf4"}}}"#)
        let bad = try CLI.run(["eval", "--sentences", try sentences(), "--recipe", recipe])
        #expect(bad.status == 2 && bad.stderr.contains("encoder.layer.7"))
        let both = try CLI.run(["eval", "--recipe", recipe, "--dtype", "int4"])
        #expect(both.status == 2)
        let empty = try CLI.run(["eval", "--sentences", try file("empty.txt", "\n\n")])
        #expect(empty.status == 65)
    }
}
