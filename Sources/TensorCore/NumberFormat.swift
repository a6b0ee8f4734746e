import Foundation

/// The one number formatter of qscope: every figure on screen, in a report or in an explanation goes
/// through it, so the same value reads the same wherever it is shown in the same style.
///
/// Styles, by what they are for:
/// - `compact`: metrics and statistics in panes, text reports and prose: four significant digits,
///   exponent notation (three decimals) below 10⁻³ and from 10⁴ on;
/// - `fixed(n)`: figures with a natural unit of precision (SQNR to 0.01 dB, bits/param to 0.001);
/// - `exact`: the shortest decimal that reads back as the same binary value (JSON, CSV, Markdown);
/// - `delta(n)`: a signed difference with `n` decimals (`+1.20`), `compact` digits when `n` is nil;
/// - `axis`: three significant digits for axis labels.
///
/// Non-finite values read `n/a`, `inf` and `-inf` in every style: the sign of an infinity is kept.
public enum NumberFormat {
    public enum Style: Sendable, Hashable {
        case compact
        case fixed(Int)
        case exact
        case delta(Int?)
        case axis
        /// `%.{n}g`: n significant digits, no padding (lists of levels).
        case significant(Int)
    }

    /// `x` in `style`.
    public static func format(_ x: Double, _ style: Style = .compact) -> String {
        guard x.isFinite else { return nonFinite(x) }
        switch style {
        case .compact:
            return compact(x)
        case .fixed(let n):
            return String(format: "%.\(n)f", x)
        case .exact:
            return x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
        case .delta(let n):
            let body = n.map { String(format: "%.\($0)f", abs(x)) } ?? compact(abs(x))
            return (x < 0 ? "-" : "+") + body
        case .significant(let n):
            return String(format: "%.\(n)g", x)
        case .axis:
            if x == 0 { return "0" }
            let a = abs(x)
            return a >= 1e4 || a < 1e-3 ? String(format: "%.2g", x) : String(format: "%.3g", x)
        }
    }

    /// `format(Double(x), style)`.
    public static func format(_ x: Float, _ style: Style = .compact) -> String { format(Double(x), style) }

    /// Four significant digits; exponent notation below 10⁻³ and from 10⁴ on.
    public static func compact(_ x: Double) -> String {
        guard x.isFinite else { return nonFinite(x) }
        if x == 0 { return "0" }
        let a = abs(x)
        return a < 1e-3 || a >= 1e4 ? String(format: "%.3e", x) : String(format: "%.4g", x)
    }

    /// `x` with `n` decimals.
    public static func fixed(_ x: Double, _ n: Int) -> String { format(x, .fixed(n)) }

    /// A ratio to a median or a reference, one decimal and `×` (`55.5×`): the outlier columns read the
    /// same in the workbench and in `report`.
    public static func ratio(_ x: Double, ascii: Bool = false) -> String { fixed(x, 1) + (ascii ? "x" : "×") }

    /// A count in thousands, millions or billions: `4.2 M`, `525 M`, `1.3 G`.
    public static func count(_ n: Int) -> String {
        let v = Double(n)
        switch abs(v) {
        case ..<1e4: return String(n)
        case ..<1e6: return String(format: "%.3g k", v / 1e3)
        case ..<1e9: return String(format: "%.3g M", v / 1e6)
        default: return String(format: "%.3g G", v / 1e9)
        }
    }

    /// Bytes in binary units (`512 B`, `1.5 MiB`).
    public static func bytes(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(bytes), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(bytes) B" : String(format: "%.1f %@", v, units[u])
    }

    /// `n/a`, `inf` or `-inf`.
    static func nonFinite(_ x: Double) -> String { x.isNaN ? "n/a" : (x > 0 ? "inf" : "-inf") }

    /// `384×1536` (`384x1536` with ASCII glyphs).
    public static func shape(_ s: [Int], ascii: Bool = false) -> String {
        s.isEmpty ? "scalar" : s.map(String.init).joined(separator: ascii ? "x" : "×")
    }

    /// An eighth-block sparkline of counts (log-scaled when `log`).
    public static func sparkline(_ counts: [Int], width: Int, log: Bool = false, ascii: Bool = false) -> String {
        guard !counts.isEmpty, width > 0 else { return "" }
        let glyphs: [Character] = ascii ? [" ", ".", ":", "-", "=", "+", "*", "#", "#"]
                                        : [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let groups = min(width, counts.count)
        var merged = [Int](repeating: 0, count: groups)
        for (i, c) in counts.enumerated() { merged[i * groups / counts.count] += c }
        func v(_ c: Int) -> Double { log ? Foundation.log1p(Double(c)) : Double(c) }
        let top = merged.map(v).max() ?? 0
        return String(merged.map { c in
            guard top > 0, c > 0 else { return glyphs[0] }
            return glyphs[max(1, Int((v(c) / top * 8).rounded()))]
        })
    }
}
