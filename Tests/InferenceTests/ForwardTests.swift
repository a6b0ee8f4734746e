import Foundation
import Testing
@testable import Inference
import QuantCore

@Suite("BERT forward pass")
struct ForwardTests {
    @Test("fp32 embeddings match sentence-transformers' (cosine ≥ 0.99999 per sentence)")
    func matchesSentenceTransformers() throws {
        let encoder = try MiniLM.encoder()
        let ours = try encoder.encode(try MiniLM.sentences())
        for name in ["fp32", "fp32_bundled"] {
            let reference = try MiniLM.embeddings(name)
            #expect(reference.count == ours.count)
            for (a, b) in zip(ours, reference) {
                #expect(EmbeddingStatistics.cosine(a, b) >= 0.99999, "\(name)")
            }
        }
    }

    @Test("the nf4 b64 recipe matches bitsandbytes' NF4 dequantized weights (cosine ≥ 0.99999 per sentence)")
    func nf4MatchesBitsandbytes() throws {
        let encoder = try MiniLM.encoder()
        let recipe = try Recipe.uniform(QuantConfig(dtype: .nf4, block: .elements(64)), model: encoder.model)
        #expect(recipe.entries.count == 36)
        let weights = try recipe.quantize(encoder.model)
        #expect(weights.bitsPerParam == 4.5)
        let ours = try encoder.encode(try MiniLM.sentences(), replacing: weights.replacements)
        for (a, b) in zip(ours, try MiniLM.embeddings("nf4_b64")) {
            #expect(EmbeddingStatistics.cosine(a, b) >= 0.99999)
        }
    }

    @Test("a sentence encoded alone equals the same sentence in a packed batch")
    func packingIsMasking() throws {
        let encoder = try MiniLM.encoder()
        let sentences = Array(try MiniLM.sentences().prefix(5))
        let batch = try encoder.encode(sentences, threads: 2)
        for (i, s) in sentences.enumerated() {
            let alone = try encoder.encode([s], threads: 1)[0]
            #expect(EmbeddingStatistics.cosine(alone, batch[i]) >= 0.999999)
        }
    }

    @Test("captures hold each Linear layer's input and X·Wᵀ + b; hidden states one per layer and the embeddings")
    func captures() throws {
        let encoder = try MiniLM.encoder()
        let batch = encoder.tokenize(Array(try MiniLM.sentences().prefix(3)))
        let out = try encoder.model.forward(batch, options: ForwardOptions(threads: 2, keepHiddenStates: true, captureLinears: true))
        #expect(out.captures.count == 36)
        #expect(out.hiddenStates.count == 7)
        let q = try #require(out.captures["encoder.layer.2.attention.self.query.weight"])
        #expect(q.input == out.hiddenStates[2]!)
        #expect(q.rows == batch.tokenCount && q.inFeatures == 384 && q.outFeatures == 384)
        let w = encoder.model.tensors["encoder.layer.2.attention.self.query.weight"]!
        let b = encoder.model.tensors["encoder.layer.2.attention.self.query.bias"]!
        for (r, o) in [(0, 0), (1, 17), (batch.tokenCount - 1, 383)] {
            var y = Double(b[o])
            for k in 0..<384 { y += Double(q.input[r * 384 + k]) * Double(w[o * 384 + k]) }
            #expect(abs(y - Double(q.output[r * 384 + o])) < 1e-3)
        }
        let down = try #require(out.captures["encoder.layer.5.output.dense.weight"])
        #expect(down.inFeatures == 1536 && down.outFeatures == 384)
    }

    @Test("a replacement of the wrong size or for an unknown tensor is refused")
    func badReplacement() throws {
        let encoder = try MiniLM.encoder()
        let batch = encoder.tokenize(["a"])
        #expect(throws: InferenceError.self) { try encoder.model.forward(batch, replacing: ["nope.weight": [1]]) }
        #expect(throws: InferenceError.self) {
            try encoder.model.forward(batch, replacing: ["encoder.layer.0.output.dense.weight": [1, 2, 3]])
        }
    }
}

@Suite("Vector math")
struct VectorMathTests {
    @Test("the eight-lane erf stays within 5e-7 of the C library's, exp within 2e-7 relative")
    func accuracy() {
        var worstErf: Float = 0, worstExp: Float = 0
        var x: Float = -9
        while x < 9 {
            let v = SIMD8<Float>((0..<8).map { x + Float($0) * 0.000_31 })
            let e = VectorMath.erf(v)
            for i in 0..<8 { worstErf = max(worstErf, abs(e[i] - erf(v[i]))) }
            x += 0.0025
        }
        var z: Float = -100
        while z <= 0 {
            let v = SIMD8<Float>((0..<8).map { min(0, z + Float($0) * 0.001) })
            let e = VectorMath.expNonPositive(v)
            for i in 0..<8 { worstExp = max(worstExp, abs(e[i] - expf(v[i])) / max(expf(v[i]), 1e-30)) }
            z += 0.01
        }
        #expect(worstErf <= 5e-7)
        #expect(worstExp <= 2e-7)
        #expect(VectorMath.expNonPositive(SIMD8(repeating: -200)) == SIMD8(repeating: 0))
        #expect(VectorMath.erf(SIMD8(repeating: 0)) == SIMD8(repeating: 0))
    }
}
