import Inference
import TensorCore
import TUI

/// Renders `qscope eval`: the end-to-end figures of one recipe and the hidden-state drift per layer.
public struct EvaluationRenderer: Sendable {
    public var model: String
    public var evaluation: Evaluation

    public init(model: String, evaluation: Evaluation) {
        self.model = model
        self.evaluation = evaluation
    }

    /// The layer names of the drift list: `embeddings`, then `layer.0` …
    static func layerName(_ i: Int) -> String { i == 0 ? "embeddings" : "layer.\(i - 1)" }

    /// The figures of an evaluation as JSON fields (shared with allocate's rows).
    static func figures(_ e: Evaluation) -> [(String, JSONValue)] {
        [("cosine_mean", .double(e.cosineMean)), ("cosine_min", .double(e.cosineMin)), ("spearman", .double(e.spearman)),
         ("top1_agreement", .double(e.top1Agreement)), ("bits_per_param", .double(e.bitsPerParam))]
    }

    public func render(_ format: OutputFormat) -> String {
        let e = evaluation
        switch format {
        case .json:
            return JSONValue.object([("model", .string(model)), ("recipe", RecipeJSON.value(e.recipe)), ("sentences", .int(e.sentences))]
                + EvaluationRenderer.figures(e) + [
                    ("layer_drift", .array(e.layerDrift.enumerated().map { i, d in
                        .object([("layer", .string(EvaluationRenderer.layerName(i))), ("rel_err", .double(d))])
                    })),
                    ("cosines", .array(e.cosines.map { .double($0) })),
                    ("tensors", .array(e.tensors.map { t in
                        .object([("name", .string(t.tensor)), ("dtype", .string(t.config.dtype.name)), ("block", t.config.block.jsonValue),
                                 ("double_quant", .bool(t.config.doubleQuant)), ("bits_per_param", .double(Double(t.storedBits) / Double(max(1, t.parameters)))),
                                 ("weight_sqnr_db", .double(t.sqnrDB))])
                    })),
                ]).serialized() + "\n"
        case .markdown:
            var out = "| recipe | bits/param | cosine mean | cosine min | Spearman | top-1 agreement |\n|---|---:|---:|---:|---:|---:|\n"
            out += EvaluationRenderer.markdownRow(e) + "\n"
            out += "| layer | hidden-state rel. error |\n|---|---:|\n"
            for (i, d) in e.layerDrift.enumerated() { out += "| \(EvaluationRenderer.layerName(i)) | \(NumberFormat.compact(d)) |\n" }
            return out
        case .text, .csv:
            var out = "\(model) · \(e.recipe.label) · \(e.sentences) sentences\n"
            out += "bits/param       \(NumberFormat.fixed(e.bitsPerParam, 3))\n"
            out += "cosine mean      \(NumberFormat.fixed(e.cosineMean, 6))   (1 − cos = \(NumberFormat.compact(1 - e.cosineMean)))\n"
            out += "cosine min       \(NumberFormat.fixed(e.cosineMin, 6))\n"
            out += "Spearman         \(NumberFormat.fixed(e.spearman, 6))   (pairwise similarities, quantized vs fp32)\n"
            out += "top-1 agreement  \(NumberFormat.fixed(e.top1Agreement, 4))   (nearest neighbour unchanged)\n"
            out += "hidden-state drift (‖H_q − H‖ / ‖H‖):\n"
            for (i, d) in e.layerDrift.enumerated() {
                out += "  " + EvaluationRenderer.layerName(i).padding(toLength: 12, withPad: " ", startingAt: 0) + NumberFormat.compact(d) + "\n"
            }
            return out
        }
    }

    /// One Markdown table row: recipe, bits, cosine mean and min, Spearman, top-1.
    public static func markdownRow(_ e: Evaluation) -> String {
        "| \(e.recipe.label) | \(NumberFormat.fixed(e.bitsPerParam, 3)) | \(NumberFormat.fixed(e.cosineMean, 6)) | \(NumberFormat.fixed(e.cosineMin, 6)) | \(NumberFormat.fixed(e.spearman, 5)) | \(NumberFormat.fixed(e.top1Agreement, 3)) |"
    }
}
