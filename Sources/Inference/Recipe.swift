import Foundation
import QuantCore

/// Which weight tensors are quantized, and how: one qscope configuration per tensor.
///
/// Tensors a recipe does not name stay fp32 (the LayerNorms and biases always do; the embedding
/// tables unless asked). Names are the model's canonical names (`encoder.layer.0.output.dense.weight`);
/// a `bert.` prefix in a recipe file is accepted and dropped.
public struct Recipe: Sendable, Equatable {
    /// One tensor's configuration.
    public struct Entry: Sendable, Equatable {
        public var tensor: String
        public var config: QuantConfig
        public init(tensor: String, config: QuantConfig) {
            self.tensor = tensor
            self.config = config
        }
    }

    /// A short label for tables: `fp32`, `nf4 b64`, a file's name, `allocated 4.5`.
    public var label: String
    /// In the model's tensor order.
    public var entries: [Entry]

    public init(label: String, entries: [Entry]) {
        self.label = label
        self.entries = entries
    }

    /// Nothing quantized: the reference.
    public static let fp32 = Recipe(label: "fp32", entries: [])

    /// The configuration of `tensor`, or nil when it stays fp32.
    public func config(of tensor: String) -> QuantConfig? { entries.first { $0.tensor == tensor }?.config }

    /// Every encoder Linear weight (and the embedding tables when `embeddings`) with `config`.
    ///
    /// A K-quant whose 256-value blocks do not divide a tensor's rows falls back as llama.cpp's quantizer
    /// falls back: `q2_k`/`q3_k` to `iq4_nl`, `q4_k` to `q5_0`, `q5_k` to `q5_1`, `q6_k` to `q8_0` (MiniLM's
    /// 384-wide rows take the fallback; the FFN output's 1536-wide rows keep the K-quant).
    public static func uniform(_ config: QuantConfig, model: BertModel, embeddings: Bool = false) throws(InferenceError) -> Recipe {
        try uniform(config, model: model, tensors: model.linearWeightNames + (embeddings ? BertModel.embeddingNames : []))
    }

    /// `config` for each of `names` (with the same K-quant fallback).
    public static func uniform(_ config: QuantConfig, model: BertModel, tensors names: [String]) throws(InferenceError) -> Recipe {
        var entries: [Entry] = []
        for name in names {
            guard let cols = model.shapes[name]?.last else {
                throw .recipe(file: model.folder, reason: "the model has no tensor named '\(name)'")
            }
            var c = config
            if (try? c.validate(cols: cols)) == nil, let fallback = llamaCppFallback(c.dtype) {
                c = QuantConfig(dtype: fallback, block: .elements(fallback.fixedBlock ?? 32), doubleQuant: false)
            }
            do { try c.validate(cols: cols) } catch {
                throw .recipe(file: model.folder, reason: "\(name): \(error.description)")
            }
            entries.append(Entry(tensor: name, config: c))
        }
        return Recipe(label: label(config), entries: entries)
    }

    /// llama.cpp's replacement for a K-quant on rows that do not hold whole 256-value blocks.
    public static func llamaCppFallback(_ dtype: DataType) -> DataType? {
        switch dtype {
        case .q2K, .q3K: .iq4NL
        case .q4K: .q5_0
        case .q5K: .q5_1
        case .q6K: .q8_0
        default: nil
        }
    }

    /// `nf4 b64`, `nf4 b64 +dq`, `int8 row`, `q4_k`, `nvfp4` (formats with a fixed block are named without it).
    public static func label(_ c: QuantConfig) -> String {
        var s = c.dtype.name
        if c.dtype.fixedBlock == nil && c.dtype.family != .cast {
            if case .elements(let n) = c.block { s += " b\(n)" } else { s += " \(c.block)" }
        }
        if c.doubleQuant { s += " +dq" }
        return s
    }

