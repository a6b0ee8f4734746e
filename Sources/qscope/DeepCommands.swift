import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorIO
import Workbench

/// `qscope inspect FILE --tensor T --index I | --worst | --max`: the batch form of the block inspector.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lay one block open: its scale, and every value normalised, its code, level, dequantized value and error.",
        discussion: "Pick the block by --index (0-based, in the order blocks run over the row-major tensor), --worst "
            + "(the largest sum of squared errors) or --max (the block holding the largest |x|); --index 0 when none is given.\n\n"
            + HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Option(name: .long, help: "The block to inspect (0-based).")
    var index: Int?

    @Flag(name: .long, help: "The block with the largest sum of squared errors.")
    var worst = false

    @Flag(name: .long, help: "The block holding the tensor's largest finite |x|.")
    var max = false

    @Option(name: .long, help: "text, json, csv or markdown.")
    var format: OutputFormat = .text

    func validate() throws {
        guard [index != nil, worst, max].filter({ $0 }).count <= 1 else {
            throw ValidationError("choose one of --index, --worst and --max")
        }
        if let index, index < 0 { throw ValidationError("--index must be 0 or more") }
    }

    func run() throws {
        let f = try TensorLoading.open(selection.file)
        let t = try TensorLoading.load(f, try TensorLoading.pick(f, name: selection.tensor))
        let config = try quant.config()
        let selector: BlockInspection.Selector = worst ? .worst : max ? .max : .index(index ?? 0)
        do {
            let ins = try BlockInspection.inspect(t.values, rows: t.rows, cols: t.cols, config: config, selector: selector)
            print(InspectRenderer(file: selection.file, tensor: t.name, config: config, inspection: ins).render(format), terminator: "")
        } catch {
            throw CLIError.usage(error.description)
        }
    }
}

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

    @Argument(help: "The file holding the weight (and the activations, unless --activations-file is given).")
    var file: String

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

    @Option(name: .long, help: "text, json, csv or markdown.")
    var format: OutputFormat = .text

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
        let f = try TensorLoading.open(file)
        let w = try TensorLoading.load(f, try TensorLoading.pick(f, name: weight))
        let af = try activationsFile.map(TensorLoading.open) ?? f
        let a = try TensorLoading.load(af, try TensorLoading.pick(af, name: activations))
        guard w.shape.count == 2 else {
            throw CLIError.usage("the weight \(w.name) must be 2-D [out, in]; it has shape \(NumberFormat.shape(w.shape))")
        }
        guard a.cols == w.cols else {
            throw CLIError.usage("the activations \(a.name) have \(a.cols) columns, the weight \(w.name) has \(w.cols) inputs: they do not multiply")
        }
        let study: Int8Study
        let ts = try parsedThresholds()
        do {
            study = try Int8Study.run(weight: w, activations: a, activationsLabel: a.name, thresholds: ts)
        } catch {
            throw CLIError.usage(error.description)
        }
        print(Int8Renderer(file: file, study: study, inFeatures: w.cols, outFeatures: w.rows, threshold: threshold).render(format),
              terminator: "")
    }
}

/// `qscope isolate FILE --tensor T`: the batch form of the outlier-isolation view.
struct Isolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "SpQR-style isolation: keep the top p % of weights in fp16 (with their indices), quantize the rest.",
        discussion: "The kept weights are zeroed before quantizing, so they no longer set their blocks' scales, then "
            + "restored in fp16. Bits per parameter count the quantized tensor plus 16 + 32 bits (value and index) per "
            + "kept weight. Ranking by magnitude |x|, or by each value's error under the plain quantization (SpQR ranks "
            + "by a Hessian-based sensitivity, which needs calibration activations; the plain error is its simplest stand-in).\n\n"
            + HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Option(name: .customLong("by"), help: "magnitude or error.")
    var ranking: String = "magnitude"

    @Option(name: .long, help: ArgumentHelp("Kept percentages, comma-separated (default 0,0.1,0.25,0.5,1,1.5,2).", valueName: "list"))
    var percents: String?

    @Option(name: .long, help: "text, json, csv or markdown.")
    var format: OutputFormat = .text

    func parsedPercents() throws -> [Double] {
        guard let percents else { return OutlierIsolation.defaultPercents }
        return try commaList(percents, { Double($0).flatMap { $0 >= 0 && $0 <= 100 ? $0 : nil } }) { part in
            ValidationError("--percents takes numbers from 0 to 100 separated by commas, not '\(part)'")
        }
    }

    func validate() throws {
        guard OutlierIsolation.Ranking(rawValue: ranking) != nil else { throw ValidationError("--by takes magnitude or error") }
        _ = try parsedPercents()
    }

    func run() throws {
        let f = try TensorLoading.open(selection.file)
        let t = try TensorLoading.load(f, try TensorLoading.pick(f, name: selection.tensor))
        do {
            let iso = try OutlierIsolation(t.values, rows: t.rows, cols: t.cols, config: try quant.config(),
                                           by: OutlierIsolation.Ranking(rawValue: ranking) ?? .magnitude, percents: try parsedPercents())
            print(IsolationRenderer(file: selection.file, tensor: t.name, isolation: iso).render(format), terminator: "")
        } catch let e as OutlierIsolationError {
            throw CLIError.usage(e.description)
        }
    }
}

/// `qscope explain FILE --tensor T`: the explanation panel as text.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain the datatype, block, double quantization and metrics of one analysis, with its numbers.",
        discussion: HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Option(name: .long, help: "Wrap the text at this many columns.")
    var width: Int = 100

    func validate() throws {
        guard (20...1000).contains(width) else { throw ValidationError("--width must be between 20 and 1000") }
    }

    func run() throws {
        let f = try TensorLoading.open(selection.file)
        let t = try TensorLoading.load(f, try TensorLoading.pick(f, name: selection.tensor))
        let a = try Analyzer.analyze(t, config: try quant.config())
        print("\(selection.file) ▸ \(t.name)  \(a.config.description)\n")
        print(Explanation(a).lines(width: width).joined(separator: "\n"))
    }
}
