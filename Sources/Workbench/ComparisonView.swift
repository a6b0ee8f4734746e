import TensorCore
import Foundation
import QuantCore
import Reports
import TUI

/// A/B (`p` pin, then `a`): the pinned and the current configuration side by side — both normalised
/// histograms with their own code levels, and every metric with its delta.
enum ComparisonView {
    static func render(_ s: WorkbenchState, _ buf: inout Buffer, _ area: Rect) {
        let theme = s.theme, g = s.glyphs
        guard let pinned = s.pin?.analysis, let current = s.analysis else {
            WorkbenchView.message("pin a configuration with p, change it, then a compares the two", title: "A/B", focused: true,
                                  s, &buf, area)
            return
        }
        let tableHeight = min(MetricTable.all.count + 3, area.height / 2)
        let (plots, table) = area.splitBottom(tableHeight)
        let (left, right) = plots.splitLeft(plots.width / 2)
        histogram(s, pinned, label: "A pinned", &buf, left)
        histogram(s, current, label: "B current", &buf, right)

        let inner = WorkbenchView.panel("metrics · B − A (green better, red worse)", focused: false, theme)
            .render(into: &buf, area: table, glyphs: g)
        guard inner.height > 0 else { return }
        let nameW = 10, colW = max(12, min(22, (inner.width - nameW) / 3))
        let header = Text.pad("", nameW) + Text.padLeft(pinned.tensorName == current.tensorName ? "A" : "A (\(pinned.tensorName))", colW)
            + Text.padLeft("B", colW) + Text.padLeft("B − A", colW)
        buf.put(header, x: inner.x, y: inner.y, style: theme.style(.dim), maxWidth: inner.width)
        for (i, m) in MetricTable.all.prefix(max(0, inner.height - 1)).enumerated() {
            let y = inner.y + 1 + i
            buf.put(Text.pad(m.label, nameW), x: inner.x, y: y, style: theme.style(.dim))
            buf.put(Text.padLeft(m.text(pinned.metrics), colW) + Text.padLeft(m.text(current.metrics), colW), x: inner.x + nameW, y: y,
                    style: theme.style(.text), maxWidth: max(0, inner.width - nameW))
            guard inner.width >= nameW + 3 * colW else { continue }
            let d = m.delta(from: pinned.metrics, to: current.metrics)
            let better = m.improved(from: pinned.metrics, to: current.metrics)
            let style: Style = better == nil ? theme.style(.dim) : theme.style(better! ? .good : .bad)
            buf.put(Text.padLeft(d.isEmpty ? "=" : d, colW), x: inner.x + nameW + 2 * colW, y: y, style: style)
        }
    }

    /// One side: the normalised histogram with that configuration's levels and boundaries.
    static func histogram(_ s: WorkbenchState, _ a: Analysis, label: String, _ buf: inout Buffer, _ r: Rect) {
        let theme = s.theme, g = s.glyphs
        let title = "\(label) · \(a.label)"
        let inner = WorkbenchView.panel(title, focused: false, theme).render(into: &buf, area: r, glyphs: g)
        guard inner.width > 0, inner.height > 1 else { return }
        let cb = a.codebook
        let levels = cb.sortedLevels.map(Double.init), boundaries = cb.boundaries.map(Double.init)
        let crowded = levels.count > inner.width * 2 / 3
        let h = a.normalizedHistogram
        let (legend, plot) = inner.splitTop(1)
        let sqnr = MetricTable.spec("sqnr_db")!, bits = MetricTable.spec("bits_per_param")!
        buf.put("\(cb.domainLabel) · SQNR \(sqnr.text(a.metrics)) · \(bits.number(a.metrics)) bits/p",
                x: legend.x, y: legend.y, style: theme.style(.dim), maxWidth: legend.width)
        HistogramWidget(counts: h.counts, lower: h.lower, upper: h.upper, logScale: s.logAxis,
                        levels: crowded ? [] : levels, boundaries: crowded ? [] : boundaries,
                        barStyle: theme.style(.bar), levelStyle: theme.style(.levelMarker),
                        boundaryStyle: theme.style(.boundaryMarker), labelStyle: theme.style(.dim))
            .render(into: &buf, area: plot, glyphs: g)
    }
}
