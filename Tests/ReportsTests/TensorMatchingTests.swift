import Foundation
@testable import Reports
import TensorCore
import Testing

/// Which tensor of a quantized file stands for which of its original: names, llama.cpp's names in
/// both directions, the Q/K row permutation and what is left over.
@Suite("tensor matching")
struct TensorMatchingTests {
    func info(_ name: String, _ shape: [Int], _ dtype: String = "F32") -> TensorInfo {
        let n = shape.reduce(1, *)
        return TensorInfo(name: name, dtype: dtype, shape: shape, count: n, byteCount: n * 4, isFloatConvertible: true)
    }

    /// The converter's `permute(w, n_head, n_head_kv)` on row indices: reshape `(heads, 2, d/2)`, swap
    /// the last two axes, flatten — written as NumPy computes it.
    func convertersRows(_ rows: Int, heads: Int) -> [Int] {
        let d = rows / heads, half = d / 2
        var out: [Int] = []
        for h in 0..<heads { for i in 0..<half { for j in 0..<2 { out.append(h * d + j * half + i) } } }
        return out  // out[k] = the Hugging Face row stored at GGUF row k
    }

    @Test(arguments: [(64, 4), (32, 2), (8, 1), (4096, 32), (1024, 8)])
    func rowOrderUndoesTheConvertersPermutation(rows: Int, heads: Int) throws {
        let stored = convertersRows(rows, heads: heads)
        let order = try #require(LlamaCppNames.rowOrder(rows: rows, heads: heads))
        // Hugging Face row r is read from GGUF row order[r], which holds Hugging Face row stored[order[r]].
        #expect((0..<rows).allSatisfy { stored[order[$0]] == $0 })
        #expect(Set(order).count == rows)
    }

    @Test func rowOrderNeedsAnEvenNumberOfRowsPerHead() {
        #expect(LlamaCppNames.rowOrder(rows: 30, heads: 4) == nil)
        #expect(LlamaCppNames.rowOrder(rows: 12, heads: 4) == nil)  // 3 rows a head
        #expect(LlamaCppNames.rowOrder(rows: 8, heads: 0) == nil)
    }

    @Test func candidates() {
        #expect(LlamaCppNames.huggingFaceCandidates(for: "blk.3.attn_q.weight").first == "model.layers.3.self_attn.q_proj.weight")
        #expect(LlamaCppNames.huggingFaceCandidates(for: "blk.11.ffn_down.bias").contains("encoder.layer.11.output.dense.bias"))
        #expect(LlamaCppNames.huggingFaceCandidates(for: "blk.0.attn_output_norm.bias").contains("bert.encoder.layer.0.attention.output.LayerNorm.beta"))
        #expect(LlamaCppNames.huggingFaceCandidates(for: "token_embd.weight").contains("embeddings.word_embeddings.weight"))
        #expect(LlamaCppNames.huggingFaceCandidates(for: "output.weight") == ["lm_head.weight"])
        for name in ["blk.x.attn_q.weight", "blk.0.attn_qq.weight", "rope_freqs.weight", "model.layers.0.mlp.up_proj.weight", "blk.-1.attn_q.weight", ""] {
            #expect(LlamaCppNames.huggingFaceCandidates(for: name).isEmpty, "\(name)")
        }
    }

    let llamaMeta = ["general.architecture": "llama", "llama.attention.head_count": "4", "llama.attention.head_count_kv": "2"]

