import TensorCore
import Foundation

/// A scatter of points with an optional polyline through some of them, drawn with braille dots
/// (2 × 4 dots a cell, so a 60-column pane resolves 120 × 4·rows positions), or with `.`/`*` in the
/// ASCII glyph set. Axes are labelled with their ranges; one point can be marked as the current one.
///
/// Why braille: the sweep frontier has ~150 configurations whose SQNR differ by tenths of a dB; a
/// cell per point would merge neighbours that the user needs to tell apart.
public struct ScatterPlot: Sendable {
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        /// Drawn in the highlight style (the Pareto frontier).
        public var highlighted: Bool

        public init(x: Double, y: Double, highlighted: Bool = false) {
            self.x = x
            self.y = y
            self.highlighted = highlighted
        }
    }

    public var points: [Point]
    /// Points joined by straight segments, in order (the frontier), in the highlight style.
    public var line: [Point]
    /// The point drawn with the marker glyph on top of everything.
    public var marked: Point?
    public var xLabel: String
    public var yLabel: String
    public var dotStyle: Style
    public var highlightStyle: Style
    public var markStyle: Style
    public var labelStyle: Style

    public init(points: [Point], line: [Point] = [], marked: Point? = nil, xLabel: String = "", yLabel: String = "",
                dotStyle: Style = .plain, highlightStyle: Style = .plain, markStyle: Style = .plain, labelStyle: Style = .plain) {
        self.points = points
        self.line = line
        self.marked = marked
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.dotStyle = dotStyle
        self.highlightStyle = highlightStyle
        self.markStyle = markStyle
        self.labelStyle = labelStyle
    }

    /// Braille dot bits by (column 0–1, row 0–3) within a cell (Unicode's numbering of the 8 dots).
    static let dotBits: [[UInt32]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    /// The finite range of the values, widened when it is a single value.
    static func range(_ v: [Double]) -> (Double, Double)? {
        let f = v.filter(\.isFinite)
        guard var lo = f.min(), var hi = f.max() else { return nil }
        if hi - lo < 1e-12 { lo -= 0.5; hi += 0.5 }
        return (lo, hi)
    }

    public func render(into buf: inout Buffer, area: Rect, glyphs: GlyphSet) {
        guard area.width >= 8, area.height >= 3 else { return }
        let all = points + line + (marked.map { [$0] } ?? [])
        guard let (x0, x1) = Self.range(all.map(\.x)), let (y0, y1) = Self.range(all.map(\.y)) else {
            buf.put("no finite points", x: area.x, y: area.y, style: labelStyle, maxWidth: area.width)
            return
        }
        // Left gutter for the y labels, bottom row for the x labels.
        let yTop = NumberFormat.format(y1, .axis), yBottom = NumberFormat.format(y0, .axis)
        let gutter = min(area.width / 3, max(yTop.count, yBottom.count) + 1)
        let plot = Rect(x: area.x + gutter, y: area.y, width: area.width - gutter, height: area.height - 1)
        guard plot.width > 0, plot.height > 0 else { return }
        let braille = glyphs.bars.last == "█"
        let dw = plot.width * 2, dh = plot.height * 4
        var bits = [UInt32](repeating: 0, count: plot.width * plot.height)
        var hot = [Bool](repeating: false, count: plot.width * plot.height)
        func dot(_ px: Double, _ py: Double, highlighted: Bool) {
            guard px.isFinite, py.isFinite else { return }
            let dx = min(dw - 1, max(0, Int(((px - x0) / (x1 - x0) * Double(dw - 1)).rounded())))
            let dy = min(dh - 1, max(0, Int(((y1 - py) / (y1 - y0) * Double(dh - 1)).rounded())))
            let cell = (dy / 4) * plot.width + dx / 2
            bits[cell] |= Self.dotBits[dx % 2][dy % 4]
            if highlighted { hot[cell] = true }
        }
        for p in points { dot(p.x, p.y, highlighted: p.highlighted) }
        for (a, b) in zip(line, line.dropFirst()) {
            // Enough steps that consecutive dots touch.
            let steps = max(2, Int(abs(b.x - a.x) / (x1 - x0) * Double(dw)) + Int(abs(b.y - a.y) / (y1 - y0) * Double(dh)) + 1)
            for k in 0...steps {
                let t = Double(k) / Double(steps)
                dot(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, highlighted: true)
            }
        }
        for row in 0..<plot.height {
            for col in 0..<plot.width {
                let i = row * plot.width + col
                guard bits[i] != 0 else { continue }
                let ch: Character = braille ? Character(Unicode.Scalar(0x2800 + bits[i])!) : (hot[i] ? "*" : ".")
                buf.put(String(ch), x: plot.x + col, y: plot.y + row, style: hot[i] ? highlightStyle : dotStyle)
            }
        }
        if let m = marked, m.x.isFinite, m.y.isFinite {
            let cx = min(plot.width - 1, max(0, Int(((m.x - x0) / (x1 - x0) * Double(plot.width - 1)).rounded())))
            let cy = min(plot.height - 1, max(0, Int(((y1 - m.y) / (y1 - y0) * Double(plot.height - 1)).rounded())))
            buf.put(braille ? "◆" : "@", x: plot.x + cx, y: plot.y + cy, style: markStyle)
        }
        buf.put(Text.padLeft(yTop, gutter - 1), x: area.x, y: plot.y, style: labelStyle)
        buf.put(Text.padLeft(yBottom, gutter - 1), x: area.x, y: plot.maxY - 1, style: labelStyle)
        if !yLabel.isEmpty, plot.height > 2 {
            buf.put(Text.clip(yLabel, to: gutter - 1), x: area.x, y: plot.y + plot.height / 2, style: labelStyle)
        }
        let left = NumberFormat.format(x0, .axis), right = NumberFormat.format(x1, .axis)
        let bottom = area.maxY - 1
        buf.put(left, x: plot.x, y: bottom, style: labelStyle, maxWidth: plot.width)
        if plot.width > left.count + right.count + 2 {
            buf.put(right, x: plot.maxX - right.count, y: bottom, style: labelStyle)
        }
        if !xLabel.isEmpty, plot.width > left.count + right.count + xLabel.count + 4 {
            buf.put(xLabel, x: plot.x + (plot.width - xLabel.count) / 2, y: bottom, style: labelStyle)
        }
    }
}
