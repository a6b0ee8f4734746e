import TensorCore
import Foundation
import QuantCore
import TUI

/// The sweep frontier (`s`): every datatype × block size on the open tensor, as a table sorted by cost
/// and as a scatter of bits per parameter against SQNR with the Pareto frontier drawn through it.
/// `Enter` makes the selected row the current configuration.
enum SweepView {
    static func render(_ s: WorkbenchState, _ buf: inout Buffer, _ area: Rect) {
        let theme = s.theme, g = s.glyphs
        guard let result = s.sweep, result.tensor == s.openTensor else {
            var text = "sweeping every datatype × block size on \(s.openTensor ?? "the tensor")…"
            if let p = s.sweepProgress { text += " \(p.done)/\(p.total)" + (p.estimate ? " (on a sample first)" : "") }
            WorkbenchView.message(text + " · Esc leaves and stops it", title: "sweep frontier", focused: true, s, &buf, area)
            return
        }
        let rows = result.sortedRows
        let tableWidth = min(58, max(40, area.width * 42 / 100))
        let (tableArea, plotArea) = area.splitLeft(min(tableWidth, area.width))
        let selected = rows.indices.contains(s.sweepSelection) ? s.sweepSelection : 0

        var title = "configurations (\(rows.count)) · ★ Pareto"
        if result.isEstimate {
            title += " · ≈ on a sample" + (s.sweepProgress.map { $0.estimate ? "" : ", exact \($0.done)/\($0.total)" } ?? "")
        }
        let inner = WorkbenchView.panel(title, focused: true, theme)
            .render(into: &buf, area: tableArea, glyphs: g)
        if inner.height > 1 {
            let nameW = max(14, min(22, inner.width - 22))
            let header = Text.pad(" dtype", nameW) + Text.pad("block", 6) + Text.padLeft("bits/p", 7) + Text.padLeft("SQNR", 7) + " ★"
            buf.put(header, x: inner.x, y: inner.y, style: theme.style(.dim), maxWidth: inner.width)
            let visible = inner.height - 1
            let first = max(0, min(selected - visible / 2, rows.count - visible))
            for (line, i) in (first..<min(rows.count, first + visible)).enumerated() {
                let r = rows[i]
                let current = r.config == s.config
                let name = Text.clip((current ? "*" : " ") + r.config.dtype.name + (r.config.doubleQuant ? " +dq" : ""), to: nameW - 1,
                                     ellipsis: g.ellipsis)
                let text = Text.pad(name, nameW) + Text.pad(r.config.block.description, 6)
                    + Text.padLeft(String(format: "%.3f", r.bitsPerParam), 7)
                    + Text.padLeft(r.sqnrDB.isFinite ? String(format: "%.2f", r.sqnrDB) : "inf", 7) + (r.paretoOptimal ? " ★" : "")
                var style = theme.style(r.paretoOptimal ? .accent : .text)
                if i == selected { style = theme.style(.selection) }
                buf.put(Text.pad(text, inner.width), x: inner.x, y: inner.y + 1 + line, style: style, maxWidth: inner.width)
            }
        }

        let plotInner = WorkbenchView.panel("SQNR dB against bits per parameter · ◆ selected", focused: false, theme)
            .render(into: &buf, area: plotArea, glyphs: g)
        let finite = rows.filter { $0.sqnrDB.isFinite && $0.bitsPerParam.isFinite }
        let frontier = finite.filter(\.paretoOptimal).sorted { $0.bitsPerParam < $1.bitsPerParam }
        let point = { (r: Sweep.Row) in ScatterPlot.Point(x: r.bitsPerParam, y: r.sqnrDB, highlighted: r.paretoOptimal) }
        let sel = rows.indices.contains(selected) && rows[selected].sqnrDB.isFinite ? point(rows[selected]) : nil
        let (plot, caption) = plotInner.splitBottom(plotInner.height > 6 ? 2 : 0)
        ScatterPlot(points: finite.map(point), line: frontier.map(point), marked: sel, xLabel: "bits/param", yLabel: "dB",
                    dotStyle: theme.style(.dim), highlightStyle: theme.style(.accent), markStyle: theme.style(.outlier),
                    labelStyle: theme.style(.dim))
            .render(into: &buf, area: plot, glyphs: g)
        if caption.height > 0, rows.indices.contains(selected) {
            let r = rows[selected]
            let line1 = "\(r.config.description): \(String(format: "%.3f", r.bitsPerParam)) bits/param, SQNR "
                + (r.sqnrDB.isFinite ? String(format: "%.2f dB", r.sqnrDB) : "inf") + ", rel. error \(NumberFormat.compact(r.relFroErr))"
                + (r.paretoOptimal ? " · on the frontier" : "")
            buf.put(line1, x: caption.x, y: caption.y, style: theme.style(.text), maxWidth: caption.width)
            buf.put(frontierSummary(frontier), x: caption.x, y: caption.y + 1, style: theme.style(.dim), maxWidth: caption.width)
        }
    }

    /// One line naming the frontier, cheapest first.
    static func frontierSummary(_ frontier: [Sweep.Row]) -> String {
        "frontier: " + frontier.map { "\($0.config.dtype.name)\($0.config.doubleQuant ? "+dq" : "")/\($0.config.block)" }.joined(separator: " → ")
    }
}
