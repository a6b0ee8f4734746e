import QuantCore

/// A recipe in the forms other tools take: llama.cpp's `llama-quantize --tensor-type` arguments and
/// bitsandbytes' list of modules to keep out of 4-bit.
public enum RecipeExport {
    /// llama.cpp's name for a BERT tensor (`encoder.layer.3.attention.self.query.weight` → `blk.3.attn_q.weight`),
    /// as its converter writes BERT models; nil for a tensor it has no name for.
    public static func llamaCppName(_ tensor: String) -> String? {
        let embeddings = ["embeddings.word_embeddings.weight": "token_embd.weight",
                          "embeddings.position_embeddings.weight": "position_embd.weight",
                          "embeddings.token_type_embeddings.weight": "token_types.weight"]
        if let e = embeddings[tensor] { return e }
        let parts = tensor.split(separator: ".", maxSplits: 3)
        guard parts.count == 4, parts[0] == "encoder", parts[1] == "layer", let i = Int(parts[2]) else { return nil }
        let suffix = ["attention.self.query.weight": "attn_q", "attention.self.key.weight": "attn_k",
                      "attention.self.value.weight": "attn_v", "attention.output.dense.weight": "attn_output",
                      "intermediate.dense.weight": "ffn_up", "output.dense.weight": "ffn_down"][String(parts[3])]
        return suffix.map { "blk.\(i).\($0).weight" }
    }

    /// The GGUF type name `llama-quantize` accepts for a configuration, or nil where GGUF has none
    /// (NF4, FP4, the symmetric integers with their own blocks, NVFP4, ...).
    public static func ggufType(_ c: QuantConfig) -> String? {
        if c.dtype.family == .ggml { return c.dtype.name }
        switch c.dtype {
        case .fp16: return "f16"
        case .bf16: return "bf16"
        default: return nil
        }
    }

    /// `--tensor-type NAME=TYPE` for every tensor with a GGUF type; the others are returned apart.
    public static func llamaCppArguments(_ recipe: Recipe) -> (arguments: [String], unmapped: [String]) {
        var args: [String] = [], missing: [String] = []
        for e in recipe.entries {
            if let name = llamaCppName(e.tensor), let type = ggufType(e.config) {
                args.append("--tensor-type \(name)=\(type)")
            } else {
                missing.append(e.tensor)
            }
        }
        return (args, missing)
    }

    /// The modules bitsandbytes should leave in 16-bit (`llm_int8_skip_modules` of `BitsAndBytesConfig`):
    /// the Linear layers whose weight the recipe keeps as fp16 or bf16, named as in the Hugging Face `BertModel`.
    public static func bitsandbytesSkipModules(_ recipe: Recipe) -> [String] {
        recipe.entries.filter { $0.config.dtype.family == .cast && $0.tensor.hasSuffix(".weight") }
            .map { String($0.tensor.dropLast(".weight".count)) }
    }
}
