import Foundation
import QuantCore
import TensorCore

/// The figure a teacher puts on a slide: the histogram of a tensor's normalised values (x ÷ block
/// scale), the datatype's code levels and the decision boundaries between them, with the datatype,
/// block and metrics in its title. `qscope plot` writes it, and `E` in the workbench.
///
/// Pure: an analysis in, SVG text out (`SVGDocument`).
public struct HistogramFigure: Sendable {
    public var title: String
    public var subtitle: String
    public var xLabel: String
    public var histogram: Histogram
    /// Distinct finite code levels in the normalised domain, ascending.
    public var levels: [Float]
    /// Decision boundaries between neighbouring levels, ascending.
    public var boundaries: [Float]
    public var logCounts: Bool

    public init(title: String, subtitle: String, xLabel: String, histogram: Histogram, levels: [Float],
                boundaries: [Float], logCounts: Bool = false) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.histogram = histogram
        self.levels = levels
        self.boundaries = boundaries
        self.logCounts = logCounts
    }

    /// The figure of an analysis: its normalised histogram with its code book.
    public init(analysis a: Analysis, logCounts: Bool = false) {
        let m = a.metrics
        var sub = ["SQNR \(NumberFormat.fixed(m.sqnrDB, 2)) dB", "MSE \(NumberFormat.compact(m.mse))",
                   "\(NumberFormat.fixed(m.bitsPerParam, 3)) bits/param"]
        if a.codeSlots > 0 { sub.append("\(m.codesUsed) of \(a.codeSlots) codes used") }
        sub.append("\(NumberFormat.shape(a.shape)) \(a.sourceDType)")
        if let seen = a.coverage { sub.append("estimate from \(NumberFormat.count(seen)) of \(NumberFormat.count(a.count)) values") }
        let what = a.stored.map { "\($0.label) · blocks of \($0.blockElements)" }
            ?? (a.config.dtype.hasCodes ? "\(a.config.dtype.name) · block \(a.config.block)" + (a.config.doubleQuant ? " · double quant" : "")
                : "\(a.config.dtype.name) (a cast: no codes, no blocks)")
        self.init(title: "\(a.tensorName): \(what)", subtitle: sub.joined(separator: " · "),
                  xLabel: a.codebook.domainLabel == "x" ? "x" : a.codebook.domainLabel + " (normalised)", histogram: a.normalizedHistogram,
                  levels: a.codebook.sortedLevels, boundaries: a.codebook.boundaries, logCounts: logCounts)
    }

    /// Colours and type for print and projection: dark on white, levels and boundaries distinct in
    /// colour and in dash, so the figure reads in greyscale too.
    static let style = """
    .background { fill: #ffffff; }
    text { font-family: 'Helvetica Neue', Helvetica, Arial, sans-serif; fill: #222222; }
    .title { font-size: 18px; font-weight: bold; }
    .subtitle { font-size: 13px; fill: #444444; }
    .label { font-size: 13px; }
    .tick { font-size: 11px; fill: #444444; }
    .legend { font-size: 12px; }
    .mono { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12px; white-space: pre; }
    .axis { stroke: #222222; stroke-width: 1; }
    .grid { stroke: #e6e6e6; stroke-width: 1; }
    .bar { fill: #9ab8d6; stroke: #5b7fa6; stroke-width: 0.5; }
    .level { stroke: #d9480f; stroke-width: 1.5; }
    .level-marker { fill: #d9480f; }
    .boundary { stroke: #555555; stroke-width: 1; stroke-dasharray: 4 3; }
    """

    /// Around `count` round numbers (1, 2 or 5 × 10ᵏ apart) covering `lower…upper`.
    static func ticks(_ lower: Double, _ upper: Double, count: Int = 5) -> [Double] {
        guard upper > lower, lower.isFinite, upper.isFinite else { return [lower] }
        let raw = (upper - lower) / Double(max(1, count))
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [Double] = []
        var t = (lower / step).rounded(.up) * step
        while t <= upper + step * 1e-9 {
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return out
    }

    /// `5` → `⁵`, for the powers of ten of a log axis.
    static func superscript(_ n: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        return String(String(n).map { $0 == "-" ? "⁻" : $0.wholeNumberValue.map { digits[$0] } ?? $0 })
    }

    public func svg() -> String {
        let width = 880.0, height = 520.0
        let left = 78.0, right = 24.0, top = 74.0, bottom = 64.0
        let plotW = width - left - right, plotH = height - top - bottom
        var doc = SVGDocument(width: width, height: height, title: title, style: Self.style)
        doc.text(title, left, 28, class: "title")
        doc.text(subtitle, left, 50, class: "subtitle")

        let h = histogram
        let lo = h.lower, hi = h.upper > h.lower ? h.upper : h.lower + 1
        func x(_ v: Double) -> Double { left + (v - lo) / (hi - lo) * plotW }
        func value(_ c: Int) -> Double { logCounts ? log10(1 + Double(c)) : Double(c) }
        let top1 = max(1e-12, h.counts.map(value).max() ?? 1)
        // Linear counts get round ticks; log counts get the powers of ten.
        let countTicks: [Double] = logCounts
            ? (0...Int(top1.rounded(.up))).map { Double($0) }
            : Self.ticks(0, top1, count: 5)
        let yMax = max(top1, countTicks.last ?? top1) * 1.05
        func y(_ v: Double) -> Double { top + plotH - v / yMax * plotH }

        // Grid and count axis.
        for t in countTicks where t <= yMax {
            doc.line(left, y(t), left + plotW, y(t), class: "grid")
            let label = logCounts ? (t == 0 ? "1" : "10" + Self.superscript(Int(t))) : NumberFormat.count(Int(t.rounded()))
            doc.text(label, left - 8, y(t) + 4, class: "tick", anchor: .end)
        }
        // Bars.
        let binW = plotW / Double(max(1, h.counts.count))
        for (i, c) in h.counts.enumerated() where c > 0 {
            let v = value(c)
            doc.rect(left + Double(i) * binW, y(v), binW, top + plotH - y(v), class: "bar")
        }
        // Decision boundaries (dashed), then levels (solid, with a marker above the plot).
        for b in boundaries.map(Double.init) where b >= lo && b <= hi {
            doc.line(x(b), top, x(b), top + plotH, class: "boundary")
        }
        for l in levels.map(Double.init) where l >= lo && l <= hi {
            doc.line(x(l), top, x(l), top + plotH, class: "level")
            doc.rect(x(l) - 2.5, top - 7, 5, 5, class: "level-marker")
        }
        // Axes.
        doc.line(left, top + plotH, left + plotW, top + plotH, class: "axis")
        doc.line(left, top, left, top + plotH, class: "axis")
        for t in Self.ticks(lo, hi, count: 8) {
            doc.line(x(t), top + plotH, x(t), top + plotH + 8, class: "axis")
            doc.text(NumberFormat.format(t, .axis), x(t), top + plotH + 22, class: "tick", anchor: .middle)
        }
        doc.text(xLabel, left + plotW / 2, height - 18, class: "label", anchor: .middle)
        doc.text(logCounts ? "count (log scale)" : "count", 20, top + plotH / 2, class: "label", anchor: .middle, rotate: -90)

        // Legend, top right inside the plot.
        let lx = left + plotW - 200, ly = top + 10
        doc.rect(lx - 10, ly - 6, 206, levels.isEmpty ? 30 : 66, class: "background")
        doc.rect(lx, ly, 18, 12, class: "bar key")
        doc.text("values (\(NumberFormat.count(h.total)))", lx + 26, ly + 11, class: "legend")
        if !levels.isEmpty {
            doc.line(lx, ly + 28, lx + 18, ly + 28, class: "level key")
            doc.text("code level (\(levels.count))", lx + 26, ly + 32, class: "legend")
            doc.line(lx, ly + 48, lx + 18, ly + 48, class: "boundary key")
            doc.text("decision boundary", lx + 26, ly + 52, class: "legend")
        }
        return doc.serialized()
    }

    /// A text screen (a view that is not a histogram) as an SVG of monospaced lines.
    public static func textFigure(title: String, lines: [String]) -> String {
        let lineH = 15.0, charW = 7.3
        let cols = lines.map(\.count).max() ?? 0
        var doc = SVGDocument(width: max(200, Double(cols) * charW + 32), height: Double(lines.count) * lineH + 56,
                              title: title, style: style)
        doc.text(title, 16, 24, class: "title")
        for (i, l) in lines.enumerated() where !l.allSatisfy({ $0 == " " }) {
            doc.text(l, 16, 48 + Double(i) * lineH, class: "mono", preserveSpace: true)
        }
        return doc.serialized()
    }
}
