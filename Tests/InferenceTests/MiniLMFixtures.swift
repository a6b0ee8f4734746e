import Foundation
import Testing
import TensorIO
@testable import Inference

/// The bundled model and the reference fixtures of `Tests/Fixtures/minilm` (see `Tests/Fixtures/README.md`).
enum MiniLM {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let folder = repoRoot.appendingPathComponent("samples/minilm-l6-model").path
    static let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures/minilm")

    /// Loaded once for every test (22.7 M parameters converted from F16).
    private static let loaded: Result<SentenceEncoder, InferenceError> = Result { () throws(InferenceError) in
        try SentenceEncoder.load(folder: folder)
    }

    static func encoder() throws -> SentenceEncoder { try loaded.get() }

    /// The bundled sentences, as the commands read them.
    static func sentences() throws -> [String] {
        let text = try String(contentsOf: repoRoot.appendingPathComponent("samples/sentences.txt"), encoding: .utf8)
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// One `[sentences, 384]` tensor of `embeddings.safetensors`, as rows.
    static func embeddings(_ name: String) throws -> [[Float]] {
        let f = try TensorFile.open(fixtures.appendingPathComponent("embeddings.safetensors").path)
        let t = try f.load(name)
        let d = t.cols
        return (0..<t.rows).map { Array(t.values[$0 * d..<($0 + 1) * d]) }
    }

    /// `tokens.json`'s cases.
    static func tokenCases() throws -> [(text: String, ids: [Int32])] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("tokens.json"))
        let root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        return try cases.map { c in
            (try #require(c["text"] as? String), try #require(c["ids"] as? [Int]).map { Int32($0) })
        }
    }
}
