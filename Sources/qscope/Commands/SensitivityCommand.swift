import ArgumentParser
import Foundation
import Inference
import Reports

/// `qscope sensitivity`: each tensor quantized alone, ranked by its effect on the embeddings.
struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Which tensor hurts the embeddings most: each quantized alone, the others fp32.",
        discussion: """
        For every tensor of the recipe (every encoder Linear weight by default, with the embedding tables under \
        --embeddings): 1 − mean cosine of the embeddings with that tensor alone quantized, the weight's SQNR, and \
        the SQNR of the layer's output X·Wᵀ against X·Ŵᵀ on its fp32 inputs X for the sentences. Rows are sorted by \
        end-to-end effect; rank_weight and rank_output rank the same tensors by lowest SQNR, and 'disagree' marks \
        a tensor whose end-to-end rank is more than \(Sensitivity.disagreementPlaces) places from either.

        """ + HelpText.exitCodes)

    @OptionGroup var model: ModelOptions
    @OptionGroup var recipe: RecipeOptions

    @Option(name: .long, help: "text, json or markdown.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format != .csv else { throw ValidationError("sensitivity supports --format text, json or markdown") }
    }

    func run() throws {
        let sentences = try model.sentenceList()
        let encoder = try model.encoder()
        let chosen = try recipe.recipe(for: encoder.model)!
        let progress = isatty(STDERR_FILENO) == 1
        let evaluator = try Evaluator(encoder: encoder, sentences: sentences, threads: model.threadCount, capture: true)
        let rows = try Sensitivity.measure(evaluator, recipe: chosen) { done, total in
            if progress { FileHandle.standardError.write(Data("\rqscope sensitivity: \(done)/\(total) tensors\u{1b}[K".utf8)) }
        }
        if progress { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        print(SensitivityRenderer(model: try model.folder(), recipe: chosen, sentences: sentences.count, rows: rows).render(format),
              terminator: "")
    }
}
