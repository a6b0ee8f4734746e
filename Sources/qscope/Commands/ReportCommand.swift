import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

/// `qscope report FILE --tensor T`.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize one tensor and report statistics, error metrics, outlier columns and histograms.",
        discussion: """
        With --stored, a tensor a GGUF file stores quantized (Q4_K, IQ2_XXS, …) is reported as the file holds it: \
        the code usage read from its blocks (grid points for the IQ lattice types), its levels, the normalised \
        histogram, and with --original FILE the error of the stored values against the tensor they were made from \
        (matched by name or by llama.cpp's names, as qscope compare does).

        """ + HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Option(name: .customLong("outlier-threshold"), help: "Absolute column-absmax threshold for outlier columns (LLM.int8() uses 6.0).")
    var outlierThreshold: Float = 6

    @Option(name: .customLong("outlier-k"), help: "Relative rule: a column is an outlier above k × the median column absmax.")
    var outlierK: Float = 6

    @Option(name: .long, help: "Histogram bins (1…4096).")
    var bins: Int = 64

    @Flag(name: .long, help: "Report the file's own stored quantization (a quantized GGUF tensor) instead of re-quantizing it.")
    var stored = false

    @Option(name: .long, help: ArgumentHelp("With --stored: the file the tensor was quantized from, for the error figures.", valueName: "file"))
    var original: String?

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

    func validate() throws {
        guard (1...4096).contains(bins) else { throw ValidationError("--bins must be between 1 and 4096") }
        guard outlierThreshold.isFinite, outlierThreshold >= 0, outlierK.isFinite, outlierK >= 0 else {
            throw ValidationError("--outlier-threshold and --outlier-k must be finite and not negative")
        }
        if original != nil && !stored { throw ValidationError("--original goes with --stored") }
        if stored && (quant.dtype != nil || quant.block != nil || quant.doubleQuant) {
            throw ValidationError("--stored reports the file's own quantization; --dtype, --block and --double-quant choose a re-quantization")
        }
    }

    func run() throws {
        let (file, reader) = try TensorLoading.reader(selection)
        let options = AnalysisOptions(bins: bins, outlierThreshold: outlierThreshold, outlierK: outlierK)
        if stored {
            var source: (reader: any TensorReader, label: String)?
            if let original {
                let of = try TensorLoading.open(original)
                do {
                    source = try OriginalSource(original: of, quantized: file).reader(for: reader.info.name, quantized: file)
                } catch let e as OriginalSourceError {
                    throw CLIError.usage(e.description)
                }
            }
            let analysis = try StoredAnalysis.analyze(reader, original: source?.reader, originalLabel: source?.label, options: options)
            print(ReportRenderer(file: selection.file, analysis: analysis).render(format), terminator: "")
            return
        }
        let analysis = try Analyzer.analyze(reader, config: try quant.config(), options: options)
        print(ReportRenderer(file: selection.file, analysis: analysis).render(format), terminator: "")
    }
}
