/// llama.cpp's tensor names and the Hugging Face names they come from, so that a GGUF file made by
/// `convert_hf_to_gguf.py` can be compared with the checkpoint it was converted from.
///
/// The table is gguf-py's `TensorNameMap` (`tensor_mapping.py`) for the Llama family (`model.layers.N.…`,
/// and the same without `model.` as a bare `LlamaModel` stores it) and for BERT (`encoder.layer.N.…`,
/// with or without the `bert.` prefix the converter strips, and the old `gamma`/`beta` LayerNorm names).
/// Other architectures whose converters keep these Hugging Face names (Mistral, Qwen2, …) match too.
///
/// The converter also reorders rows: for a Llama it stores `q_proj` and `k_proj` as
/// `permute(w, n_head, n_head_kv)`, each head's rows reshaped `(2, head_dim / 2)` and transposed
/// (rotary embedding's interleaved pairs). `rowOrder` undoes that.
enum LlamaCppNames {
    /// llama.cpp's per-file tensors → Hugging Face names (without `.weight` / `.bias`).
    static let global: [String: [String]] = [
        "token_embd": ["model.embed_tokens", "embed_tokens", "embeddings.word_embeddings", "transformer.wte", "model.tok_embeddings"],
        "token_types": ["embeddings.token_type_embeddings"],
        "token_embd_norm": ["embeddings.LayerNorm"],
        "position_embd": ["embeddings.position_embeddings", "transformer.wpe"],
        "output": ["lm_head"],
        "output_norm": ["model.norm", "norm", "transformer.ln_f"],
    ]

    /// llama.cpp's per-layer tensors (`blk.N.PART`) → Hugging Face names, `{bid}` the layer.
    static let block: [String: [String]] = [
        "attn_norm": ["model.layers.{bid}.input_layernorm", "layers.{bid}.input_layernorm"],
        "attn_q": ["model.layers.{bid}.self_attn.q_proj", "layers.{bid}.self_attn.q_proj", "encoder.layer.{bid}.attention.self.query"],
        "attn_k": ["model.layers.{bid}.self_attn.k_proj", "layers.{bid}.self_attn.k_proj", "encoder.layer.{bid}.attention.self.key"],
        "attn_v": ["model.layers.{bid}.self_attn.v_proj", "layers.{bid}.self_attn.v_proj", "encoder.layer.{bid}.attention.self.value"],
        "attn_output": ["model.layers.{bid}.self_attn.o_proj", "layers.{bid}.self_attn.o_proj", "encoder.layer.{bid}.attention.output.dense"],
        "attn_output_norm": ["encoder.layer.{bid}.attention.output.LayerNorm"],
        "ffn_norm": ["model.layers.{bid}.post_attention_layernorm", "layers.{bid}.post_attention_layernorm"],
        "ffn_gate": ["model.layers.{bid}.mlp.gate_proj", "layers.{bid}.mlp.gate_proj"],
        "ffn_up": ["model.layers.{bid}.mlp.up_proj", "layers.{bid}.mlp.up_proj", "encoder.layer.{bid}.intermediate.dense"],
        "ffn_down": ["model.layers.{bid}.mlp.down_proj", "layers.{bid}.mlp.down_proj", "encoder.layer.{bid}.output.dense"],
        "layer_output_norm": ["encoder.layer.{bid}.output.LayerNorm"],
    ]

    /// Architectures whose converter permutes the Q and K rows (`LlamaModel.permute`).
    static let permutingArchitectures: Set<String> = ["llama"]

    /// A llama.cpp name taken apart: the layer (nil for per-file tensors), the part and the suffix.
    struct Parsed: Equatable {
        var layer: Int?
        var part: String
        var suffix: String
    }

    static func parse(_ name: String) -> Parsed? {
        let pieces = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if pieces.count == 4, pieces[0] == "blk", let layer = Int(pieces[1]), layer >= 0, block[pieces[2]] != nil {
            return Parsed(layer: layer, part: pieces[2], suffix: pieces[3])
        }
        if pieces.count == 2, global[pieces[0]] != nil { return Parsed(layer: nil, part: pieces[0], suffix: pieces[1]) }
        return nil
    }

    /// The Hugging Face names a llama.cpp tensor may have come from, most likely first; empty for a
    /// name outside the table.
    static func huggingFaceCandidates(for name: String) -> [String] {
        guard let p = parse(name) else { return [] }
        let bases = p.layer.map { layer in block[p.part]!.map { $0.replacingOccurrences(of: "{bid}", with: String(layer)) } }
            ?? global[p.part]!
        var suffixes = [p.suffix]
        if bases.contains(where: { $0.hasSuffix("LayerNorm") }) {
            if p.suffix == "weight" { suffixes.append("gamma") }
            if p.suffix == "bias" { suffixes.append("beta") }
        }
        var out: [String] = []
        for base in bases {
            let bert = base.hasPrefix("encoder.") || base.hasPrefix("embeddings.")
            for s in suffixes {
                out.append("\(base).\(s)")
                if bert { out.append("bert.\(base).\(s)") }
            }
        }
        return out
    }

    /// How many heads the converter permuted the rows of `name` by, when a file of `architecture` stores
    /// it permuted: `head_count` for Q, `head_count_kv` (else `head_count`) for K. Nil when the tensor
    /// is not permuted; `.failure` with the reason when it is but the metadata does not say how.
    static func permutationHeads(for name: String, metadata: [String: String]) -> Result<Int, PermutationUnknown>? {
        guard let p = parse(name), p.layer != nil, p.part == "attn_q" || p.part == "attn_k",
              let arch = metadata["general.architecture"], permutingArchitectures.contains(arch) else { return nil }
        let key = "\(arch).attention.head_count"
        let heads = p.part == "attn_k" ? (metadata[key + "_kv"] ?? metadata[key]) : metadata[key]
        guard let text = heads, let n = Int(text), n > 0 else {
            return .failure(PermutationUnknown(reason: "the GGUF metadata has no integer \(p.part == "attn_k" ? key + "_kv" : key) to undo llama.cpp's Q/K row permutation with"))
        }
        return .success(n)
    }

    /// `sourceRow[r]`: the row of the converter's output that holds Hugging Face row `r`, for `rows` rows
    /// permuted by `heads` heads; nil unless each head holds an even number of rows.
    ///
    /// `permute` reshapes the rows as `(heads, 2, d / 2)` (d = rows ÷ heads) and swaps the last two
    /// axes: Hugging Face row `h·d + j·d/2 + i` is stored at row `h·d + 2i + j`.
    static func rowOrder(rows: Int, heads: Int) -> [Int]? {
        guard heads > 0, rows > 0, rows % heads == 0, (rows / heads) % 2 == 0 else { return nil }
        let d = rows / heads, half = d / 2
        var order = [Int](repeating: 0, count: rows)
        for h in 0..<heads {
            for j in 0..<2 {
                for i in 0..<half { order[h * d + j * half + i] = h * d + 2 * i + j }
            }
        }
        return order
    }

    struct PermutationUnknown: Error, Equatable {
        var reason: String
    }
}