    @Test func namesFirstThenLlamaCppNamesWithTheRowPermutation() {
        let original = TensorMatching.Side(tensors: [
            info("model.embed_tokens.weight", [96, 64]), info("model.layers.0.self_attn.q_proj.weight", [64, 64]),
            info("model.layers.0.self_attn.k_proj.weight", [32, 64]), info("model.layers.0.self_attn.v_proj.weight", [32, 64]),
            info("extra", [3]), info("model.norm.weight", [64]),
        ], metadata: [:])
        let quantized = TensorMatching.Side(tensors: [
            info("rope_freqs.weight", [8]), info("blk.0.attn_k.weight", [32, 64], "Q4_0"), info("blk.0.attn_q.weight", [64, 64], "Q4_0"),
            info("blk.0.attn_v.weight", [32, 64], "Q4_0"), info("token_embd.weight", [96, 64], "Q4_0"), info("extra", [3]),
            info("output_norm.weight", [64]),
        ], metadata: llamaMeta)
        let m = TensorMatching.match(original: original, quantized: quantized)
        #expect(m.pairs.map(\.original.name) == ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                                                 "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight",
                                                 "extra", "model.norm.weight"])
        #expect(m.pairs.map(\.quantized.name) == ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight",
                                                  "blk.0.attn_v.weight", "extra", "output_norm.weight"])
        #expect(m.pairs.map(\.rule) == [.llamaCpp, .llamaCpp, .llamaCpp, .llamaCpp, .name, .llamaCpp])
        #expect(m.pairs.map(\.unpermute) == [nil, .init(quantizedSide: true, heads: 4), .init(quantizedSide: true, heads: 2), nil, nil, nil])
        #expect(m.unmatchedOriginal.isEmpty && m.unmatchedQuantized == ["rope_freqs.weight"])
    }

    @Test func aGGUFOriginalMatchesHuggingFaceNamesTheOtherWay() {
        let original = TensorMatching.Side(tensors: [info("blk.0.attn_q.weight", [64, 64], "F16")], metadata: llamaMeta)
        let quantized = TensorMatching.Side(tensors: [info("model.layers.0.self_attn.q_proj.weight", [64, 64], "NF4")], metadata: [:])
        let m = TensorMatching.match(original: original, quantized: quantized)
        #expect(m.pairs.count == 1 && m.pairs[0].unpermute == .init(quantizedSide: false, heads: 4))
    }

    @Test func twoGGUFFilesMatchByNameWithoutPermuting() {
        let side = TensorMatching.Side(tensors: [info("blk.0.attn_q.weight", [64, 64], "F16")], metadata: llamaMeta)
        let m = TensorMatching.match(original: side, quantized: side)
        #expect(m.pairs.count == 1 && m.pairs[0].rule == .name && m.pairs[0].unpermute == nil)
    }

    @Test func bertIsNotPermutedAndTheHeadCountIsNeeded() {
        let original = TensorMatching.Side(tensors: [info("bert.encoder.layer.0.attention.self.query.weight", [8, 8])], metadata: [:])
        let bert = TensorMatching.Side(tensors: [info("blk.0.attn_q.weight", [8, 8])], metadata: ["general.architecture": "bert"])
        let m = TensorMatching.match(original: original, quantized: bert)
        #expect(m.pairs.count == 1 && m.pairs[0].unpermute == nil && m.pairs[0].problem == nil)
        let noHeads = TensorMatching.Side(tensors: [info("blk.0.attn_q.weight", [8, 8])], metadata: ["general.architecture": "llama"])
        let llama = TensorMatching.Side(tensors: [info("model.layers.0.self_attn.q_proj.weight", [8, 8])], metadata: [:])
        let p = TensorMatching.match(original: llama, quantized: noHeads).pairs
        #expect(p.count == 1 && p[0].problem?.contains("llama.attention.head_count") == true)
    }

    @Test func selecting() {
        let side = TensorMatching.Side(tensors: [info("a", [2]), info("b", [2])], metadata: [:])
        let other = TensorMatching.Side(tensors: [info("a", [2]), info("c", [2])], metadata: [:])
        let m = TensorMatching.match(original: side, quantized: other)
        let (s, unknown) = m.selecting(["a", "c", "zz"])
        #expect(s.pairs.map(\.original.name) == ["a"] && s.unmatchedQuantized == ["c"] && s.unmatchedOriginal.isEmpty && unknown == ["zz"])
    }
}
