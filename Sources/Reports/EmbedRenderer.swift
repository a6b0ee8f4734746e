import Inference
import TensorCore
import TUI

/// Renders `qscope embed`: the embeddings as JSON, or one line per sentence as text.
public struct EmbedRenderer: Sendable {
    public var model: String
    public var recipe: Recipe
    public var sentences: [String]
    public var embeddings: [[Float]]
    /// `embed --runs`: the encoding's median and minimum time over the timed runs.
    public var timing: (median: Double, min: Double, runs: Int, threads: Int)?

    public init(model: String, recipe: Recipe, sentences: [String], embeddings: [[Float]]) {
        self.model = model
        self.recipe = recipe
        self.sentences = sentences
        self.embeddings = embeddings
    }

    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .text, .csv, .markdown:
            var out = "\(model) · \(recipe.label) · \(embeddings.count) sentences × \(embeddings.first?.count ?? 0)\n"
            if let t = timing {
                out += "encoding: median \(NumberFormat.fixed(t.median, 1)) ms, min \(NumberFormat.fixed(t.min, 1)) ms over \(t.runs) runs, \(t.threads) threads\n"
            }
            for (s, e) in zip(sentences, embeddings) {
                out += e.prefix(4).map { NumberFormat.fixed(Double($0), 4) }.joined(separator: " ") + " …  " + s + "\n"
            }
            return out
        case .json:
            // One embedding per line: the array of arrays would otherwise run for thousands of lines.
            var out = "{\n  \"model\": \(JSONValue.string(model).serialized()),\n  \"recipe\": \(RecipeJSON.value(recipe).serialized(pretty: false)),\n"
            if let t = timing {
                out += "  \"forward_ms\": " + JSONValue.object([("median", .double(t.median)), ("min", .double(t.min)), ("runs", .int(t.runs)),
                                                              ("threads", .int(t.threads))]).serialized(pretty: false) + ",\n"
            }
            out += "  \"sentences\": \(embeddings.count),\n  \"dimension\": \(embeddings.first?.count ?? 0),\n  \"embeddings\": [\n"
            for (i, e) in embeddings.enumerated() {
                out += "    " + JSONValue.array(e.map { .float($0) }).serialized(pretty: false) + (i + 1 < embeddings.count ? ",\n" : "\n")
            }
            return out + "  ]\n}\n"
        }
    }
}

/// A recipe as JSON: `{"label", "tensors": {NAME: {"dtype", "block", "double_quant"}}}`, the `--recipe` file format
/// with a label beside it.
public enum RecipeJSON {
    public static func value(_ r: Recipe) -> JSONValue {
        .object([("label", .string(r.label)), ("tensors", tensors(r))])
    }

    /// The `tensors` object alone, what `--recipe FILE` reads.
    public static func tensors(_ r: Recipe) -> JSONValue {
        .object(r.entries.map { e in
            (e.tensor, .object([("dtype", .string(e.config.dtype.name)), ("block", e.config.block.jsonValue),
                                ("double_quant", .bool(e.config.doubleQuant))]))
        })
    }
}
