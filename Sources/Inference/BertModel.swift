import Foundation
import TensorIO

/// A BERT encoder's weights and configuration, read from a model folder.
///
/// Tensors are kept as `Float` by their canonical name, the name without the `bert.` prefix that
/// some checkpoints carry (`encoder.layer.0.attention.self.query.weight`); recipes and captures use
/// the same names. F32, F16 and BF16 storage are converted on reading.
public struct BertModel: Sendable {
    public let config: BertConfig
    /// The folder the model was read from.
    public let folder: String
    /// Every tensor the forward pass uses, by canonical name.
    public let tensors: [String: [Float]]
    /// Each tensor's shape, row-major.
    public let shapes: [String: [Int]]
    /// The encoder Linear weights rearranged for the matrix-product kernel once, at load.
    let packed: [String: PackedWeight]

    public init(config: BertConfig, folder: String, tensors: [String: [Float]], shapes: [String: [Int]]) {
        self.config = config
        self.folder = folder
        self.tensors = tensors
        self.shapes = shapes
        var packed: [String: PackedWeight] = [:]
        for i in 0..<config.numHiddenLayers {
            for name in BertModel.linearNames(layer: i) {
                if let w = tensors[name], let s = shapes[name], s.count == 2 { packed[name] = PackedWeight(w, outFeatures: s[0], inFeatures: s[1]) }
            }
        }
        self.packed = packed
    }

    /// The six Linear weights of encoder layer `i`, in the order the forward pass applies them.
    public static func linearNames(layer i: Int) -> [String] {
        let p = "encoder.layer.\(i)."
        return [p + "attention.self.query.weight", p + "attention.self.key.weight", p + "attention.self.value.weight",
                p + "attention.output.dense.weight", p + "intermediate.dense.weight", p + "output.dense.weight"]
    }

    /// Every encoder Linear weight, layer by layer (what a uniform recipe quantizes).
    public var linearWeightNames: [String] { (0..<config.numHiddenLayers).flatMap(BertModel.linearNames(layer:)) }

    /// The word, position and token-type embedding tables (quantized only when a recipe asks).
    public static let embeddingNames = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                                        "embeddings.token_type_embeddings.weight"]

    /// Every tensor name and the shape the configuration gives it.
    static func expectedShapes(_ c: BertConfig) -> [(String, [Int])] {
        let h = c.hiddenSize, f = c.intermediateSize
        var out: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [c.vocabSize, h]),
            ("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, h]),
            ("embeddings.token_type_embeddings.weight", [c.typeVocabSize, h]),
            ("embeddings.LayerNorm.weight", [h]), ("embeddings.LayerNorm.bias", [h]),
        ]
        for i in 0..<c.numHiddenLayers {
            let p = "encoder.layer.\(i)."
            for (name, shape) in [("attention.self.query", [h, h]), ("attention.self.key", [h, h]), ("attention.self.value", [h, h]),
                                  ("attention.output.dense", [h, h]), ("intermediate.dense", [f, h]), ("output.dense", [h, f])] {
                out.append((p + name + ".weight", shape))
                out.append((p + name + ".bias", [shape[0]]))
            }
            for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
                out.append((p + ln + ".weight", [h]))
                out.append((p + ln + ".bias", [h]))
            }
        }
        return out
    }

    /// Reads `config.json` and `model.safetensors` from `folder`.
    ///
    /// - Throws: `InferenceError` naming the missing file or tensor, or the shape that does not fit.
    public static func load(folder: String) throws(InferenceError) -> BertModel {
        let config = try BertConfig.load(path: folder + "/config.json")
        let weightsPath = folder + "/model.safetensors"
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw .missingFile(weightsPath) }
        let file: TensorFile
        do { file = try TensorFile.open(weightsPath) } catch { throw .tensorFile(error) }
        var tensors: [String: [Float]] = [:], shapes: [String: [Int]] = [:]
        for (name, shape) in expectedShapes(config) {
            guard let info = file.info(named: name) ?? file.info(named: "bert." + name) else {
                throw .missingTensor(file: weightsPath, name: name)
            }
            guard info.shape == shape else { throw .shape(file: weightsPath, name: info.name, expected: shape, found: info.shape) }
            guard info.isFloatConvertible, !info.isInteger else {
                throw .unsupported(file: weightsPath, reason: "tensor '\(info.name)' has dtype \(info.dtype); weights must be floating point")
            }
            do { tensors[name] = try file.load(info.name).values } catch { throw .tensorFile(error) }
            shapes[name] = shape
        }
        return BertModel(config: config, folder: folder, tensors: tensors, shapes: shapes)
    }

    /// A tensor's values (force-unwrapped: `load` checked that every tensor of the architecture is there).
    func weight(_ name: String) -> [Float] { tensors[name]! }
}
