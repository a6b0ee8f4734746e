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

    static func f(_ x: Double) -> String { NumberFormat.compact(x) }

    static func list(_ v: [Float], digits: Int = 3) -> String {
        v.map { $0 == 0 ? "0" : String(format: "%.\(digits)g", $0) }.joined(separator: ", ")
    }

    /// Bits per parameter spent on scales and other per-block data: total minus the code bits.
    static func overhead(_ a: Analysis) -> Double { a.metrics.bitsPerParam - Double(a.config.dtype.bitsPerCode) }

    static func datatype(_ a: Analysis) -> String {
        let dt = a.config.dtype
        let levels = a.quantized.codebook.sortedLevels
        let negatives = levels.filter { $0 < 0 }.count, positives = levels.filter { $0 > 0 }.count
        let hasZero = levels.contains(0)
        switch dt {
        case .nf4:
            return "NormalFloat 4-bit places its 16 levels at quantiles of a standard normal distribution, rescaled so the "
                + "extremes are ±1: \(list(levels)). Weights of trained layers are roughly normal, so each level covers about "
                + "the same share of them — more levels near 0, where most weights are, fewer in the tails. It is asymmetric "
                + "(\(negatives) negative, \(hasZero ? "an exact 0, " : "")\(positives) positive) because an exact zero needs one "
                + "code of the 16: zeros and padding survive quantization unchanged. Each block is divided by its absmax, so "
                + "the largest |x| of every block lands exactly on ±1."
        case .fp4:
            return "bitsandbytes' FP4 is a tiny float: a sign, 2 exponent bits and 1 mantissa bit, giving the magnitudes "
                + "\(list(levels.filter { $0 >= 0 })) after division by the block absmax. Float levels are dense near 0 and "
                + "sparse near 1, like NF4, but spaced by powers of two rather than by the normal distribution."
        case .dynamic8, .dynamic8Unsigned:
            let mags = levels.map { abs($0) }.filter { $0 > 0 }
            let smallest = mags.min() ?? 0
            var decades: [String] = []
            var hi: Float = 1
            while hi > smallest * 0.999 && decades.count < 8 {
                let lo = hi / 10
                decades.append("\(levels.filter { abs($0) > lo && abs($0) <= hi }.count) in (\(f(Double(lo))), \(f(Double(hi)))]")
                hi = lo
            }
            return "The dynamic-exponent map spends its 8 bits differently for every magnitude: after the sign bit, the "
                + "number of leading zero bits is the exponent (a power of ten) and the bits after the first 1 are a linear "
                + "fraction. Large magnitudes get more fraction bits, tiny ones more exponent: its \(levels.count) codes reach "
                + "from \(f(Double(smallest))) to 1 — \(decades.joined(separator: ", ")) — which is why it suits optimizer states "
                + "that span many orders of magnitude."
        case .int8, .int4, .int3, .int2:
            let q = (1 << (dt.bitsPerCode - 1)) - 1
            return "Symmetric integers: x ÷ absmax × \(q) rounded to the nearest integer, so \(2 * q + 1) evenly spaced "
                + "levels from -1 to 1 in steps of 1/\(q) (one of the \(1 << dt.bitsPerCode) codes is unused, keeping 0 exact). "
                + "Even spacing wastes levels in the tails, where few weights are; NF4 and FP4 move them towards 0."
        case .uint8Asym, .uint4Asym, .uint3Asym, .uint2Asym:
            return "Asymmetric integers fit \(1 << dt.bitsPerCode) even levels between each block's min and max (with 0 "
                + "inside the range) and store a scale and a zero point. A distribution that is not centred at 0 — a LayerNorm "
                + "scale, a ReLU output — uses every level instead of leaving half of them on the empty side."
        case .quantile8, .quantile4:
            return "Quantile quantization puts the \(levels.count) levels at the tensor's own quantiles of x ÷ block absmax, so "
                + "every code is used equally often — the most information per code (entropy \(f(a.metrics.codeEntropyBits)) "
                + "of \(dt.bitsPerCode) bits here) — at the cost of storing the table and of large errors in the tails, where "
                + "quantiles are far apart."
        case .fp8E4M3, .fp8E5M2, .fp6E2M3, .fp6E3M2, .fp4E2M1:
            return "Scaled float elements: \(dt.summary). More exponent bits reach further (a larger dynamic range), more "
                + "mantissa bits resolve finer steps between powers of two; the block absmax maps to the format's largest value."
        case .mxfp8, .mxfp6, .mxfp4, .mxint8:
            return "Microscaling (OCP MX): \(dt.summary). The shared scale is a power of two stored in 8 bits, so the block "
                + "absmax is not mapped exactly onto the largest element: it can overshoot and clip (max |err| here "
                + "\(f(a.metrics.maxAbsErr))), but scaling costs only 8 bits per 32 elements (0.25 bits/param) and is a shift in hardware."
        case .nvfp4:
            return "NVFP4: \(dt.summary). The FP8 scale per 16 elements follows each block's absmax closely (unlike MX's power "
                + "of two), and the blocks are small, so one outlier affects only 15 neighbours; the cost is 8 bits per 16 "
                + "elements plus the tensor scale."
        case .q8_0, .q4_0, .q4_1, .q5_0, .q4K, .q6K:
            return "llama.cpp's GGUF block format: \(dt.summary). qscope quantizes as llama.cpp's reference code does, so these "
                + "are the codes a GGUF file of this tensor would hold."
        case .fp16, .bf16:
            return "A cast, not a quantization: \(dt.summary). fp16 keeps 10 mantissa bits but only reaches 65504; bf16 keeps "
                + "fp32's range with 7 mantissa bits. They are the baselines every 8- and 4-bit format is measured against."
        }
    }

    static func block(_ a: Analysis) -> String {
        let c = a.config
        let blocks = a.quantized.grouping.blockCount
        let over = overhead(a)
        var s = "This tensor is split into \(blocks) block\(blocks == 1 ? "" : "s") that each get their own scale. "
        switch c.block {
        case .elements(let n) where c.dtype.family != .cast:
            s += "With \(n) elements per block, "
            if c.dtype.supportsDoubleQuant && !c.doubleQuant {
                s += "a 32-bit absmax per block costs 32 ÷ \(n) = \(f(32 / Double(n))) bits per parameter; "
            }
            s += "the engine counts \(f(a.metrics.bitsPerParam)) bits per parameter in all, \(f(over)) of them on scales. "
        case .row, .column, .tensor:
            s += "One scale per \(c.block) is almost free (\(f(over)) bits per parameter) but lets one outlier set the scale for all of it. "
        default:
            break
        }
        s += "Why small blocks win: the largest |x| of a block sets its scale, so one outlier squeezes every other value of its "
            + "block onto fewer levels. Small blocks confine that damage to a few neighbours (the largest |x| here is "
            + "\(f(a.stats.absmax)), \(f(a.stats.absmax / max(a.stats.std, 1e-30))) standard deviations out)."
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
            + "that is 8 ÷ \(n) + 32 ÷ (\(n) × 256) = \(f(nested)) bits per parameter instead of \(f(plain))"
        if a.config.doubleQuant {
            s += " — the engine counts \(f(overhead(a))) here (plus one 32-bit mean for the tensor). The codes are chosen with "
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
        s += ". SQNR = 10·log10(Σx² ÷ Σe²) = \(f(m.sqnrDB)) dB: signal to noise; every extra bit of an ideal uniform "
            + "quantizer adds about 6.02 dB. MSE = mean e² = \(f(m.mse)), RMSE = √MSE = \(f(m.rmse)), MAE = mean |e| = "
            + "\(f(m.mae)), max |e| = \(f(m.maxAbsErr)) (the worst single weight). Cosine similarity of x and deq(x) = "
            + "\(String(format: "%.6f", m.cosine)): 1 means the same direction. Relative error ‖e‖ ÷ ‖x‖ = \(f(m.relFroErr)), "
            + "the same information as SQNR (SQNR = −20·log10 of it). Bits per parameter \(f(m.bitsPerParam)) count codes "
            + "and scales: \(m.bytes) bytes for \(a.count) values."
        return s
    }

    static func codes(_ a: Analysis) -> String {
        let m = a.metrics
        guard a.config.dtype.hasCodes else {
            return "A cast has no code table; \(m.codesUsed) distinct 16-bit values occur."
        }
        let n = a.quantized.codebook.codeCount
        let ideal = log2(Double(max(n, 1)))
        return "\(m.codesUsed) of the \(n) codes are used. The code entropy, \(f(m.codeEntropyBits)) bits, is what an ideal "
            + "entropy coder would need per value; the format spends \(a.config.dtype.bitsPerCode) (at most \(f(ideal)) could carry "
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
