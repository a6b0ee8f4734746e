import QuantCore

/// How far a recipe moves the model's outputs from the fp32 reference, on one sentence set.
public struct Evaluation: Sendable {
    public var recipe: Recipe
    public var sentences: Int
    /// Each sentence's cosine between its quantized and its fp32 embedding.
    public var cosines: [Double]
    public var cosineMean: Double
    public var cosineMin: Double
    /// Spearman correlation of the pairwise sentence similarities, quantized against fp32.
    public var spearman: Double
    /// Fraction of sentences whose nearest neighbour (by cosine) is the same sentence as in fp32.
    public var top1Agreement: Double
    /// Stored bits of the quantized tensors over their parameter count (0 for fp32).
    public var bitsPerParam: Double
    /// ‖H_q − H‖ / ‖H‖ over every token of the batch, for the embedding output (index 0) and each layer's output.
    public var layerDrift: [Double]
    /// The quantized tensors with their stored bits and weight SQNR.
    public var tensors: [QuantizedWeight]
}

/// The fp32 forward pass over a sentence set, kept to compare recipes against.
public struct Reference: Sendable {
    public let sentences: [String]
    public let batch: TokenBatch
    public let embeddings: [[Float]]
    /// Embedding output and each layer's output, `[tokens, hidden]`.
    public let hiddenStates: [[Float]]
    /// Every encoder Linear layer's input and output (when the reference was built with captures).
    public let captures: [String: LinearCapture]
    let similarities: [Double]
    let nearest: [Int]
}

/// Runs recipes against one fp32 reference.
public struct Evaluator: Sendable {
    public let encoder: SentenceEncoder
    public let reference: Reference
    public let threads: Int

    /// Runs the fp32 pass over `sentences` (with the Linear captures when `capture`).
    public init(encoder: SentenceEncoder, sentences: [String], threads: Int = Parallel.defaultThreads,
                capture: Bool = false) throws(InferenceError) {
        guard !sentences.isEmpty else { throw .noSentences("the sentence set") }
        self.encoder = encoder
        self.threads = threads
        let batch = encoder.tokenize(sentences)
        let (emb, out) = try encoder.run(batch, options: ForwardOptions(threads: threads, keepHiddenStates: true, captureLinears: capture))
        reference = Reference(sentences: sentences, batch: batch, embeddings: emb, hiddenStates: out.hiddenStates.map { $0! },
                              captures: out.captures, similarities: EmbeddingStatistics.pairwiseCosines(emb),
                              nearest: EmbeddingStatistics.nearestNeighbours(emb))
    }

    /// Quantizes with `recipe`, runs the forward pass and compares it with the reference.
    public func evaluate(_ recipe: Recipe) throws(InferenceError) -> Evaluation {
        try evaluate(recipe, weights: recipe.quantize(encoder.model, threads: threads))
    }

    /// Compares the forward pass with `weights` swapped in against the reference.
    public func evaluate(_ recipe: Recipe, weights: QuantizedWeights) throws(InferenceError) -> Evaluation {
        let (emb, out) = try encoder.run(reference.batch, replacing: weights.replacements,
                                         options: ForwardOptions(threads: threads, keepHiddenStates: true))
        let cosines = zip(reference.embeddings, emb).map { EmbeddingStatistics.cosine($0, $1) }
        let nearest = EmbeddingStatistics.nearestNeighbours(emb)
        let agree = zip(reference.nearest, nearest).filter { $0 == $1 }.count
        let drift = zip(reference.hiddenStates, out.hiddenStates).map { EmbeddingStatistics.relativeError(reference: $0, $1!) }
        return Evaluation(recipe: recipe, sentences: emb.count, cosines: cosines,
                          cosineMean: cosines.reduce(0, +) / Double(max(1, cosines.count)), cosineMin: cosines.min() ?? .nan,
                          spearman: EmbeddingStatistics.spearman(reference.similarities, EmbeddingStatistics.pairwiseCosines(emb)),
                          top1Agreement: Double(agree) / Double(max(1, emb.count)), bitsPerParam: weights.bitsPerParam,
                          layerDrift: drift, tensors: weights.tensors)
    }

    /// 1 − the mean cosine with only `replacing` swapped in: the fast path the sensitivity and the allocator
    /// take. A tensor of encoder layer L changes nothing before it, so the pass starts at L from the reference.
    public func meanCosineLoss(replacing: [String: [Float]]) throws(InferenceError) -> Double {
        let first = replacing.keys.map(Evaluator.layer(of:)).min() ?? 0
        var options = ForwardOptions(threads: threads)
        if first > 0 {
            options.startLayer = first
            options.startHidden = reference.hiddenStates[first]
        }
        let out = try encoder.model.forward(reference.batch, replacing: replacing, options: options)
        let emb = encoder.pool(out.lastHidden, batch: reference.batch)
        let mean = zip(reference.embeddings, emb).map { EmbeddingStatistics.cosine($0, $1) }.reduce(0, +) / Double(max(1, emb.count))
        return 1 - mean
    }

    /// The encoder layer a tensor belongs to (0 for the embeddings, which come before every layer).
    static func layer(of name: String) -> Int {
        let parts = name.split(separator: ".")
        if parts.count > 2, parts[0] == "encoder", parts[1] == "layer", let i = Int(parts[2]) { return i }
        return 0
    }
}
