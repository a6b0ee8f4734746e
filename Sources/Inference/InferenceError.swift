import TensorIO

/// Why a model folder, a recipe or a sentence file cannot be used; each case names the file and
/// what was expected, and prints as one sentence a user can act on.
public enum InferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file the model folder needs is missing.
    case missingFile(String)
    /// A JSON file is not valid JSON, or a field has the wrong type or an impossible value.
    case malformedJSON(file: String, reason: String)
    /// The model's configuration asks for something the forward pass does not implement.
    case unsupported(file: String, reason: String)
    /// A tensor the architecture needs is absent from the weights.
    case missingTensor(file: String, name: String)
    /// A tensor has the wrong shape for the configuration.
    case shape(file: String, name: String, expected: [Int], found: [Int])
    /// The vocabulary lacks a token the tokenizer needs, or is unusable.
    case vocabulary(file: String, reason: String)
    /// A recipe names a tensor the model does not have, or a configuration the tensor cannot take.
    case recipe(file: String, reason: String)
    /// Reading the weights failed.
    case tensorFile(TensorFileError)
    /// No sentence to encode.
    case noSentences(String)

    public var description: String {
        switch self {
        case .missingFile(let f): "\(f): no such file (a model folder needs config.json, model.safetensors and vocab.txt or tokenizer.json)"
        case .malformedJSON(let f, let r): "\(f): \(r)"
        case .unsupported(let f, let r): "\(f): \(r)"
        case .missingTensor(let f, let n): "\(f): no tensor named '\(n)' (with or without the 'bert.' prefix)"
        case .shape(let f, let n, let e, let s):
            "\(f): tensor '\(n)' has shape \(s), the configuration needs \(e)"
        case .vocabulary(let f, let r): "\(f): \(r)"
        case .recipe(let f, let r): "\(f): \(r)"
        case .tensorFile(let e): e.description
        case .noSentences(let f): "\(f): no sentence to encode (one sentence per line; empty lines are skipped)"
        }
    }
}
