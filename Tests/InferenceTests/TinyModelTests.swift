import Foundation
import Testing
import TensorIO
@testable import Inference

/// A tiny BERT written on the spot: `bert.`-prefixed names, CLS pooling, no normalisation, and the
/// folders a loader must refuse.
@Suite("tiny model folders")
struct TinyModelTests {
    static let hidden = 8, heads = 2, inner = 16, vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s"]

    /// Writes a one-layer model with deterministic weights into a fresh folder.
    static func folder(config: [String: Any]? = nil, prefix: String = "bert.", breakShape: Bool = false, pooling: String = "cls") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-tiny-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        let cfg = config ?? ["hidden_size": hidden, "num_attention_heads": heads, "intermediate_size": inner, "num_hidden_layers": 1,
                             "layer_norm_eps": 1e-12, "hidden_act": "gelu", "vocab_size": vocab.count, "max_position_embeddings": 16,
                             "type_vocab_size": 2]
        try JSONSerialization.data(withJSONObject: cfg).write(to: dir.appendingPathComponent("config.json"))
        try (vocab.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        try #"[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}, {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]"#
            .write(to: dir.appendingPathComponent("modules.json"), atomically: true, encoding: .utf8)
        try #"{"pooling_mode_cls_token": \#(pooling == "cls"), "pooling_mode_mean_tokens": \#(pooling != "cls"), "pooling_mode_max_tokens": \#(pooling == "max")}"#
            .write(to: dir.appendingPathComponent("1_Pooling/config.json"), atomically: true, encoding: .utf8)
        let c = BertConfig(hiddenSize: hidden, numAttentionHeads: heads, intermediateSize: inner, numHiddenLayers: 1, layerNormEps: 1e-12,
                           vocabSize: vocab.count, maxPositionEmbeddings: 16, typeVocabSize: 2)
        var seed: UInt64 = 7
        var entries: [SafetensorsEntry] = []
        for (name, shape) in BertModel.expectedShapes(c) {
            let n = shape.reduce(1, *)
            let values: [Float] = (0..<n).map { _ in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let u = Float(seed >> 40) / Float(1 << 24) - 0.5
                return name.hasSuffix("LayerNorm.weight") ? 1 + u * 0.1 : u * 0.5
            }
            let s = breakShape && name.hasSuffix("intermediate.dense.weight") ? [shape[1], shape[0]] : shape
            entries.append(SafetensorsEntry(name: prefix + name, shape: s, floats: values))
        }
        try SafetensorsWriter.write(entries, metadata: nil, to: dir.appendingPathComponent("model.safetensors").path, force: true)
        return dir.path
    }

    @Test("bert.-prefixed weights load; CLS pooling returns the [CLS] token's hidden state, unnormalised")
    func clsPooling() throws {
        let path = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let encoder = try SentenceEncoder.load(folder: path)
        #expect(encoder.pooling == .cls && !encoder.normalize)
        #expect(encoder.model.linearWeightNames.count == 6)
        let batch = encoder.tokenize(["hello worlds", "world"])
        #expect(batch.ids == [2, 5, 6, 7, 3, 2, 6, 3])
        let (emb, out) = try encoder.run(batch)
        #expect(emb.count == 2 && emb[0].count == Self.hidden)
        #expect(emb[0] == Array(out.lastHidden[0..<Self.hidden]))
        #expect(emb[1] == Array(out.lastHidden[5 * Self.hidden..<6 * Self.hidden]))
    }

    @Test("unprefixed names load too; mean pooling averages the tokens")
    func meanPooling() throws {
        let path = try Self.folder(prefix: "", pooling: "mean")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let encoder = try SentenceEncoder.load(folder: path)
        let batch = encoder.tokenize(["hello"])
        let (emb, out) = try encoder.run(batch)
        for i in 0..<Self.hidden {
            let mean = (0..<3).reduce(Float(0)) { $0 + out.lastHidden[$1 * Self.hidden + i] } / 3
            #expect(abs(emb[0][i] - mean) < 1e-6)
        }
    }

    @Test("refused: a weight of the wrong shape, an activation other than gelu, max pooling, a missing file")
    func refusals() throws {
        let broken = try Self.folder(breakShape: true)
        defer { try? FileManager.default.removeItem(atPath: broken) }
        #expect(throws: InferenceError.self) { try SentenceEncoder.load(folder: broken) }
        let relu = try Self.folder(config: ["hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16, "num_hidden_layers": 1,
                                            "hidden_act": "relu", "vocab_size": 8])
        defer { try? FileManager.default.removeItem(atPath: relu) }
        #expect(throws: InferenceError.self) { try SentenceEncoder.load(folder: relu) }
        let heads = try Self.folder(config: ["hidden_size": 8, "num_attention_heads": 3, "intermediate_size": 16, "num_hidden_layers": 1, "vocab_size": 8])
        defer { try? FileManager.default.removeItem(atPath: heads) }
        #expect(throws: InferenceError.self) { try SentenceEncoder.load(folder: heads) }
        let maxPool = try Self.folder(pooling: "max")
        defer { try? FileManager.default.removeItem(atPath: maxPool) }
        #expect(throws: InferenceError.self) { try SentenceEncoder.load(folder: maxPool) }
        try FileManager.default.removeItem(atPath: maxPool + "/model.safetensors")
        #expect(throws: InferenceError.missingFile(maxPool + "/model.safetensors")) { try BertModel.load(folder: maxPool) }
    }
}
