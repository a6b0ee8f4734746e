import Foundation
import QuantCore

/// A sentence-transformers model: the BERT encoder, its tokenizer, the pooling and the optional L2
/// normalisation, as the folder's `modules.json` lists them.
///
/// The public entry points for the evaluation and for the workbench: `encode(_:replacing:)` for
/// embeddings with some weights swapped, `run(_:replacing:options:)` for the hidden states and the
/// Linear captures as well.
public struct SentenceEncoder: Sendable {
    /// How token vectors become one sentence vector.
    public enum Pooling: String, Sendable {
        /// The mean over the sentence's tokens (all of them carry attention mask 1, `[CLS]` and `[SEP]` included).
        case mean
        /// The `[CLS]` token's vector.
        case cls
    }

    public let model: BertModel
    public let tokenizer: WordPieceTokenizer
    public let pooling: Pooling
    /// Whether `modules.json` lists `Normalize` (unit-length embeddings).
    public let normalize: Bool

    public init(model: BertModel, tokenizer: WordPieceTokenizer, pooling: Pooling, normalize: Bool) {
        self.model = model
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.normalize = normalize
    }

    /// Reads a sentence-transformers folder: `config.json`, `model.safetensors`, `vocab.txt` (or
    /// `tokenizer.json`), and when present `modules.json`, the pooling module's `config.json` and
    /// `sentence_bert_config.json` (whose `max_seq_length` caps the tokens per sentence; without it the
    /// position table does). Without `modules.json`: mean pooling, no normalisation.
    public static func load(folder: String) throws(InferenceError) -> SentenceEncoder {
        let model = try BertModel.load(folder: folder)
        var maxLength = model.config.maxPositionEmbeddings
        let sbert = folder + "/sentence_bert_config.json"
        if FileManager.default.fileExists(atPath: sbert) {
            maxLength = min(maxLength, try JSONFile(path: sbert).int("max_seq_length", in: 2...65536, fallback: maxLength))
        }
        let tokenizer = try WordPieceTokenizer.load(folder: folder, maxLength: maxLength)
        var pooling = Pooling.mean, normalize = false
        let modulesPath = folder + "/modules.json"
        if FileManager.default.fileExists(atPath: modulesPath) {
            guard let modules = try JSONFile.parse(path: modulesPath) as? [[String: Any]] else {
                throw .malformedJSON(file: modulesPath, reason: "expected an array of module objects")
            }
            for module in modules {
                let type = module["type"] as? String ?? ""
                if type.hasSuffix("Normalize") { normalize = true }
                if type.hasSuffix("Pooling") {
                    let sub = module["path"] as? String ?? ""
                    guard !sub.contains("..") else { throw .malformedJSON(file: modulesPath, reason: "module path '\(sub)' leaves the folder") }
                    pooling = try readPooling(path: folder + "/" + (sub.isEmpty ? "" : sub + "/") + "config.json")
                }
            }
        }
        return SentenceEncoder(model: model, tokenizer: tokenizer, pooling: pooling, normalize: normalize)
    }

    /// The pooling module's mode: mean or CLS; max and sqrt-length pooling are refused.
    static func readPooling(path: String) throws(InferenceError) -> Pooling {
        let f = try JSONFile(path: path)
        let maxTokens = try f.bool("pooling_mode_max_tokens", fallback: false)
        let sqrtLength = try f.bool("pooling_mode_mean_sqrt_len_tokens", fallback: false)
        if maxTokens || sqrtLength {
            throw .unsupported(file: path, reason: "max and sqrt-length pooling are not supported; qscope pools by mean or CLS")
        }
        if try f.bool("pooling_mode_cls_token", fallback: false) { return .cls }
        if let mode = f.object["pooling_mode"] as? String { return mode == "cls" ? .cls : .mean }
        return .mean
    }

    /// The sentences' token ids, packed.
    public func tokenize(_ sentences: [String]) -> TokenBatch {
        TokenBatch(sentences.map(tokenizer.encode))
    }

    /// Sentence embeddings, with the tensors in `replacing` swapped for the given values.
    public func encode(_ sentences: [String], replacing: [String: [Float]] = [:],
                       threads: Int = Parallel.defaultThreads) throws(InferenceError) -> [[Float]] {
        let batch = tokenize(sentences)
        return try run(batch, replacing: replacing, options: ForwardOptions(threads: threads)).embeddings
    }

    /// The embeddings and the forward pass behind them (hidden states and captures as `options` asks).
    public func run(_ batch: TokenBatch, replacing: [String: [Float]] = [:],
                    options: ForwardOptions = ForwardOptions()) throws(InferenceError) -> (embeddings: [[Float]], output: ForwardOutput) {
        let output = try model.forward(batch, replacing: replacing, options: options)
        return (pool(output.lastHidden, batch: batch), output)
    }

    /// One vector per sentence from the last hidden states: mean or CLS, then L2 normalisation when listed.
    public func pool(_ hidden: [Float], batch: TokenBatch) -> [[Float]] {
        let h = model.config.hiddenSize
        return (0..<batch.sentenceCount).map { s in
            let range = batch.tokens(of: s)
            var v = [Float](repeating: 0, count: h)
            switch pooling {
            case .cls:
                if let first = range.first { for i in 0..<h { v[i] = hidden[first * h + i] } }
            case .mean:
                for t in range { for i in 0..<h { v[i] += hidden[t * h + i] } }
                let inv = 1 / Float(max(1, range.count))
                for i in 0..<h { v[i] *= inv }
            }
            if normalize {
                // sentence-transformers' Normalize: x / max(‖x‖, 1e-12).
                var sq: Float = 0
                for x in v { sq += x * x }
                let inv = 1 / max(sq.squareRoot(), 1e-12)
                for i in 0..<h { v[i] *= inv }
            }
            return v
        }
    }
}
