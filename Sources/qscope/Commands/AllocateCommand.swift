import ArgumentParser
import Foundation
import Inference
import QuantCore
import TensorIO
import Reports

/// `qscope allocate`: the mixed-precision recipe with the best embeddings within a bit budget.
struct Allocate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mixed precision: the recipe with the closest embeddings to fp32 within a budget of bits per parameter.",
        discussion: """
        Quantizes each encoder Linear weight (and the embedding tables under --embeddings) alone with each candidate \
        and measures 1 − mean cosine of the embeddings; assuming these losses add, a greedy knapsack (along each \
        tensor's lower convex hull of bits and loss, then any fitting improvement) picks one candidate per tensor \
        within --bits; the recipe is then evaluated end to end. The same is done for each budget of the frontier and \
        compared with every candidate as a uniform recipe (a K-quant falls back to q5_0/q8_0 on rows that do not \
        hold whole 256-value blocks, as llama.cpp does). Bits per parameter count every stored bit of the quantized \
        tensors. The recipe can be written for --recipe (--output), and is printed as llama-quantize --tensor-type \
        arguments (where GGUF has the type) and as bitsandbytes' llm_int8_skip_modules (the tensors kept in 16-bit).

        Candidates are DTYPE:BLOCK (nf4:64) or DTYPE for a format with its own block (q4_k, nvfp4, fp16), with +dq \
        for double quantization (nf4:64+dq). Default: \
        \(Allocator.defaultCandidates.map(Allocate.spelling).joined(separator: ",")).

        """ + HelpText.exitCodes)

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "The budget in bits per parameter (e.g. 4.5).")
    var bits: Double

    @Option(name: .long, help: "Comma-separated candidates, DTYPE:BLOCK or DTYPE (see below).")
    var candidates: String?

    @Option(name: .long, help: "Comma-separated budgets of the frontier (default 2.5,3,…,8.5; 'none' for none).")
    var frontier: String?

    @Flag(name: .long, help: "Allocate over the word, position and token-type embedding tables too.")
    var embeddings = false

    @Option(name: .long, help: "Allocate over these tensors only (comma-separated names; the others stay fp32).")
    var tensors: String?

    @Option(name: [.customShort("o"), .long], help: "Write the recipe (the --recipe format) to this file.")
    var output: String?

    @Flag(name: .long, help: "Replace an existing --output file.")
    var force = false

    @Option(name: .long, help: "text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("allocate supports --format text or json") }
        guard bits.isFinite, bits > 0, bits <= 32 else { throw ValidationError("--bits must be a number of bits per parameter in (0, 32]") }
        _ = try parsedCandidates()
        _ = try parsedFrontier()
    }

    static func spelling(_ c: QuantConfig) -> String {
        (c.dtype.fixedBlock != nil || c.dtype.family == .cast ? c.dtype.name : "\(c.dtype.name):\(c.block)") + (c.doubleQuant ? "+dq" : "")
    }

    func parsedCandidates() throws -> [QuantConfig] {
        guard let candidates else { return Allocator.defaultCandidates }
        let list: [QuantConfig] = try commaList(candidates, { spec in
            let dq = spec.hasSuffix("+dq")
            let item = dq ? String(spec.dropLast(3)) : spec
            let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
            guard !parts.isEmpty else { return nil }
            guard let dt = DataType(name: parts[0]) else { return nil }
            let block: BlockSize
            if parts.count == 2 {
                guard let b = BlockSize(argument: parts[1]) else { return nil }
                block = b
            } else {
                block = dt.family == .cast ? .tensor : .elements(dt.fixedBlock ?? 64)
            }
            let c = QuantConfig(dtype: dt, block: block, doubleQuant: dq)
            return (try? c.validate()) == nil ? nil : c
        }, failure: { part in
            // A mistyped datatype or block is named with its nearest valid spelling.
            let pieces = part.replacingOccurrences(of: "+dq", with: "").split(separator: ":", maxSplits: 1).map(String.init)
            let advice = pieces.first.flatMap { UsageAdvice.datatype($0, option: "--candidates") }
                ?? (pieces.count == 2 ? UsageAdvice.blockSize(pieces[1], option: "--candidates") : nil)
            return ValidationError(advice ?? "--candidates: '\(part)' is not DTYPE:BLOCK or a DTYPE with its own block (e.g. nf4:64, q4_k, fp16)")
        })
        guard !list.isEmpty else { throw ValidationError("--candidates lists no candidate") }
        return list
    }

    func parsedFrontier() throws -> [Double] {
        guard let frontier else { return stride(from: 2.5, through: 8.5, by: 0.5).map { $0 } }
        if frontier == "none" { return [] }
        return try commaList(frontier, { Double($0).flatMap { $0 > 0 && $0 <= 32 ? $0 : nil } },
                             failure: { ValidationError("--frontier: '\($0)' is not a number of bits per parameter") })
    }

    /// `--tensors`, or every encoder Linear weight (and the embedding tables under `--embeddings`).
    func tensorNames(_ model: BertModel) throws -> [String] {
        let all = model.linearWeightNames + BertModel.embeddingNames
        guard let tensors else { return model.linearWeightNames + (embeddings ? BertModel.embeddingNames : []) }
        let names = tensors.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .map { $0.hasPrefix("bert.") ? String($0.dropFirst(5)) : $0 }
        for n in names where !all.contains(n) {
            throw CLIError.usage("--tensors: '\(n)' is not an encoder Linear weight or embedding table of the model")
        }
        guard !names.isEmpty else { throw CLIError.usage("--tensors lists no tensor") }
        return names
    }

    func run() throws {
        if let output, FileManager.default.fileExists(atPath: output), !force {
            throw CLIError.usage("\(output) exists; use --force to replace it")
        }
        let sentences = try model.sentenceList()
        let encoder = try model.encoder()
        let configs = try parsedCandidates()
        let budgets = try parsedFrontier()
        let progress = isatty(STDERR_FILENO) == 1
        func say(_ s: String) { if progress { FileHandle.standardError.write(Data("\rqscope allocate: \(s)\u{1b}[K".utf8)) } }
        let evaluator = try Evaluator(encoder: encoder, sentences: sentences, threads: model.threadCount)
        let names = try tensorNames(encoder.model)
        let allocator = try Allocator.measure(evaluator, tensors: names, candidates: configs) { done, total in
            say("measuring \(done)/\(total) tensor × candidate")
        }
        func verified(_ budget: Double) throws -> AllocationRenderer.Point? {
            guard let (recipe, loss) = allocator.allocate(bitsPerParam: budget, label: "allocated \(budget)") else { return nil }
            return AllocationRenderer.Point(budget: budget, predictedLoss: loss, evaluation: try evaluator.evaluate(recipe))
        }
        say("verifying")
        let chosen = try verified(bits)
        var points: [AllocationRenderer.Point] = []
        for b in budgets { if let p = try verified(b) { points.append(p) } }
        var uniform: [Evaluation] = []
        for (i, c) in configs.enumerated() {
            say("uniform \(i + 1)/\(configs.count)")
            uniform.append(try evaluator.evaluate(Recipe.uniform(c, model: encoder.model, tensors: names)))
        }
        let renderer = AllocationRenderer(model: try model.folder(), candidates: configs.map(Allocate.spelling), requestedBudget: bits,
                                  chosen: chosen, frontier: points, uniform: uniform)
        if progress { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        if let output, let chosen = renderer.chosen {
            do {
                try SafeWrite.write(AllocationRenderer.recipeFile(chosen.evaluation.recipe), to: output)
            } catch {
                throw CLIError.runtime("\(output): \(error.localizedDescription)")
            }
        }
        print(renderer.render(format), terminator: "")
        if renderer.chosen == nil { throw ExitCode(1) }
    }
}

/// Writes a text file through a temporary file in the same folder, renamed into place.
enum SafeWrite {
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        try Data(text.utf8).write(to: tmp)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: tmp, to: url)
    }
}
