import Foundation
import Testing

/// The batch forms of the deep-dive views, run as the real binary, checked against independent
/// recomputation: NumPy (the LLM.int8() fixture) and the report of the same configuration.
@Suite("deep-dive commands", .serialized)
struct DeepCommandTests {
    let sample = CLI.repoRoot.appendingPathComponent("samples/minilm-l6.safetensors").path
    let activations = CLI.repoRoot.appendingPathComponent("samples/minilm-l6-activations.safetensors").path
    let npy = CLI.fixtures.appendingPathComponent("weights.npy").path

    func close(_ a: Double?, _ b: Double?, rel: Double) -> Bool {
        guard let a, let b else { return false }
        return abs(a - b) <= rel * max(abs(b), 1e-30)
    }

    /// The LLM.int8() errors of both FFN output projections, at every threshold the fixture holds, agree
    /// with the NumPy computation made when the fixture was created: columns, fractions and max errors
    /// exactly, relative errors to 1e-12 (the sums run in another order).
    @Test func int8MatchesTheNumpyFixture() throws {
        let url = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/int8/expected.json")
        let fixture = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let thresholds = try #require(fixture["thresholds"] as? [Double])
        let layers = try #require(fixture["layers"] as? [[String: Any]])
        #expect(layers.count == 2)
        for layer in layers {
            let weight = try #require(layer["weight"] as? String), act = try #require(layer["activations"] as? String)
            let j = try CLI.json(["int8", sample, "--weight", weight, "--activations-file", activations, "--activations", act,
                                  "--thresholds", thresholds.map { String($0) }.joined(separator: ","), "--format", "json"])
            #expect(j["tokens"] as? Int == layer["tokens"] as? Int)
            #expect(j["in_features"] as? Int == layer["in_features"] as? Int)
            #expect(j["out_features"] as? Int == layer["out_features"] as? Int)
            // The contract's top-level fields are the --threshold one (6 by default).
            let six = try #require((layer["results"] as? [[String: Any]])?.first { $0["threshold"] as? Double == 6 })
            #expect(j["threshold"] as? Double == 6 && j["weight"] as? String == weight && j["activations"] as? String == act)
            #expect(j["outlier_columns"] as? [Int] == six["outlier_columns"] as? [Int])
            #expect(j["fraction_16bit"] as? Double == six["fraction_16bit"] as? Double)
            #expect((j["error"] as? [String: Any])?["llm_int8"] != nil)
            let got = try #require(j["results"] as? [[String: Any]])
            let want = try #require(layer["results"] as? [[String: Any]])
            for w in want {
                let t = try #require(w["threshold"] as? Double)
                let g = try #require(got.first { ($0["threshold"] as? Double) == t }, "threshold \(t)")
                #expect(g["outlier_columns"] as? [Int] == w["outlier_columns"] as? [Int], "\(weight) at \(t)")
                #expect(g["fraction_16bit"] as? Double == w["fraction_16bit"] as? Double)
                let ge = try #require(g["error"] as? [String: Any])
                for method in ["int8_vectorwise", "llm_int8"] {
                    let gm = try #require(ge[method] as? [String: Double]), wm = try #require(w[method] as? [String: Double])
                    #expect(close(gm["rel_fro_err"], wm["rel_fro_err"], rel: 1e-12), "\(weight) \(method) at \(t)")
                    #expect(close(gm["max_abs_err"], wm["max_abs_err"], rel: 1e-15), "\(weight) \(method) max at \(t)")
                }
            }
        }
    }

