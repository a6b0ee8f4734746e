import TensorCore
import Foundation
import QuantCore
import TUI

/// Outlier isolation (`u`, SpQR-style): the top p % of weights kept in 16-bit with their indices, the
/// rest quantized with the current configuration; bits per parameter against error as p goes 0 … 2 %,
/// ranked by magnitude and by plain quantization error. The sweep's configurations, when the sweep
/// has run, are drawn behind as dots: where the isolation curve rises above them, keeping a few weights
/// buys more than more bits everywhere.
enum IsolationView {
    static func render(_ s: WorkbenchState, _ buf: inout Buffer, _ area: Rect) {
        let theme = s.theme, g = s.glyphs
        guard let r = s.isolation, r.key == s.currentKey else {
            WorkbenchView.message("quantizing with the top 0 … 2 % of weights kept in 16-bit…", title: "outlier isolation",
                                  focused: true, s, &buf, area)
            return
        }
        let tableWidth = min(64, max(44, area.width / 2))
        let (left, plotArea) = area.splitLeft(min(tableWidth, area.width))
        let (magArea, errArea) = left.splitTop(left.height / 2)
        // A large tensor's curves come from evenly spread rows of it: say so in the titles.
        let sampled = r.sampledFrom.map { " · rows sampled from \(NumberFormat.shape($0, ascii: s.glyphs == .ascii))" } ?? ""
        table(s, r.byMagnitude, title: "kept by magnitude |x|" + sampled, &buf, magArea)
        table(s, r.byError, title: "kept by quantization error (SpQR stand-in)", &buf, errArea)

        let inner = WorkbenchView.panel("SQNR dB against bits per parameter", focused: false, theme)
            .render(into: &buf, area: plotArea, glyphs: g)
        let (plot, caption) = inner.splitBottom(inner.height > 6 ? 2 : 0)
        func points(_ iso: OutlierIsolation) -> [ScatterPlot.Point] {
            iso.rows.filter { $0.sqnrDB.isFinite }.map { ScatterPlot.Point(x: $0.bitsPerParam, y: $0.sqnrDB, highlighted: true) }
        }
        let mag = points(r.byMagnitude), err = points(r.byError)
        // The sweep rows within the curve's bit range, for context.
        let lo = (mag + err).map(\.x).min() ?? 0, hi = (mag + err).map(\.x).max() ?? 0
        let context = (s.sweep?.tensor == r.key.tensor ? s.sweep?.sweep.rows ?? [] : [])
            .filter { $0.sqnrDB.isFinite && $0.bitsPerParam >= lo - 0.05 && $0.bitsPerParam <= hi + 0.6 }
            .map { ScatterPlot.Point(x: $0.bitsPerParam, y: $0.sqnrDB) }
        ScatterPlot(points: context + err.map { var p = $0; p.highlighted = false; return p }, line: mag, marked: mag.first,
                    xLabel: "bits/param", yLabel: "dB", dotStyle: theme.style(.dim), highlightStyle: theme.style(.accent),
                    markStyle: theme.style(.outlier), labelStyle: theme.style(.dim))
            .render(into: &buf, area: plot, glyphs: g)
        if caption.height > 0 {
            buf.put("line: by |x| · dots: by error" + (context.isEmpty ? " (s adds the sweep)" : ", sweep") + " · ◆ none kept",
                    x: caption.x, y: caption.y, style: theme.style(.dim), maxWidth: caption.width)
            buf.put(verdict(r.byMagnitude), x: caption.x, y: caption.y + 1, style: theme.style(.text), maxWidth: caption.width)
        }
    }

    static func table(_ s: WorkbenchState, _ iso: OutlierIsolation, title: String, _ buf: inout Buffer, _ r: Rect) {
        let theme = s.theme
        let inner = WorkbenchView.panel(title, focused: false, theme).render(into: &buf, area: r, glyphs: s.glyphs)
        guard inner.height > 1 else { return }
        let header = Text.padLeft("kept %", 7) + Text.padLeft("weights", 9) + Text.padLeft("bits/p", 8) + Text.padLeft("SQNR", 8)
            + Text.padLeft("rel.err", 10) + Text.padLeft("max err", 10)
        buf.put(header, x: inner.x, y: inner.y, style: theme.style(.dim), maxWidth: inner.width)
        for (i, row) in iso.rows.prefix(inner.height - 1).enumerated() {
            let text = Text.padLeft(String(format: "%g", row.percent), 7) + Text.padLeft("\(row.kept)", 9)
                + Text.padLeft(String(format: "%.3f", row.bitsPerParam), 8)
                + Text.padLeft(row.sqnrDB.isFinite ? String(format: "%.2f", row.sqnrDB) : "inf", 8)
                + Text.padLeft(NumberFormat.compact(row.relFroErr), 10) + Text.padLeft(NumberFormat.compact(row.maxAbsErr), 10)
            buf.put(text, x: inner.x, y: inner.y + 1 + i, style: theme.style(i == 0 ? .dim : .text), maxWidth: inner.width)
        }
    }

    /// What 1 % bought, in dB per extra bit.
    static func verdict(_ iso: OutlierIsolation) -> String {
        guard let base = iso.rows.first, let one = iso.rows.first(where: { $0.percent == 1 }) ?? iso.rows.last, one.kept > 0 else {
            return ""
        }
        let dBits = one.bitsPerParam - base.bitsPerParam, dDB = one.sqnrDB - base.sqnrDB
        return String(format: "%g %% kept (%d): %+.3f bits/p, %+.2f dB, %.1f dB per bit", one.percent, one.kept, dBits, dDB,
                      dBits > 0 ? dDB / dBits : 0)
    }
}
