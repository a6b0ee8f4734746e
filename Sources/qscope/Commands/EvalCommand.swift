import ArgumentParser
import Foundation
import Inference
import Reports

/// `qscope eval`: how far a recipe moves a sentence encoder's embeddings from fp32.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "End-to-end error of quantized weights: sentence embeddings against fp32.",
        discussion: """
        Runs the encoder over the sentences in fp32 and with the recipe's weights (every encoder Linear weight with \
        --dtype/--block/--double-quant, default nf4 block 64; or --recipe FILE), and reports: cosine_mean and \
        cosine_min of each sentence's embedding against its fp32 one; spearman, the rank correlation of all pairwise \
        sentence similarities; top1_agreement, the fraction of sentences whose nearest neighbour is unchanged; \
        bits_per_param, the stored bits (codes, scales and every other stored statistic) of the quantized tensors \
        over their parameter count; and the relative error of each layer's hidden states.

        """ + HelpText.datatypes + "\n" + HelpText.exitCodes)

    @OptionGroup var model: ModelOptions
    @OptionGroup var recipe: RecipeOptions

    @Option(name: .long, help: "text, json or markdown.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format != .csv else { throw ValidationError("eval supports --format text, json or markdown") }
    }

    func run() throws {
        let sentences = try model.sentenceList()
        let encoder = try model.encoder()
        let chosen = try recipe.recipe(for: encoder.model)!
        let evaluation = try Evaluator(encoder: encoder, sentences: sentences, threads: model.threadCount).evaluate(chosen)
        print(EvaluationRenderer(model: try model.folder(), evaluation: evaluation).render(format), terminator: "")
    }
}
