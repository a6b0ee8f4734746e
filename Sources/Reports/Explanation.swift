import TensorCore
import Foundation
import QuantCore
import TUI

/// Explanations for a student (`e` in the workbench, `qscope explain`): what the current datatype
/// does, what its scale costs, and what every metric on screen means — each with the numbers of this
/// analysis, taken from the engine, never typed in by hand.
public struct Explanation: Sendable {
    public struct Section: Sendable, Equatable {
        public var title: String
        public var text: String
    }

    public let sections: [Section]

    public init(_ a: Analysis) {
        var out: [Section] = [Section(title: "datatype: \(a.config.dtype.name)", text: Explanation.datatype(a))]
        out.append(Section(title: "block: \(a.config.block)", text: Explanation.block(a)))
        if a.config.dtype.supportsDoubleQuant {
            out.append(Section(title: "double quantization: \(a.config.doubleQuant ? "on" : "off")", text: Explanation.doubleQuant(a)))
        }
        out.append(Section(title: "metrics", text: Explanation.metrics(a)))
        out.append(Section(title: "codes", text: Explanation.codes(a)))
        sections = out
    }



    /// Bits per parameter spent on scales and other per-block data: total minus the code bits.
    static func overhead(_ a: Analysis) -> Double { a.metrics.bitsPerParam - Double(a.config.dtype.bitsPerCode) }

    static func datatype(_ a: Analysis) -> String {
        a.config.dtype.entry.explanation(ExplanationFacts(levels: a.codebook.sortedLevels, codeEntropyBits: a.metrics.codeEntropyBits,
                                                           maxAbsErr: a.metrics.maxAbsErr))
    }

    static func block(_ a: Analysis) -> String {
        let c = a.config
        let blocks = a.grouping.blockCount
        let over = overhead(a)
        var s = "This tensor is split into \(blocks) block\(blocks == 1 ? "" : "s") that each get their own scale. "
        switch c.block {
        case .elements(let n) where c.dtype.family != .cast:
            s += "With \(n) elements per block, "
            if c.dtype.supportsDoubleQuant && !c.doubleQuant {
                s += "a 32-bit absmax per block costs 32 ÷ \(n) = \(NumberFormat.compact(32 / Double(n))) bits per parameter; "
            }
            s += "the engine counts \(NumberFormat.compact(a.metrics.bitsPerParam)) bits per parameter in all, \(NumberFormat.compact(over)) of them on scales. "
        case .row, .column, .tensor:
            s += "One scale per \(c.block) is almost free (\(NumberFormat.compact(over)) bits per parameter) but lets one outlier set the scale for all of it. "
        default:
            break
        }
        s += "Why small blocks win: the largest |x| of a block sets its scale, so one outlier squeezes every other value of its "
            + "block onto fewer levels. Small blocks confine that damage to a few neighbours (the largest |x| here is "
            + "\(NumberFormat.compact(a.stats.absmax)), \(NumberFormat.compact(a.stats.absmax / max(a.stats.std, 1e-30))) standard deviations out)."
        return s
    }

    static func doubleQuant(_ a: Analysis) -> String {
        guard case .elements(let n) = a.config.block else {
            return "Double quantization re-quantizes the per-block absmax values; with one scale per \(a.config.block) there is little to save."
        }
        let plain = 32 / Double(n)
        let nested = 8 / Double(n) + 32 / Double(n * DoubleQuantState.nestedBlock)
        var s = "QLoRA's double quantization stores each block's absmax in 8 bits instead of 32: the absmax values minus their "
            + "mean are quantized with the dynamic 8-bit map in blocks of 256, each with its own 32-bit absmax. At block \(n) "
            + "that is 8 ÷ \(n) + 32 ÷ (\(n) × 256) = \(NumberFormat.compact(nested)) bits per parameter instead of \(NumberFormat.compact(plain))"
        if a.config.doubleQuant {
            s += " — the engine counts \(NumberFormat.compact(overhead(a))) here (plus one 32-bit mean for the tensor). The codes are chosen with "
                + "the exact absmax and decoded with the 8-bit one, which adds a little error."
        } else {
            s += "; x turns it on here."
        }
        return s
    }

    static func metrics(_ a: Analysis) -> String {
        let m = a.metrics
        var s = "Error e = deq(x) − x (the dequantized value minus the original) over the \(a.count - m.excluded) finite values"
        if m.excluded > 0 { s += " (\(m.excluded) NaN or ±Inf left out)" }
        s += ". SQNR = 10·log10(Σx² ÷ Σe²) = \(NumberFormat.compact(m.sqnrDB)) dB: signal to noise; every extra bit of an ideal uniform "
            + "quantizer adds about 6.02 dB. MSE = mean e² = \(NumberFormat.compact(m.mse)), RMSE = √MSE = \(NumberFormat.compact(m.rmse)), MAE = mean |e| = "
            + "\(NumberFormat.compact(m.mae)), max |e| = \(NumberFormat.compact(m.maxAbsErr)) (the worst single weight). Cosine similarity of x and deq(x) = "
            + "\(String(format: "%.6f", m.cosine)): 1 means the same direction. Relative error ‖e‖ ÷ ‖x‖ = \(NumberFormat.compact(m.relFroErr)), "
            + "the same information as SQNR (SQNR = −20·log10 of it). Bits per parameter \(NumberFormat.compact(m.bitsPerParam)) count codes "
            + "and scales: \(m.bytes) bytes for \(a.count) values."
        return s
    }

    static func codes(_ a: Analysis) -> String {
        let m = a.metrics
        guard a.config.dtype.hasCodes else {
            return "A cast has no code table; \(m.codesUsed) distinct 16-bit values occur."
        }
        let n = a.codebook.codeCount
        let ideal = log2(Double(max(n, 1)))
        return "\(m.codesUsed) of the \(n) codes are used. The code entropy, \(NumberFormat.compact(m.codeEntropyBits)) bits, is what an ideal "
            + "entropy coder would need per value; the format spends \(a.config.dtype.bitsPerCode) (at most \(NumberFormat.compact(ideal)) could carry "
            + "information). A gap means levels sit where few values are."
    }

    /// The text, wrapped to `width` columns, sections separated by a blank line.
    public func lines(width: Int) -> [String] {
        var out: [String] = []
        for (i, s) in sections.enumerated() {
            if i > 0 { out.append("") }
            out.append(s.title)
            out += Explanation.wrap(s.text, width: width)
        }
        return out
    }

    /// Greedy word wrap; a word longer than the width is cut.
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var w = String(word)
            while w.count > width { lines.append(String(w.prefix(width))); w = String(w.dropFirst(width)) }
            if line.isEmpty { line = w }
            else if line.count + 1 + w.count <= width { line += " " + w }
            else { lines.append(line); line = w }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
