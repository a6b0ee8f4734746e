import Inference
import TensorCore
import TUI

/// Renders `qscope sensitivity`: one row per tensor, largest end-to-end effect first, with the three rankings.
public struct SensitivityRenderer: Sendable {
    public var model: String
    public var recipe: Recipe
    public var sentences: Int
    public var rows: [SensitivityRow]

    public init(model: String, recipe: Recipe, sentences: Int, rows: [SensitivityRow]) {
        self.model = model
        self.recipe = recipe
        self.sentences = sentences
        self.rows = rows
    }

    public func render(_ format: OutputFormat) -> String {
        let agreement = Sensitivity.rankAgreement(rows)
        let summary = "Spearman of the end-to-end order with the weight-SQNR order \(NumberFormat.fixed(agreement.weight, 3)), with the output-SQNR order \(NumberFormat.fixed(agreement.output, 3)).\n"
        switch format {
        case .json:
            return JSONValue.object([
                ("model", .string(model)), ("recipe", RecipeJSON.value(recipe)), ("sentences", .int(sentences)),
                ("disagree_places", .int(Sensitivity.disagreementPlaces)),
                ("spearman_weight", .double(agreement.weight)), ("spearman_output", .double(agreement.output)),
                ("tensors", .array(rows.map { r in
                    .object([("name", .string(r.tensor)), ("dtype", .string(r.config.dtype.name)), ("block", r.config.block.jsonValue),
                             ("one_minus_cosine", .double(r.oneMinusCosine)), ("weight_sqnr_db", .double(r.weightSQNR)),
                             ("output_sqnr_db", .double(r.outputSQNR)), ("rank_end_to_end", .int(r.rankEndToEnd)),
                             ("rank_weight", .int(r.rankWeight)), ("rank_output", .int(r.rankOutput)), ("disagree", .bool(r.disagree)),
                             ("disagree_weight", .bool(r.disagreeWeight)), ("disagree_output", .bool(r.disagreeOutput))])
                })),
            ]).serialized() + "\n"
        case .markdown:
            var out = "| # | tensor | config | 1 − cos | weight SQNR dB | output SQNR dB | rank weight | rank output |\n"
            out += "|---:|---|---|---:|---:|---:|---:|---:|\n"
            for r in rows {
                out += "| \(r.rankEndToEnd) | \(r.tensor) | \(Recipe.label(r.config)) | \(NumberFormat.compact(r.oneMinusCosine)) | \(NumberFormat.fixed(r.weightSQNR, 2)) | \(NumberFormat.fixed(r.outputSQNR, 2)) | \(r.rankWeight)\(r.disagreeWeight ? " ✗" : "") | \(r.rankOutput)\(r.disagreeOutput ? " ✗" : "") |\n"
            }
            out += "\n✗: more than \(Sensitivity.disagreementPlaces) places from the end-to-end rank (#). " + summary
            return out
        case .text, .csv:
            var out = "\(model) · \(recipe.label) · one tensor at a time, \(sentences) sentences\n"
            out += "  #  " + "tensor".padding(toLength: 46, withPad: " ", startingAt: 0) + "1 − cos".leftPad(10)
                + "w SQNR".leftPad(8) + "out SQNR".leftPad(9) + "  rank w/out\n"
            for r in rows {
                out += String(r.rankEndToEnd).leftPad(3) + "  " + r.tensor.padding(toLength: 46, withPad: " ", startingAt: 0)
                    + NumberFormat.compact(r.oneMinusCosine).leftPad(10) + NumberFormat.fixed(r.weightSQNR, 2).leftPad(8)
                    + NumberFormat.fixed(r.outputSQNR, 2).leftPad(9)
                    + "  \(String(r.rankWeight).leftPad(3))\(r.disagreeWeight ? "✗" : " ") \(String(r.rankOutput).leftPad(3))\(r.disagreeOutput ? "✗" : " ")\n"
            }
            out += "✗: that rank (by weight SQNR, by output SQNR) is more than \(Sensitivity.disagreementPlaces) places from the end-to-end rank (#).\n" + summary
            return out
        }
    }
}
