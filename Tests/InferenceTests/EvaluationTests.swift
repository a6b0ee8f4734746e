import Foundation
import Testing
@testable import Inference
import QuantCore

@Suite("Evaluation, sensitivity and allocation")
struct EvaluationTests {
    static func evaluator(capture: Bool = false) throws -> Evaluator {
        try Evaluator(encoder: MiniLM.encoder(), sentences: Array(MiniLM.sentences().prefix(6)), threads: 2, capture: capture)
    }

    @Test("nf4 b64 moves the embeddings a little; fp16 hardly; fp32 not at all")
    func evaluation() throws {
        let ev = try Self.evaluator()
        let model = ev.encoder.model
        let nf4 = try ev.evaluate(Recipe.uniform(QuantConfig(dtype: .nf4, block: .elements(64)), model: model))
        #expect(nf4.bitsPerParam == 4.5)
        #expect(nf4.cosineMean > 0.95 && nf4.cosineMean < 0.995)
        #expect(nf4.cosineMin <= nf4.cosineMean)
        #expect(nf4.layerDrift.count == 7 && nf4.layerDrift[0] == 0 && nf4.layerDrift[6] > nf4.layerDrift[1])
        #expect(nf4.spearman > 0.8 && nf4.spearman <= 1)
        let fp16 = try ev.evaluate(Recipe.uniform(QuantConfig(dtype: .fp16, block: .tensor), model: model))
        #expect(fp16.bitsPerParam == 16 && fp16.cosineMin > 0.99999)
        let none = try ev.evaluate(.fp32)
        #expect(none.bitsPerParam == 0 && none.cosineMin > 0.9999999 && none.top1Agreement == 1)
    }

    @Test("the partial pass from a tensor's layer gives the loss of the full pass")
    func partialPass() throws {
        let ev = try Self.evaluator()
        let r = Recipe(label: "", entries: [.init(tensor: "encoder.layer.4.intermediate.dense.weight", config: QuantConfig(dtype: .int4))])
        let weights = try r.quantize(ev.encoder.model)
        let fast = try ev.meanCosineLoss(replacing: weights.replacements)
        let full = try ev.evaluate(r, weights: weights)
        #expect(abs(fast - (1 - full.cosineMean)) < 1e-6)
        #expect(fast > 0)
    }

    @Test("sensitivity ranks each tensor three ways; every rank is a permutation")
    func sensitivity() throws {
        let ev = try Self.evaluator(capture: true)
        let names = BertModel.linearNames(layer: 5)
        let recipe = Recipe(label: "int4", entries: names.map { .init(tensor: $0, config: QuantConfig(dtype: .int4)) })
        let rows = try Sensitivity.measure(ev, recipe: recipe)
        #expect(rows.count == 6)
        for ranks in [rows.map(\.rankEndToEnd), rows.map(\.rankWeight), rows.map(\.rankOutput)] {
            #expect(Set(ranks) == Set(1...6))
        }
        #expect(rows.map(\.rankEndToEnd) == Array(1...6))
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.oneMinusCosine >= $1.oneMinusCosine })
        for r in rows { #expect(r.weightSQNR > 10 && r.weightSQNR < 30 && r.outputSQNR > 5) }
    }

    @Test("the allocator measures, stays within the budget and beats the uniform recipe it could have chosen")
    func allocatorSmoke() throws {
        let ev = try Self.evaluator()
        let names = BertModel.linearNames(layer: 5)
        let candidates = [QuantConfig(dtype: .int3), QuantConfig(dtype: .int4), QuantConfig(dtype: .int8)]
        let alloc = try Allocator.measure(ev, tensors: names, candidates: candidates)
        #expect(alloc.measurements.allSatisfy { $0.count == 3 })
        let (recipe, predicted) = try #require(alloc.allocate(bitsPerParam: 4.5))
        let result = try ev.evaluate(recipe)
        #expect(result.bitsPerParam <= 4.5 + 1e-9)
        #expect(predicted >= 0)
        let uniformLoss = alloc.measurements.reduce(0.0) { $0 + $1[1].loss }
        #expect(predicted <= uniformLoss + 1e-9)
        #expect(alloc.allocate(bitsPerParam: 3.5) != nil)
        #expect(alloc.allocate(bitsPerParam: 3.4) == nil)
    }

    @Test("greedy allocation on made-up measurements: the budget holds, more budget never hurts")
    func allocatorUnit() {
        func m(_ bits: Int, _ loss: Double) -> Allocator.Measurement { .init(config: QuantConfig(dtype: .int4), storedBits: bits, loss: loss) }
        let a = Allocator(tensors: ["a", "b"], parameters: [10, 10],
                          measurements: [[m(30, 0.5), m(40, 0.1), m(80, 0.0)], [m(30, 0.05), m(40, 0.04), m(80, 0.0)]])
        #expect(a.allocate(bitsPerParam: 2.9) == nil)
        let tight = a.allocate(bitsPerParam: 3.5)!
        #expect(abs(tight.predictedLoss - 0.15) < 1e-12)   // the big win first: a to 40 bits
        var last = Double.infinity
        for b in stride(from: 3.0, through: 8.0, by: 0.5) {
            let loss = a.allocate(bitsPerParam: b)!.predictedLoss
            #expect(loss <= last)
            last = loss
        }
        #expect(last == 0)
        #expect(Allocator.lowerHull([m(30, 0.5), m(35, 0.45), m(40, 0.1), m(50, 0.2)]) == [0, 2])
    }

    @Test("statistics: Spearman with ties, ranks, nearest neighbours")
    func statistics() {
        #expect(EmbeddingStatistics.ranks([3, 1, 3, 2]) == [3.5, 1, 3.5, 2])
        #expect(abs(EmbeddingStatistics.spearman([1, 2, 3, 4], [10, 20, 30, 40]) - 1) < 1e-12)
        #expect(abs(EmbeddingStatistics.spearman([1, 2, 3, 4], [4, 3, 2, 1]) + 1) < 1e-12)
        #expect(EmbeddingStatistics.nearestNeighbours([[1, 0], [0.9, 0.1], [0, 1]]) == [1, 0, 1])
        #expect(EmbeddingStatistics.relativeError(reference: [3, 4], [3, 4]) == 0)
    }
}