    /// Reads `{"tensors": {NAME: {"dtype": …, "block": …, "double_quant": …}}}`.
    ///
    /// `block` is a number, `row`, `column` or `tensor` (default: the format's fixed block, else 64);
    /// `double_quant` defaults to false; `"dtype": "fp32"` leaves the tensor unquantized. Every name must
    /// be a weight of the model and every configuration valid for its shape.
    public static func load(path: String, model: BertModel) throws(InferenceError) -> Recipe {
        let root = try JSONFile(path: path)
        guard let tensors = root.object["tensors"] as? [String: Any] else {
            throw .recipe(file: path, reason: "expected {\"tensors\": {NAME: {\"dtype\": …, \"block\": …, \"double_quant\": …}}}")
        }
        var byName: [String: QuantConfig] = [:]
        let known = Set(model.linearWeightNames + BertModel.embeddingNames)
        for (rawName, value) in tensors {
            let name = rawName.hasPrefix("bert.") ? String(rawName.dropFirst(5)) : rawName
            guard known.contains(name) else {
                throw .recipe(file: path, reason: "'\(rawName)' is not an encoder Linear weight or embedding table of the model")
            }
            guard let spec = value as? [String: Any], let dtypeName = spec["dtype"] as? String else {
                throw .recipe(file: path, reason: "'\(rawName)' needs an object with a \"dtype\"")
            }
            if ["fp32", "f32", "float32"].contains(dtypeName.lowercased()) { continue }
            guard let dtype = DataType(name: dtypeName) else {
                throw .recipe(file: path, reason: "'\(rawName)': unknown dtype '\(dtypeName)'")
            }
            var block = BlockSize.elements(dtype.fixedBlock ?? 64)
            if let raw = spec["block"] {
                let text = (raw as? String) ?? JSONFile.number(raw).flatMap { Int(exactly: $0.doubleValue) }.map(String.init) ?? ""
                guard let b = BlockSize(argument: text) else {
                    throw .recipe(file: path, reason: "'\(rawName)': block must be 16…4096, row, column or tensor")
                }
                block = b
            }
            var dq = false
            if let raw = spec["double_quant"] {
                guard JSONFile.number(raw) == nil, let b = raw as? Bool else {
                    throw .recipe(file: path, reason: "'\(rawName)': double_quant must be true or false")
                }
                dq = b
            }
            let config = QuantConfig(dtype: dtype, block: block, doubleQuant: dq)
            do { try config.validate(cols: model.shapes[name]!.last!) } catch {
                throw .recipe(file: path, reason: "'\(rawName)': \(error.description)")
            }
            byName[name] = config
        }
        let order = model.linearWeightNames + BertModel.embeddingNames
        let entries = order.compactMap { n in byName[n].map { Entry(tensor: n, config: $0) } }
        return Recipe(label: URL(fileURLWithPath: path).lastPathComponent, entries: entries)
    }

    /// Quantizes every tensor the recipe names and decodes it again.
    public func quantize(_ model: BertModel, threads: Int = Parallel.defaultThreads) throws(InferenceError) -> QuantizedWeights {
        var out = QuantizedWeights()
        for e in entries {
            guard let values = model.tensors[e.tensor], let shape = model.shapes[e.tensor] else {
                throw .recipe(file: model.folder, reason: "the model has no tensor named '\(e.tensor)'")
            }
            let q: QuantizedTensor
            do {
                q = try Quantizer.quantize(values, rows: values.count / shape.last!, cols: shape.last!, config: e.config, threads: threads)
            } catch {
                throw .recipe(file: model.folder, reason: "\(e.tensor): \(error.description)")
            }
            out.add(QuantizedWeight(tensor: e.tensor, config: e.config, storedBits: q.storedBits, parameters: values.count,
                                    sqnrDB: QuantizedWeights.sqnr(values, q.dequantized)), values: q.dequantized)
        }
        return out
    }
}

/// One tensor as a recipe quantized it.
public struct QuantizedWeight: Sendable, Equatable {
    public var tensor: String
    public var config: QuantConfig
    /// Codes, scales and every other stored bit (`QuantizedTensor.storedBits`).
    public var storedBits: Int
    public var parameters: Int
    /// 10·log10(Σw² / Σ(w − ŵ)²) over the tensor.
    public var sqnrDB: Double
}

/// The dequantized weights of a recipe, ready to replace the originals in a forward pass.
public struct QuantizedWeights: Sendable {
    /// Tensor name → decoded values.
    public var replacements: [String: [Float]] = [:]
    public var tensors: [QuantizedWeight] = []

    public init() {}

    mutating func add(_ w: QuantizedWeight, values: [Float]) {
        tensors.append(w)
        replacements[w.tensor] = values
    }

    /// Stored bits of the quantized tensors over their parameter count (0 when nothing is quantized).
    public var bitsPerParam: Double {
        let params = tensors.reduce(0) { $0 + $1.parameters }
        return params == 0 ? 0 : Double(tensors.reduce(0) { $0 + $1.storedBits }) / Double(params)
    }

    /// 10·log10(Σx² / Σ(x − x̂)²); +∞ when nothing changed.
    public static func sqnr(_ x: [Float], _ y: [Float]) -> Double {
        var signal = 0.0, noise = 0.0
        for i in 0..<min(x.count, y.count) {
            let a = Double(x[i]), d = a - Double(y[i])
            signal += a * a
            noise += d * d
        }
        return noise == 0 ? .infinity : 10 * log10(signal / noise)
    }
}