    @Test func int8TextNamesTheOutlierFeature() throws {
        let r = try CLI.run(["int8", sample, "--weight", "encoder.layer.0.output.dense.weight", "--activations-file", activations,
                             "--activations", "encoder.layer.0.output.dense.input"])
        #expect(r.status == 0, "\(r.stderr)")
        let six = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("         6 ") })
        #expect(six.contains("856"), "\(six)")
        #expect(r.stdout.contains("off"))
    }

    @Test func int8RefusesShapesThatDoNotMultiply() throws {
        let r = try CLI.run(["int8", sample, "--weight", "encoder.layer.0.attention.self.query.weight", "--activations-file", activations,
                             "--activations", "encoder.layer.0.output.dense.input"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("qscope: error:") && r.stderr.contains("do not multiply"))
        let bad = try CLI.run(["int8", sample, "--weight", "encoder.layer.0.output.dense.weight", "--activations",
                               "encoder.layer.0.output.dense.weight", "--thresholds", "1,x"])
        #expect(bad.status == 2 && bad.stderr.contains("--thresholds"))
    }

    /// The inspected block agrees with its definition: the NF4 levels of the codes times the block
    /// absmax, which is the block's largest |x|.
    @Test func inspectWorstAndMaxBlocks() throws {
        let j = try CLI.json(["inspect", sample, "--tensor", "encoder.layer.0.output.dense.weight", "--max", "--format", "json"])
        #expect((j["config"] as? [String: Any])?["dtype"] as? String == "nf4")
        let b = try #require(j["block"] as? [String: Any])
        // The model's largest weight, 7.915 at [99, 856], is flat index 99·1536 + 856: block 2389 at 64.
        #expect(b["index"] as? Int == (99 * 1536 + 856) / 64)
        #expect(b["start"] as? Int == 2389 * 64 && b["count"] as? Int == 64)
        #expect(b["block_count"] as? Int == 384 * 1536 / 64)
        let absmax = try #require(b["absmax"] as? Double)
        #expect(abs(absmax - 7.9148) < 1e-3 && b["scale"] as? Double == absmax)
        let values = try #require(b["values"] as? [Double]), levels = try #require(b["levels"] as? [Double])
        let deq = try #require(b["dequantized"] as? [Double]), errors = try #require(b["errors"] as? [Double])
        let codes = try #require(b["codes"] as? [Int]), normalized = try #require(b["normalized"] as? [Double])
        #expect(values.count == 64 && codes.count == 64 && levels.count == 64 && normalized.count == 64)
        #expect(values.map(abs).max() == absmax)
        for k in 0..<64 {
            #expect(abs(Double(Float(levels[k]) * Float(absmax)) - deq[k]) <= 1e-6 * max(1, abs(deq[k])))
            #expect(Float(errors[k]) == Float(deq[k]) - Float(values[k]))
        }
        let worst = try CLI.json(["inspect", sample, "--tensor", "encoder.layer.0.output.dense.weight", "--worst", "--format", "json"])
        let worstErr = ((worst["block"] as? [String: Any])?["errors"] as? [Double] ?? []).reduce(0) { $0 + $1 * $1 }
        #expect(worstErr >= errors.reduce(0) { $0 + $1 * $1 })
        let dq = try CLI.json(["inspect", npy, "--index", "3", "--double-quant", "--format", "json"])
        let db = try #require(dq["block"] as? [String: Any])
        let before = try #require(db["absmax_before_double_quant"] as? Double), after = try #require(db["absmax_after_double_quant"] as? Double)
        // The nested 8-bit code's error is relative to the nested block's range, which the fixture's
        // outlier (|x| = 4.812) stretches: bounded by a few per mille of that, not of this absmax.
        #expect(before == db["absmax"] as? Double && after != before && abs(after - before) < 0.01 * 4.812)
        let text = try CLI.run(["inspect", npy, "--index", "1000"])
        #expect(text.status == 2 && text.stderr.contains("block 1000 does not exist"))
    }

    /// Keeping 0 % is the plain quantization (the report's numbers); keeping more costs 48 bits a weight.
    @Test func isolateStartsFromTheReport() throws {
        let report = try CLI.json(["report", sample, "--tensor", "encoder.layer.0.output.dense.weight", "--format", "json"])
        let m = try #require(report["metrics"] as? [String: Any])
        let j = try CLI.json(["isolate", sample, "--tensor", "encoder.layer.0.output.dense.weight", "--percents", "0,1", "--format", "json"])
        let rows = try #require(j["rows"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(close(rows[0]["sqnr_db"] as? Double, m["sqnr_db"] as? Double, rel: 1e-9))
        #expect(rows[0]["bits_per_param"] as? Double == m["bits_per_param"] as? Double)
        let kept = try #require(rows[1]["kept"] as? Int)
        #expect(kept == Int((0.01 * 589_824).rounded()))
        #expect(close(rows[1]["bits_per_param"] as? Double, 4.5 + Double(kept * 48) / 589_824, rel: 1e-12))
        #expect((rows[1]["sqnr_db"] as? Double ?? 0) > (rows[0]["sqnr_db"] as? Double ?? 0))
        let bad = try CLI.run(["isolate", sample, "--tensor", "encoder.layer.0.output.dense.weight", "--percents", "150"])
        #expect(bad.status == 2)
    }

    /// The explanation quotes the engine's own numbers: double quantization's 0.127 bits at block 64.
    @Test func explainUsesTheEnginesNumbers() throws {
        let r = try CLI.run(["explain", sample, "--tensor", "encoder.layer.0.output.dense.weight", "--double-quant"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("0.127 bits per parameter instead of 0.5"))
        #expect(r.stdout.contains("exact 0"))
        let report = try CLI.json(["report", sample, "--tensor", "encoder.layer.0.output.dense.weight", "--double-quant", "--format", "json"])
        let sqnr = try #require((report["metrics"] as? [String: Any])?["sqnr_db"] as? Double)
        #expect(r.stdout.contains(String(format: "%.4g dB", sqnr)))
    }
}
