import QuantCore

/// One Linear layer's input and output for every token of a batch, as the forward pass computed them.
public struct LinearCapture: Sendable {
    /// `[rows, inFeatures]`: the layer's input X.
    public let input: [Float]
    /// `[rows, outFeatures]`: X·Wᵀ + b (before any activation).
    public let output: [Float]
    public let rows: Int
    public let inFeatures: Int
    public let outFeatures: Int
}

/// What a forward pass returns: the last hidden states and, when asked, every layer's and the Linear captures.
public struct ForwardOutput: Sendable {
    /// `[tokens, hidden]`: the encoder's output.
    public var lastHidden: [Float]
    /// The embedding output and each layer's output (`numHiddenLayers + 1` arrays), when `keepHiddenStates`.
    /// A pass started at layer `L` has `nil` for the states before it.
    public var hiddenStates: [[Float]?]
    /// Each encoder Linear weight's name → its input and output, when `captureLinears`.
    public var captures: [String: LinearCapture]
}

/// How to run a forward pass.
public struct ForwardOptions: Sendable {
    /// Worker threads for the products, the attention and the element-wise passes.
    public var threads: Int
    /// Keep each layer's hidden states (for the per-layer drift).
    public var keepHiddenStates: Bool
    /// Keep every Linear layer's input and output (for output SQNR and the LLM.int8() view).
    public var captureLinears: Bool
    /// Start at this encoder layer with `startHidden` as its input (layers before it are taken as given).
    public var startLayer: Int
    public var startHidden: [Float]?

    public init(threads: Int = Parallel.defaultThreads, keepHiddenStates: Bool = false, captureLinears: Bool = false,
                startLayer: Int = 0, startHidden: [Float]? = nil) {
        self.threads = threads
        self.keepHiddenStates = keepHiddenStates
        self.captureLinears = captureLinears
        self.startLayer = startLayer
        self.startHidden = startHidden
    }
}

