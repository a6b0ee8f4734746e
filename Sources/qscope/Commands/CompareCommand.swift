import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Terminal

/// `qscope compare ORIGINAL QUANTIZED`: what a real quantized file lost against its source, per tensor.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure each tensor of a quantized file against the original it was made from.",
        discussion: """
        Tensors match by name, or by llama.cpp's names: a GGUF written by convert_hf_to_gguf.py (blk.0.attn_q.weight) \
        matches the Hugging Face checkpoint it came from (model.layers.0.self_attn.q_proj.weight; Llama and BERT \
        layouts, with or without the bert. prefix), and a Llama's Q and K projections are read back in the \
        original's row order (the converter permutes them by the head counts in the GGUF's metadata). Each pair \
        streams from both files on every core. Shown per tensor: SQNR, MSE, max error, cosine, relative error and \
        the bits per parameter of the quantized tensor as stored (its bytes × 8 ÷ values); then all tensors pooled. \
        Pairs whose shapes differ are reported, not compared; tensors without a counterpart are listed. \
        Progress goes to stderr when it is a terminal; Ctrl-C stops after the tensor in hand, a second Ctrl-C at once \
        (the table so far is printed, exit 130).

        Exit codes: 0 success; 1 a missing file; 2 a usage error (--tensor naming a tensor in neither file); \
        65 a malformed file, or no tensor of QUANTIZED matching one of ORIGINAL.
        """)

    @Argument(help: ArgumentHelp("The original: " + FileHelp.file))
    var original: String

    @Argument(help: ArgumentHelp("The quantized file (a GGUF, a bitsandbytes checkpoint, …), in any form ORIGINAL may take."))
    var quantized: String

    @OptionGroup var model: ModelRevision

    @Option(name: .long, help: ArgumentHelp("Compare only this tensor, by its name in either file (repeat for more).", valueName: "name"))
    var tensor: [String] = []

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

    func run() throws {
        let o = try TensorLoading.open(original, revision: model.revision)
        let q = try TensorLoading.open(quantized)
        var matching = TensorMatching.match(original: TensorMatching.Side(tensors: o.tensors, metadata: o.metadata),
                                            quantized: TensorMatching.Side(tensors: q.tensors, metadata: q.metadata))
        if !tensor.isEmpty {
            let (selected, unknown) = matching.selecting(tensor)
            if let name = unknown.first {
                throw CLIError.usage("neither \(original) nor \(quantized) has a tensor named '\(name)'")
            }
            matching = selected
        }
        guard !matching.pairs.isEmpty || !tensor.isEmpty else {
            throw CLIError.malformed("no tensor of \(quantized) matches one of \(original), by name or by llama.cpp's names "
                + "(\(quantized) has \(TensorLoading.describe(q.tensors)))")
        }
        let showProgress = isatty(STDERR_FILENO) == 1
        let cancellation = BatchInterrupts.start()
        let start = Date()
        let runner = CompareRunner(original: o, quantized: q, matching: matching)
        let outcome = try runner.run(stop: { SignalGuard.interruptCount >= 1 }, cancellation: cancellation) { st in
            guard showProgress else { return }
            FileHandle.standardError.write(Data(Compare.progressLine(st, elapsed: Date().timeIntervalSince(start)).utf8))
        }
        cancellation.cancel()
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print(CompareRenderer(original: original, quantized: quantized, outcome: outcome, matching: matching).render(format), terminator: "")
        if outcome.interrupted {
            FileHandle.standardError.write(Data("qscope: interrupted after \(outcome.rows.count) of \(matching.pairs.count) tensors\n".utf8))
            throw ExitCode(130)
        }
    }

    /// `[3/103] ████░░░░  41%  12.5 M values/s  ETA 12s  name`
    static func progressLine(_ st: CompareRunner.Status, elapsed: Double) -> String {
        let fraction = st.valuesTotal > 0 ? st.valuesDone / Double(st.valuesTotal) : 0
        let rate = elapsed > 0 ? st.valuesDone / elapsed : 0
        let eta = rate > 0 ? (Double(st.valuesTotal) - st.valuesDone) / rate : 0
        let filled = max(0, min(20, Int((fraction * 20).rounded(.down))))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 20 - filled)
        return String(format: "\r\u{1B}[K[%d/%d] %@ %3.0f%%  %@ values/s  ETA %.0fs  %@", st.index, st.pairs, bar, fraction * 100,
                      NumberFormat.count(Int(rate)), eta, String(st.name.prefix(40)))
    }
}
