import Inference
import TensorCore
import TUI

/// Renders `qscope allocate`: the allocated recipe at the budget, verified; the frontier over budgets against
/// every uniform configuration; the recipe as llama.cpp arguments and a bitsandbytes skip list.
public struct AllocationRenderer: Sendable {
    /// One budget's allocation, verified end to end.
    public struct Point: Sendable {
        public var budget: Double
        public var predictedLoss: Double
        public var evaluation: Evaluation
        public init(budget: Double, predictedLoss: Double, evaluation: Evaluation) {
            self.budget = budget
            self.predictedLoss = predictedLoss
            self.evaluation = evaluation
        }
    }

    public var model: String
    public var candidates: [String]
    public var chosen: Point?
    public var requestedBudget: Double
    public var frontier: [Point]
    public var uniform: [Evaluation]

    public init(model: String, candidates: [String], requestedBudget: Double, chosen: Point?, frontier: [Point], uniform: [Evaluation]) {
        self.model = model
        self.candidates = candidates
        self.requestedBudget = requestedBudget
        self.chosen = chosen
        self.frontier = frontier
        self.uniform = uniform
    }

    /// The best uniform configuration within `budget` bits per parameter (by cosine mean).
    func bestUniform(within budget: Double) -> Evaluation? {
        uniform.filter { $0.bitsPerParam <= budget + 1e-9 }.max { $0.cosineMean < $1.cosineMean }
    }

    /// The recipe file `--recipe` reads.
    public static func recipeFile(_ r: Recipe) -> String {
        JSONValue.object([("tensors", RecipeJSON.tensors(r))]).serialized() + "\n"
    }

    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .json:
            var fields: [(String, JSONValue)] = [("model", .string(model)), ("budget", .double(requestedBudget)),
                                                 ("candidates", .array(candidates.map { .string($0) }))]
            if let c = chosen {
                let (args, unmapped) = RecipeExport.llamaCppArguments(c.evaluation.recipe)
                fields += [("recipe", RecipeJSON.value(c.evaluation.recipe)), ("predicted_one_minus_cosine", .double(c.predictedLoss))]
                    + EvaluationRenderer.figures(c.evaluation)
                fields += [("llama_cpp", .array(args.map { .string($0) })), ("llama_cpp_unmapped", .array(unmapped.map { .string($0) })),
                           ("bitsandbytes_skip_modules", .array(RecipeExport.bitsandbytesSkipModules(c.evaluation.recipe).map { .string($0) }))]
            } else {
                fields.append(("recipe", .null))
            }
            fields.append(("frontier", .array(frontier.map { p in
                var row: [(String, JSONValue)] = [("budget", .double(p.budget)), ("predicted_one_minus_cosine", .double(p.predictedLoss))]
                    + EvaluationRenderer.figures(p.evaluation)
                if let u = bestUniform(within: p.budget) {
                    row.append(("best_uniform", .object([("label", .string(u.recipe.label))] + EvaluationRenderer.figures(u))))
                } else {
                    row.append(("best_uniform", .null))
                }
                return .object(row)
            })))
            fields.append(("uniform", .array(uniform.map { u in .object([("label", .string(u.recipe.label))] + EvaluationRenderer.figures(u)) })))
            return JSONValue.object(fields).serialized() + "\n"
        case .text, .csv, .markdown:
            var out = ""
            if let c = chosen {
                let e = c.evaluation
                out += "\(model) · allocated within \(NumberFormat.fixed(requestedBudget, 2)) bits/param: \(NumberFormat.fixed(e.bitsPerParam, 3)) bits/param, "
                out += "cosine mean \(NumberFormat.fixed(e.cosineMean, 6)) (predicted \(NumberFormat.fixed(1 - c.predictedLoss, 6)))"
                if let u = bestUniform(within: requestedBudget) {
                    out += "; best uniform within the budget: \(u.recipe.label) \(NumberFormat.fixed(u.bitsPerParam, 3)) bits/param, cosine mean \(NumberFormat.fixed(u.cosineMean, 6))"
                }
                out += "\n"
                for entry in e.recipe.entries { out += "  " + entry.tensor.padding(toLength: 46, withPad: " ", startingAt: 0) + Recipe.label(entry.config) + "\n" }
                let (args, unmapped) = RecipeExport.llamaCppArguments(e.recipe)
                out += "llama-quantize: " + (args.isEmpty ? "(no tensor has a GGUF type)" : args.joined(separator: " ")) + "\n"
                if !unmapped.isEmpty { out += "  no GGUF type for \(unmapped.count) tensors (\(unmapped.prefix(3).joined(separator: ", "))\(unmapped.count > 3 ? ", …" : ""))\n" }
                let skip = RecipeExport.bitsandbytesSkipModules(e.recipe)
                out += "bitsandbytes llm_int8_skip_modules: [" + skip.map { "\"\($0)\"" }.joined(separator: ", ") + "]\n"
            } else {
                out += "\(model) · no allocation fits \(NumberFormat.fixed(requestedBudget, 2)) bits/param (the cheapest candidates need more)\n"
            }
            out += "\nfrontier (allocated vs the best uniform configuration within each budget):\n"
            out += "| budget | allocated bits | allocated cosine | best uniform | its bits | its cosine |\n|---:|---:|---:|---|---:|---:|\n"
            for p in frontier {
                let u = bestUniform(within: p.budget)
                out += "| \(NumberFormat.fixed(p.budget, 1)) | \(NumberFormat.fixed(p.evaluation.bitsPerParam, 3)) | \(NumberFormat.fixed(p.evaluation.cosineMean, 6)) | "
                out += "\(u?.recipe.label ?? "–") | \(u.map { NumberFormat.fixed($0.bitsPerParam, 3) } ?? "–") | \(u.map { NumberFormat.fixed($0.cosineMean, 6) } ?? "–") |\n"
            }
            out += "\nuniform configurations:\n| recipe | bits/param | cosine mean | cosine min | Spearman | top-1 agreement |\n|---|---:|---:|---:|---:|---:|\n"
            for u in uniform.sorted(by: { $0.bitsPerParam < $1.bitsPerParam }) { out += EvaluationRenderer.markdownRow(u) + "\n" }
            return out
        }
    }
}
