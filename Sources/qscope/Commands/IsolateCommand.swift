import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

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

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

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
        let f = try TensorLoading.open(selection.file, revision: selection.model.revision)
        let t = try TensorLoading.load(f, try TensorLoading.pick(f, name: selection.tensor))
        let iso = try OutlierIsolation(t.values, rows: t.rows, cols: t.cols, config: try quant.config(),
                                       by: OutlierIsolation.Ranking(rawValue: ranking) ?? .magnitude, percents: try parsedPercents())
        print(IsolationRenderer(file: selection.file, tensor: t.name, isolation: iso).render(format), terminator: "")
        for row in iso.rows where row.percent > Self.usefulPercent {
            FileHandle.standardError.write(Data("qscope: warning: \(Self.costWarning(row))\n".utf8))
        }
    }

    /// Past this share, keeping weights in fp16 costs more bits than it is worth (SpQR keeps about 1 %).
    static let usefulPercent = 5.0

    /// What keeping `row.percent` % of the weights costs, against what is reasonable.
    static func costWarning(_ row: OutlierIsolation.Row) -> String {
        let extra = row.percent / 100 * Double(OutlierIsolation.bitsPerKept)
        var s = "keeping \(NumberFormat.compact(row.percent)) % of the weights in fp16 costs "
            + "\(NumberFormat.fixed(extra, 2)) bits/param on its own (16-bit value + 32-bit index each), "
            + "\(NumberFormat.fixed(row.bitsPerParam, 2)) bits/param in all"
        if row.bitsPerParam >= 16 { s += ", more than storing every weight in fp16" }
        return s + "; SpQR keeps about 1 % (0–2 % is the useful range)"
    }
}
