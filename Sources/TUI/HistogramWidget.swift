import TensorCore
import Foundation

/// Vertical bars of bin counts with eighth-block resolution, and markers drawn over them.
///
/// Level markers (the datatype's code values) and boundary markers (its decision
/// boundaries) use different glyphs as well as colours, so they read in
/// monochrome. Counts of weights span orders of magnitude, hence the log axis.
public struct HistogramWidget: Sendable {
    public var counts: [Int]
    public var lower: Double
    public var upper: Double
    public var logScale: Bool
    public var levels: [Double]
    public var boundaries: [Double]
    public var barStyle: Style
    public var levelStyle: Style
    public var boundaryStyle: Style
    public var labelStyle: Style

    public init(counts: [Int], lower: Double, upper: Double, logScale: Bool = false, levels: [Double] = [],
                boundaries: [Double] = [], barStyle: Style = .plain, levelStyle: Style = .plain,
                boundaryStyle: Style = .plain, labelStyle: Style = .plain) {
        self.counts = counts
        self.lower = lower
        self.upper = upper
        self.logScale = logScale
        self.levels = levels
        self.boundaries = boundaries
        self.barStyle = barStyle
        self.levelStyle = levelStyle
        self.boundaryStyle = boundaryStyle
        self.labelStyle = labelStyle
    }

    /// Column of the plot area where value `v` falls, or nil outside.
    func column(of v: Double, width: Int) -> Int? {
        guard upper > lower, v >= lower, v <= upper, width > 0 else { return nil }
        return min(width - 1, Int((v - lower) / (upper - lower) * Double(width)))
    }

    /// Counts regrouped to `width` columns (each column averages the bins that fall in it).
    func columns(_ width: Int) -> [Int] {
        guard width > 0, !counts.isEmpty else { return [] }
        var out = [Int](repeating: 0, count: width)
        if counts.count >= width {
            // Average the bins of each column, so columns holding 3 bins do not stand taller than those holding 2.
            var n = [Int](repeating: 0, count: width)
            for (i, c) in counts.enumerated() { out[i * width / counts.count] += c; n[i * width / counts.count] += 1 }
            for x in 0..<width where n[x] > 1 { out[x] = (out[x] + n[x] / 2) / n[x] }
        } else {
            for x in 0..<width { out[x] = counts[x * counts.count / width] }
        }
        return out
    }

    public func render(into buf: inout Buffer, area: Rect, glyphs: GlyphSet) {
        guard area.width >= 1, area.height >= 1 else { return }
        let showLabels = area.height >= 3
        let plotHeight = showLabels ? area.height - 1 : area.height
        let cols = columns(area.width)
        func scale(_ c: Int) -> Double { logScale ? log1p(Double(c)) : Double(c) }
        let top = cols.map(scale).max() ?? 0
        let eighths = plotHeight * 8
        for (x, c) in cols.enumerated() where c > 0 && top > 0 {
            var units = Int((scale(c) / top * Double(eighths)).rounded())
            units = max(units, 1)
            for row in 0..<plotHeight {
                let fromBottom = units - row * 8
                if fromBottom <= 0 { break }
                let g = glyphs.bars[min(fromBottom, 8)]
                buf[area.x + x, area.y + plotHeight - 1 - row] = Cell(g, style: barStyle)
            }
        }
        // Markers: boundaries first, levels over them; a marker draws over empty cells only in
        // the top row and through the bar's top, so the bars stay readable.
        for (values, glyph, style) in [(boundaries, glyphs.boundaryMarker, boundaryStyle), (levels, glyphs.levelMarker, levelStyle)] {
            for v in values {
                guard let x = column(of: v, width: area.width) else { continue }
                for row in 0..<plotHeight where buf[area.x + x, area.y + row].char == " " {
                    buf[area.x + x, area.y + row] = Cell(glyph, style: style)
                }
            }
        }
        if showLabels {
            let y = area.maxY - 1
            let l = NumberFormat.format(lower, .axis), r = NumberFormat.format(upper, .axis)
            buf.put(l, x: area.x, y: y, style: labelStyle, maxWidth: area.width)
            if area.width > l.count + r.count + 1 {
                buf.put(r, x: area.maxX - r.count, y: y, style: labelStyle)
                if lower < 0 && upper > 0, let zx = column(of: 0, width: area.width),
                   zx > l.count + 1, zx + 1 < area.width - r.count - 1 {
                    buf.put("0", x: area.x + zx, y: y, style: labelStyle)
                }
            }
        }
    }

}

/// One row of eighth-block bars: e.g. every column's absmax, scaled to the width
/// (the maximum of each group of columns shown), with an optional threshold marker.
public struct BarStrip: Sendable {
    public var values: [Double]
    public var threshold: Double?
    public var barStyle: Style
    public var highlightStyle: Style

    public init(values: [Double], threshold: Double? = nil, barStyle: Style = .plain, highlightStyle: Style = .plain) {
        self.values = values
        self.threshold = threshold
        self.barStyle = barStyle
        self.highlightStyle = highlightStyle
    }

    /// The maximum of each of `width` groups.
    func grouped(_ width: Int) -> [Double] {
        guard width > 0, !values.isEmpty else { return [] }
        let n = min(width, values.count)
        var out = [Double](repeating: 0, count: n)
        for (i, v) in values.enumerated() { let g = i * n / values.count; out[g] = max(out[g], v) }
        return out
    }

    public func render(into buf: inout Buffer, area: Rect, glyphs: GlyphSet) {
        guard area.width >= 1, area.height >= 1 else { return }
        let groups = grouped(area.width)
        let top = max(groups.max() ?? 0, threshold ?? 0)
        guard top > 0 else { return }
        let eighths = area.height * 8
        for (x, v) in groups.enumerated() {
            let units = max(v > 0 ? 1 : 0, Int((v / top * Double(eighths)).rounded()))
            let style = (threshold.map { v > $0 } ?? false) ? highlightStyle : barStyle
            for row in 0..<area.height {
                let fromBottom = units - row * 8
                if fromBottom <= 0 { break }
                buf[area.x + x, area.maxY - 1 - row] = Cell(glyphs.bars[min(fromBottom, 8)], style: style)
            }
        }
        if let threshold, threshold < top {
            let row = Int((threshold / top * Double(area.height)).rounded(.down))
            let y = area.maxY - 1 - min(row, area.height - 1)
            for x in 0..<groups.count where buf[area.x + x, y].char == " " {
                buf[area.x + x, y] = Cell(glyphs.threshold, style: highlightStyle)
            }
        }
    }
}