@Suite("Recipes")
struct RecipeTests {
    @Test("uniform q4_k falls back to q5_0 on 384-wide rows, as llama.cpp does; the FFN output keeps q4_k")
    func kQuantFallback() throws {
        let model = try MiniLM.encoder().model
        let r = try Recipe.uniform(QuantConfig(dtype: .q4K, block: .elements(256)), model: model)
        #expect(r.config(of: "encoder.layer.0.output.dense.weight")?.dtype == .q4K)
        #expect(r.config(of: "encoder.layer.0.attention.self.query.weight")?.dtype == .q5_0)
        let e = try Recipe.uniform(QuantConfig(dtype: .nf4), model: model, embeddings: true)
        #expect(e.entries.count == 39)
    }

    @Test("a recipe file: bert. prefixes dropped, fp32 entries skipped, unknown names and bad blocks refused")
    func recipeFile() throws {
        let model = try MiniLM.encoder().model
        let dir = FileManager.default.temporaryDirectory
        func write(_ s: String) throws -> String {
            let p = dir.appendingPathComponent("qscope-recipe-\(getpid())-\(s.hashValue).json")
            try s.write(to: p, atomically: true, encoding: .utf8)
            return p.path
        }
        let ok = try write(#"{"tensors": {"bert.encoder.layer.1.output.dense.weight": {"dtype": "nf4", "block": 128, "double_quant": true}, "encoder.layer.0.attention.self.key.weight": {"dtype": "q8_0"}, "encoder.layer.2.intermediate.dense.weight": {"dtype": "fp32"}}}"#)
        let r = try Recipe.load(path: ok, model: model)
        #expect(r.entries.map(\.tensor) == ["encoder.layer.0.attention.self.key.weight", "encoder.layer.1.output.dense.weight"])
        #expect(r.entries[1].config == QuantConfig(dtype: .nf4, block: .elements(128), doubleQuant: true))
        #expect(r.entries[0].config.block == .elements(32))
        for bad in [#"{"tensors": {"encoder.layer.9.output.dense.weight": {"dtype": "nf4"}}}"#,
                    #"{"tensors": {"encoder.layer.0.output.dense.weight": {"dtype": "nf4", "block": 100}}}"#,
                    #"{"tensors": {"encoder.layer.0.output.dense.weight": {"dtype": "nvfp4", "block": 64}}}"#,
                    #"{"tensors": {"encoder.layer.0.output.dense.weight": {"dtype": "int9"}}}"#,
                    #"{"tensors": []}"#, "not json"] {
            #expect(throws: InferenceError.self) { try Recipe.load(path: try write(bad), model: model) }
        }
    }

    @Test("exports: llama.cpp names and GGUF types, bitsandbytes skip modules")
    func exports() {
        #expect(RecipeExport.llamaCppName("encoder.layer.3.attention.self.query.weight") == "blk.3.attn_q.weight")
        #expect(RecipeExport.llamaCppName("encoder.layer.0.output.dense.weight") == "blk.0.ffn_down.weight")
        #expect(RecipeExport.llamaCppName("encoder.layer.0.intermediate.dense.weight") == "blk.0.ffn_up.weight")
        #expect(RecipeExport.llamaCppName("embeddings.word_embeddings.weight") == "token_embd.weight")
        let r = Recipe(label: "", entries: [
            .init(tensor: "encoder.layer.1.attention.output.dense.weight", config: QuantConfig(dtype: .q4K, block: .elements(256))),
            .init(tensor: "encoder.layer.1.attention.self.value.weight", config: QuantConfig(dtype: .fp16, block: .tensor)),
            .init(tensor: "encoder.layer.2.attention.self.key.weight", config: QuantConfig(dtype: .nf4)),
        ])
        let (args, unmapped) = RecipeExport.llamaCppArguments(r)
        #expect(args == ["--tensor-type blk.1.attn_output.weight=q4_k", "--tensor-type blk.1.attn_v.weight=f16"])
        #expect(unmapped == ["encoder.layer.2.attention.self.key.weight"])
        #expect(RecipeExport.bitsandbytesSkipModules(r) == ["encoder.layer.1.attention.self.value"])
    }
}
