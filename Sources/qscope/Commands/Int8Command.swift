import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

/// `qscope int8 FILE --activations T --weight T`: the batch form of the LLM.int8() view.
struct Int8Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "int8",
        abstract: "LLM.int8() on a real layer: the error of X·Wᵀ in int8 vector-wise and with the 16-bit outlier columns.",
        discussion: """
        X is the activation tensor [tokens, in] (leading axes are folded into tokens), W the weight [out, in]. \
        The reference is X·Wᵀ in fp32 (products and sums in float64, rounded once). Int8 vector-wise quantizes X \
        by rows and W by rows (absmax to 127) and multiplies in exact integers. LLM.int8() keeps the columns of X \
        holding any |x| ≥ threshold, and the matching columns of W, in fp16, and the rest in int8. The table shows \
        each threshold given, with the plain int8 error (threshold off) first.

        Example, on the bundled samples:
          qscope int8 samples/minilm-l6.safetensors --weight encoder.layer.0.output.dense.weight \\
            --activations-file samples/minilm-l6-activations.safetensors --activations encoder.layer.0.output.dense.input

        """ + HelpText.exitCodes)

    @Argument(help: ArgumentHelp("The file holding the weight (and the activations, unless --activations-file is given): "
                                 + "a tensor file, a model folder, or a hub repo id ORG/NAME."))
    var file: String

    @OptionGroup var model: ModelRevision

    @Option(name: .long, help: "The weight tensor [out, in].")
    var weight: String

    @Option(name: .long, help: "The activation tensor [tokens, in].")
    var activations: String

    @Option(name: .customLong("activations-file"), help: "The file holding the activations (default: FILE).")
    var activationsFile: String?

    @Option(name: .long, help: "The LLM.int8() outlier threshold (6.0 in the paper).")
    var threshold: Float = 6

    @Option(name: .long, help: ArgumentHelp("More thresholds, comma-separated (e.g. 1,2,3,4,6,8).", valueName: "list"))
    var thresholds: String?

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

    func parsedThresholds() throws -> [Float] {
        var ts: [Float] = [0, threshold]
        if let thresholds {
            ts += try commaList(thresholds, { Float($0).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } }) { part in
                ValidationError("--thresholds takes non-negative numbers separated by commas, not '\(part)'")
            }
        }
        return Array(Set(ts)).sorted()
    }

    func validate() throws {
        guard threshold.isFinite, threshold >= 0 else { throw ValidationError("--threshold must be a finite number ≥ 0") }
        _ = try parsedThresholds()
    }

    func run() throws {
        let f = try TensorLoading.open(file, revision: model.revision)
        let w = try TensorLoading.load(f, try TensorLoading.pick(f, name: weight))
        let af = try activationsFile.map { try TensorLoading.open($0) } ?? f
        let aInfo: TensorInfo
        do {
            aInfo = try TensorLoading.pick(af, name: activations)
        } catch let e as CLIError where activationsFile == nil {
            // The activations are usually in a file of their own: say where they were looked for.
            throw CLIError.usage(e.message + ". The activations were looked for in FILE; name their file with "
                                 + "--activations-file FILE (for the bundled sample: samples/minilm-l6-activations.safetensors)")
        }
        let a = try TensorLoading.load(af, aInfo)
        guard w.shape.count == 2 else {
            throw CLIError.usage("the weight \(w.name) must be 2-D [out, in]; it has shape \(NumberFormat.shape(w.shape))")
        }
        guard a.cols == w.cols else {
            throw CLIError.usage("the activations \(a.name) have \(a.cols) columns, the weight \(w.name) has \(w.cols) inputs: they do not multiply")
        }
        let study = try Int8Study.run(weight: w, activations: a, activationsLabel: a.name, thresholds: try parsedThresholds())
        print(Int8Renderer(file: file, study: study, inFeatures: w.cols, outFeatures: w.rows, threshold: threshold).render(format),
              terminator: "")
    }
}
