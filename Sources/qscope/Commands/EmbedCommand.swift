import ArgumentParser
import Foundation
import Inference
import Reports

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

    @Option(name: .long, help: "Time the encoding (tokenizer, forward pass, pooling): one warm-up, then this many timed runs; adds forward_ms (median, min) to the output.")
    var runs: Int?

    func validate() throws {
        guard format == .json || format == .text else { throw ValidationError("embed supports --format json or text") }
        if let runs, !(1...1000).contains(runs) { throw ValidationError("--runs must be between 1 and 1000") }
    }

    func run() throws {
        let sentences = try model.sentenceList()
        let encoder = try model.encoder()
        let chosen = try recipe.recipe(for: encoder.model, defaultDatatype: nil) ?? .fp32
        let weights = try chosen.quantize(encoder.model, threads: model.threadCount)
        let threads = model.threadCount
        let encode = { try encoder.encode(sentences, replacing: weights.replacements, threads: threads) }
        let embeddings = try encode()
        var renderer = EmbedRenderer(model: try model.folder(), recipe: chosen, sentences: sentences, embeddings: embeddings)
        if let runs {
            var times: [Double] = []
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try encode()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            renderer.timing = (median: times[times.count / 2], min: times[0], runs: runs, threads: threads)
        }
        print(renderer.render(format), terminator: "")
    }
}
