import ArgumentParser
import Foundation
import Inference
import Workbench

/// `qscope embed`: sentence embeddings of a BERT sentence encoder, fp32 or with a recipe's weights.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sentence embeddings from a BERT sentence encoder (fp32, or with quantized weights).",
        discussion: """
        Tokenizes with the model's WordPiece vocabulary, runs the encoder in fp32 with every Linear weight a recipe \
        names replaced by its quantized-and-decoded values, pools (mean or CLS, as modules.json says) and normalises \
        when the model lists Normalize. Without --dtype or --recipe nothing is quantized.

        """ + HelpText.exitCodes)

    @OptionGroup var model: ModelOptions
    @OptionGroup var recipe: RecipeOptions

    @Option(name: .long, help: "json or text.")
    var format: OutputFormat = .json

    func validate() throws {
        guard format == .json || format == .text else { throw ValidationError("embed supports --format json or text") }
    }

    func run() throws {
        let encoder = try model.encoder()
        let sentences = try model.sentenceList()
        let chosen = try recipe.recipe(for: encoder.model, defaultDatatype: nil) ?? .fp32
        let embeddings = try ModelOptions.mapErrors {
            let weights = try chosen.quantize(encoder.model, threads: model.threadCount)
            return try encoder.encode(sentences, replacing: weights.replacements, threads: model.threadCount)
        }
        print(EmbedRenderer(model: try model.folder(), recipe: chosen, sentences: sentences, embeddings: embeddings).render(format),
              terminator: "")
    }
}
