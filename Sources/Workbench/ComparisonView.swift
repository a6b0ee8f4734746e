import Foundation
import QuantCore
import TUI

/// A/B (`p` pin, then `a`): the pinned and the current configuration side by side — both normalised
/// histograms with their own code levels, and every metric with its delta.
enum ComparisonView {
    /// A metric row: name, value, whether higher is better (nil: no better or worse).
    struct MetricRow: Sendable {
        var name: String
        var value: @Sendable (ErrorMetrics) -> Double
        var higherIsBetter: Bool?
        var format: @Sendable (Double) -> String
    }

    static let metricRows: [MetricRow] = [
        MetricRow(name: "SQNR dB", value: { $0.sqnrDB }, higherIsBetter: true, format: { String(format: "%.2f", $0) }),
        MetricRow(name: "MSE", value: { $0.mse }, higherIsBetter: false, format: { NumberFormat.compact($0) }),
        MetricRow(name: "RMSE", value: { $0.rmse }, higherIsBetter: false, format: { NumberFormat.compact($0) }),
        MetricRow(name: "MAE", value: { $0.mae }, higherIsBetter: false, format: { NumberFormat.compact($0) }),
        MetricRow(name: "max err", value: { $0.maxAbsErr }, higherIsBetter: false, format: { NumberFormat.compact($0) }),
        MetricRow(name: "cosine", value: { $0.cosine }, higherIsBetter: true, format: { String(format: "%.5f", $0) }),
        MetricRow(name: "rel err", value: { $0.relFroErr }, higherIsBetter: false, format: { NumberFormat.compact($0) }),
        MetricRow(name: "bits/p", value: { $0.bitsPerParam }, higherIsBetter: false, format: { String(format: "%.3f", $0) }),
        MetricRow(name: "bytes", value: { Double($0.bytes) }, higherIsBetter: false, format: { String(format: "%.0f", $0) }),
        MetricRow(name: "codes", value: { Double($0.codesUsed) }, higherIsBetter: nil, format: { String(format: "%.0f", $0) }),
        MetricRow(name: "entropy", value: { $0.codeEntropyBits }, higherIsBetter: nil, format: { String(format: "%.2f", $0) }),
    ]

    static func render(_ s: WorkbenchState, _ buf: inout Buffer, _ area: Rect) {
        let theme = s.theme, g = s.glyphs
        guard let pinned = s.pin?.analysis, let current = s.analysis else {
            WorkbenchView.message("pin a configuration with p, change it, then a compares the two", title: "A/B", focused: true,
                                  s, &buf, area)
            return
        }
        let tableHeight = min(metricRows.count + 3, area.height / 2)
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
        for (i, m) in metricRows.prefix(max(0, inner.height - 1)).enumerated() {
            let a = m.value(pinned.metrics), b = m.value(current.metrics)
            let y = inner.y + 1 + i
            buf.put(Text.pad(m.name, nameW), x: inner.x, y: y, style: theme.style(.dim))
            buf.put(Text.padLeft(m.format(a), colW) + Text.padLeft(m.format(b), colW), x: inner.x + nameW, y: y,
                    style: theme.style(.text), maxWidth: max(0, inner.width - nameW))
            let d = b - a
            guard a.isFinite, b.isFinite, inner.width >= nameW + 3 * colW else { continue }
            let text = d == 0 ? "=" : (abs(d) >= 0.01 ? String(format: "%+.3g", d) : String(format: "%+.2e", d))
            let style: Style = d == 0 || m.higherIsBetter == nil ? theme.style(.dim)
                : theme.style((d > 0) == m.higherIsBetter! ? .good : .bad)
            buf.put(Text.padLeft(text, colW), x: inner.x + nameW + 2 * colW, y: y, style: style)
        }
    }

    /// One side: the normalised histogram with that configuration's levels and boundaries.
    static func histogram(_ s: WorkbenchState, _ a: Analysis, label: String, _ buf: inout Buffer, _ r: Rect) {
        let theme = s.theme, g = s.glyphs
        let title = "\(label) · \(a.config.description)"
        let inner = WorkbenchView.panel(title, focused: false, theme).render(into: &buf, area: r, glyphs: g)
        guard inner.width > 0, inner.height > 1 else { return }
        let cb = a.quantized.codebook
        let levels = cb.sortedLevels.map(Double.init), boundaries = cb.boundaries.map(Double.init)
        let crowded = levels.count > inner.width * 2 / 3
        let h = a.normalizedHistogram
        let (legend, plot) = inner.splitTop(1)
        buf.put("\(cb.domainLabel) · SQNR \(String(format: "%.2f", a.metrics.sqnrDB)) dB · \(String(format: "%.3f", a.metrics.bitsPerParam)) bits/p",
                x: legend.x, y: legend.y, style: theme.style(.dim), maxWidth: legend.width)
        HistogramWidget(counts: h.counts, lower: h.lower, upper: h.upper, logScale: s.logAxis,
                        levels: crowded ? [] : levels, boundaries: crowded ? [] : boundaries,
                        barStyle: theme.style(.bar), levelStyle: theme.style(.levelMarker),
                        boundaryStyle: theme.style(.boundaryMarker), labelStyle: theme.style(.dim))
            .render(into: &buf, area: plot, glyphs: g)
    }
}
