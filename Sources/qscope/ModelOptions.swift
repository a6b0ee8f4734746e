import ArgumentParser
import Foundation
import Inference
import QuantCore

/// `MODEL`, `--sentences`, `--threads`: what the model commands (embed, eval, sensitivity, allocate) share.
struct ModelOptions: ParsableArguments {
    @Argument(help: "A sentence-transformers BERT folder (config.json, model.safetensors, vocab.txt or tokenizer.json, modules.json); the bundled all-MiniLM-L6-v2 when left out.")
    var model: String?

    @Option(name: .long, help: "A text file, one sentence a line (empty lines skipped); the bundled sentences when left out.")
    var sentences: String?

    @Option(name: .long, help: "Worker threads (default: every core).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
    }

    var threadCount: Int { threads ?? Parallel.defaultThreads }

    /// The model folder: MODEL, or the bundled one.
    func folder() throws -> String {
        if let model {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: model, isDirectory: &isDir) else { throw CLIError.runtime("\(model): no such folder") }
            guard isDir.boolValue else { throw CLIError.usage("\(model) is a file; MODEL is a model folder (config.json, model.safetensors, vocab.txt)") }
            return model
        }
        guard let bundled = Bundled.find(Bundled.model) else {
            throw CLIError.usage("no MODEL given and the bundled model \(Bundled.model) was not found")
        }
        return bundled
    }

    /// Loads the encoder, mapping its errors to exit codes (a missing file 1, a malformed one 65).
    func encoder() throws -> SentenceEncoder {
        try SentenceEncoder.load(folder: folder())
    }

    /// The sentences: `--sentences FILE` or the bundled set.
    func sentenceList() throws -> [String] {
        let path: String
        if let sentences {
            path = sentences
        } else {
            guard let bundled = Bundled.find(Bundled.sentences) else {
                throw CLIError.usage("no --sentences given and the bundled \(Bundled.sentences) was not found")
            }
            path = bundled
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.runtime("\(path): no such file") }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError.malformed("\(path): not UTF-8 text") }
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !lines.isEmpty else { throw CLIError.malformed(InferenceError.noSentences(path).description) }
        guard lines.count <= 100_000 else { throw CLIError.usage("\(path): \(lines.count) sentences; at most 100000") }
        return lines
    }

}

extension InferenceError {
    /// The exit code of docs/ARCHITECTURE.md: a missing file 1, an impossible recipe 2, anything malformed 65.
    var exitCode: Int32 {
        switch self {
        case .missingFile: 1
        case .recipe: 2
        default: 65
        }
    }
}

/// `--dtype`, `--block`, `--double-quant`, `--recipe`, `--embeddings`: which weights are quantized and how.
struct RecipeOptions: ParsableArguments {
    @OptionGroup var quant: QuantOptions

    @Option(name: .long, help: "A recipe JSON file: {\"tensors\": {NAME: {\"dtype\": …, \"block\": …, \"double_quant\": …}}} (instead of --dtype/--block).")
    var recipe: String?

    @Flag(name: .long, help: "Quantize the word, position and token-type embedding tables too (uniform recipes).")
    var embeddings = false

    func validate() throws {
        if recipe != nil, quant.dtype != nil || quant.block != nil || quant.doubleQuant {
            throw ValidationError("--recipe names every tensor's configuration; leave out --dtype, --block and --double-quant")
        }
    }

    /// Whether the user chose any quantization.
    var given: Bool { recipe != nil || quant.dtype != nil || quant.block != nil || quant.doubleQuant }

    /// The recipe: the file, or the uniform configuration over every encoder Linear weight
    /// (nil: nothing chosen and `defaultDatatype` nil).
    func recipe(for model: BertModel, defaultDatatype: DataType? = .nf4) throws -> Recipe? {
        if let recipe {
            guard FileManager.default.fileExists(atPath: recipe) else { throw CLIError.runtime("\(recipe): no such file") }
            return try Recipe.load(path: recipe, model: model)
        }
        guard given || defaultDatatype != nil else { return nil }
        let config = try quant.config(defaultDatatype: defaultDatatype ?? .nf4)
        return try Recipe.uniform(config, model: model, embeddings: embeddings)
    }
}

/// Files shipped in the repository, found next to the working directory or above the executable.
enum Bundled {
    static let model = "samples/minilm-l6-model"
    static let sentences = "samples/sentences.txt"

    /// `relative` in the working directory, or in the executable's folder or up to four folders above it.
    static func find(_ relative: String) -> String? {
        var candidates = [relative]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent(relative).path)
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}
