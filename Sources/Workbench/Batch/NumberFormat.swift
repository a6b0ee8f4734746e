import Foundation

/// Number formatting for tables and text reports (JSON uses exact shortest decimals instead).
public enum NumberFormat {
    /// `digits` significant digits, switching to exponent notation for very small or large magnitudes.
    public static func sig(_ x: Double, _ digits: Int = 4) -> String {
        guard x.isFinite else { return x.isNaN ? "n/a" : (x > 0 ? "inf" : "-inf") }
        if x == 0 { return "0" }
        let a = abs(x)
        if a < 1e-3 || a >= 1e6 { return String(format: "%.\(max(digits - 1, 0))e", x) }
        return String(format: "%.\(digits)g", x)
    }

    /// Fixed decimals.
    public static func fixed(_ x: Double, _ decimals: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "n/a" : (x > 0 ? "inf" : "-inf") }
        return String(format: "%.\(decimals)f", x)
    }

    /// `384×1536`.
    public static func shape(_ s: [Int]) -> String { s.isEmpty ? "scalar" : s.map(String.init).joined(separator: "×") }

    /// An eighth-block sparkline of counts (log-scaled when `log`).
    static func sparkline(_ counts: [Int], width: Int, log: Bool = false, ascii: Bool = false) -> String {
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
