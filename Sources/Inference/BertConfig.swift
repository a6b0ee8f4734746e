/// The architecture figures of a BERT encoder, from the model folder's `config.json`.
///
/// Only what the forward pass needs is read; every count is checked against a generous bound
/// before anything is allocated from it.
public struct BertConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var layerNormEps: Float
    public var vocabSize: Int
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int

    public init(hiddenSize: Int, numAttentionHeads: Int, intermediateSize: Int, numHiddenLayers: Int,
                layerNormEps: Float, vocabSize: Int, maxPositionEmbeddings: Int, typeVocabSize: Int) {
        self.hiddenSize = hiddenSize
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.layerNormEps = layerNormEps
        self.vocabSize = vocabSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
    }

    /// Width of one attention head.
    public var headSize: Int { hiddenSize / numAttentionHeads }

    /// Reads `config.json`. `hidden_act` must be `gelu` (the exact, erf-based GELU that BERT uses);
    /// `position_embedding_type`, when present, must be `absolute`.
    public static func load(path: String) throws(InferenceError) -> BertConfig {
        let f = try JSONFile(path: path)
        let act = try f.string("hidden_act", fallback: "gelu")
        guard act == "gelu" else {
            throw .unsupported(file: path, reason: "hidden_act '\(act)' is not supported; qscope's BERT forward pass implements 'gelu' (erf)")
        }
        let position = try f.string("position_embedding_type", fallback: "absolute")
        guard position == "absolute" else {
            throw .unsupported(file: path, reason: "position_embedding_type '\(position)' is not supported; only 'absolute'")
        }
        let c = BertConfig(
            hiddenSize: try f.int("hidden_size", in: 1...16384),
            numAttentionHeads: try f.int("num_attention_heads", in: 1...1024),
            intermediateSize: try f.int("intermediate_size", in: 1...65536),
            numHiddenLayers: try f.int("num_hidden_layers", in: 1...256),
            layerNormEps: Float(try f.double("layer_norm_eps", in: 0...1, fallback: 1e-12)),
            vocabSize: try f.int("vocab_size", in: 1...4_000_000),
            maxPositionEmbeddings: try f.int("max_position_embeddings", in: 1...65536, fallback: 512),
            typeVocabSize: try f.int("type_vocab_size", in: 1...1024, fallback: 2))
        guard c.hiddenSize % c.numAttentionHeads == 0 else {
            throw .malformedJSON(file: path, reason: "hidden_size \(c.hiddenSize) is not a multiple of num_attention_heads \(c.numAttentionHeads)")
        }
        return c
    }
}