extension BertModel {
    /// Runs the encoder over `batch` in fp32, with the tensors named in `replacing` swapped for the given
    /// values (a quantized-then-dequantized weight, say; same element count as the original).
    ///
    /// - Throws: `InferenceError.recipe` when a replacement names an unknown tensor or has the wrong size,
    ///   `.unsupported` when a token id or a sentence length does not fit the model.
    public func forward(_ batch: TokenBatch, replacing: [String: [Float]] = [:],
                        options: ForwardOptions = ForwardOptions()) throws(InferenceError) -> ForwardOutput {
        try check(batch, replacing: replacing, options: options)
        let c = config, h = c.hiddenSize, n = batch.tokenCount, threads = max(1, options.threads)
        func tensor(_ name: String) -> [Float] { replacing[name] ?? tensors[name]! }

        var states: [[Float]?] = Array(repeating: nil, count: c.numHiddenLayers + 1)
        var captures: [String: LinearCapture] = [:]
        var x: [Float]
        if options.startLayer > 0, let start = options.startHidden {
            x = start
        } else {
            x = embed(batch, word: tensor(BertModel.embeddingNames[0]), position: tensor(BertModel.embeddingNames[1]),
                      type: tensor(BertModel.embeddingNames[2]), threads: threads)
        }
        if options.keepHiddenStates { states[options.startLayer] = x }

        /// X·Wᵀ + b for the Linear `name` (its `.weight` and `.bias`), captured when asked.
        func linear(_ name: String, _ input: [Float], inFeatures: Int, outFeatures: Int) -> [Float] {
            let w = replacing[name + ".weight"].map { PackedWeight($0, outFeatures: outFeatures, inFeatures: inFeatures) }
                ?? packed[name + ".weight"]!
            let b = tensors[name + ".bias"]!
            let y = [Float](unsafeUninitializedCapacity: n * outFeatures) { buf, count in
                input.withUnsafeBufferPointer { xb in b.withUnsafeBufferPointer { bb in
                    MatrixProduct.linear(xb.baseAddress!, rows: n, weight: w, bias: bb.baseAddress!, into: buf.baseAddress!, threads: threads)
                }}
                count = n * outFeatures
            }
            if options.captureLinears {
                captures[name + ".weight"] = LinearCapture(input: input, output: y, rows: n, inFeatures: inFeatures, outFeatures: outFeatures)
            }
            return y
        }

        for layer in options.startLayer..<c.numHiddenLayers {
            let p = "encoder.layer.\(layer)."
            let q = linear(p + "attention.self.query", x, inFeatures: h, outFeatures: h)
            let k = linear(p + "attention.self.key", x, inFeatures: h, outFeatures: h)
            let v = linear(p + "attention.self.value", x, inFeatures: h, outFeatures: h)
            let context = [Float](unsafeUninitializedCapacity: n * h) { buf, count in
                q.withUnsafeBufferPointer { qb in k.withUnsafeBufferPointer { kb in v.withUnsafeBufferPointer { vb in
                    Kernels.attention(q: qb.baseAddress!, k: kb.baseAddress!, v: vb.baseAddress!, offsets: batch.offsets,
                                      heads: c.numAttentionHeads, headSize: c.headSize, into: buf.baseAddress!, threads: threads)
                }}}
                count = n * h
            }
            var attended = linear(p + "attention.output.dense", context, inFeatures: h, outFeatures: h)
            layerNorm(&attended, residual: x, name: p + "attention.output.LayerNorm", threads: threads)
            var inner = linear(p + "intermediate.dense", attended, inFeatures: h, outFeatures: c.intermediateSize)
            inner.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: $0.count, threads: threads) }
            var out = linear(p + "output.dense", inner, inFeatures: c.intermediateSize, outFeatures: h)
            layerNorm(&out, residual: attended, name: p + "output.LayerNorm", threads: threads)
            x = out
            if options.keepHiddenStates { states[layer + 1] = x }
        }
        return ForwardOutput(lastHidden: x, hiddenStates: options.keepHiddenStates ? states : [], captures: captures)
    }

    /// `x = LayerNorm(x + residual)` with the LayerNorm `name`.
    private func layerNorm(_ x: inout [Float], residual: [Float], name: String, threads: Int) {
        let g = tensors[name + ".weight"]!, b = tensors[name + ".bias"]!
        let width = config.hiddenSize, rows = x.count / width, eps = config.layerNormEps
        x.withUnsafeMutableBufferPointer { xb in residual.withUnsafeBufferPointer { rb in
            g.withUnsafeBufferPointer { gb in b.withUnsafeBufferPointer { bb in
                Kernels.addLayerNorm(UnsafePointer(xb.baseAddress!), rb.baseAddress!, rows: rows, width: width,
                                     gamma: gb.baseAddress!, beta: bb.baseAddress!, eps: eps, into: xb.baseAddress!, threads: threads)
            }}
        }}
    }

    /// Word + position + token type 0 embeddings, then the embedding LayerNorm.
    private func embed(_ batch: TokenBatch, word: [Float], position: [Float], type: [Float], threads: Int) -> [Float] {
        let h = config.hiddenSize, n = batch.tokenCount
        var x = [Float](repeating: 0, count: n * h)
        for s in 0..<batch.sentenceCount {
            let range = batch.tokens(of: s)
            for (pos, t) in range.enumerated() {
                let id = Int(batch.ids[t])
                for i in 0..<h { x[t * h + i] = word[id * h + i] + position[pos * h + i] + type[i] }
            }
        }
        let g = tensors["embeddings.LayerNorm.weight"]!, b = tensors["embeddings.LayerNorm.bias"]!
        x.withUnsafeMutableBufferPointer { xb in g.withUnsafeBufferPointer { gb in b.withUnsafeBufferPointer { bb in
            Kernels.addLayerNorm(UnsafePointer(xb.baseAddress!), nil, rows: n, width: h, gamma: gb.baseAddress!,
                                 beta: bb.baseAddress!, eps: config.layerNormEps, into: xb.baseAddress!, threads: threads)
        }}}
        return x
    }

    /// Refuses ids outside the vocabulary, sentences longer than the position table, and replacements that do not fit.
    private func check(_ batch: TokenBatch, replacing: [String: [Float]], options: ForwardOptions) throws(InferenceError) {
        let c = config
        for id in batch.ids where id < 0 || Int(id) >= c.vocabSize {
            throw .unsupported(file: folder, reason: "token id \(id) is outside the vocabulary of \(c.vocabSize)")
        }
        for s in 0..<batch.sentenceCount where batch.tokens(of: s).count > c.maxPositionEmbeddings {
            throw .unsupported(file: folder, reason: "a sentence of \(batch.tokens(of: s).count) tokens exceeds the \(c.maxPositionEmbeddings) positions")
        }
        for (name, values) in replacing {
            guard let original = tensors[name] else {
                throw .recipe(file: folder, reason: "the model has no tensor named '\(name)'")
            }
            guard original.count == values.count else {
                throw .recipe(file: folder, reason: "'\(name)' holds \(original.count) values; its replacement \(values.count)")
            }
        }
        if options.startLayer > 0 {
            guard options.startLayer < c.numHiddenLayers, options.startHidden?.count == batch.tokenCount * c.hiddenSize else {
                throw .unsupported(file: folder, reason: "a pass started at layer \(options.startLayer) needs that layer's input for every token")
            }
        }
    }
}
