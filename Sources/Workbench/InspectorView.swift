import TensorCore
import Foundation
import QuantCore
import Reports
import TUI

/// The block inspector (`i`): one block laid open — its scale, every value normalised, the code it
/// snapped to, the decoded value and the error — as a table and as a chart with the code levels.
enum InspectorView {
    static func render(_ s: WorkbenchState, _ buf: inout Buffer, _ area: Rect) {
        guard let a = s.analysis else {
            WorkbenchView.message("analysing…", title: "block inspector", focused: true, s, &buf, area)
            return
        }
        guard a.grouping.blockCount > 0 else {
            WorkbenchView.message("this tensor has no blocks to inspect", title: "block inspector", focused: true, s, &buf, area)
            return
        }
        guard let ins = s.inspection else {
            WorkbenchView.message("reading block \(s.inspectBlock)…", title: "block inspector", focused: true, s, &buf, area)
            return
        }
        let (top, rest) = area.splitTop(min(6, area.height / 3))
        // The table needs 62 columns for every field; narrower screens drop fields from the right.
        let (tableArea, chartArea) = rest.splitLeft(min(63, max(rest.width / 2, rest.width - 24)))
        renderSummary(s, ins, &buf, top)
        renderTable(s, ins, &buf, tableArea)
        renderChart(s, ins, &buf, chartArea)
    }

    /// What the block's scale is and where it came from.
    static func renderSummary(_ s: WorkbenchState, _ ins: BlockInspection, _ buf: inout Buffer, _ r: Rect) {
        let theme = s.theme
        let title = "block inspector · \(s.config.description)"
        let inner = WorkbenchView.panel(title, focused: true, theme).render(into: &buf, area: r, glyphs: s.glyphs)
        for (i, line) in BlockSummary.lines(ins).prefix(inner.height).enumerated() {
            buf.put(line, x: inner.x + 1, y: inner.y + i, style: theme.style(i == 0 ? .accent : .text), maxWidth: inner.width - 1)
        }
    }

    static func renderTable(_ s: WorkbenchState, _ ins: BlockInspection, _ buf: inout Buffer, _ r: Rect) {
        let theme = s.theme
        let inner = WorkbenchView.panel("values", focused: false, theme).render(into: &buf, area: r, glyphs: s.glyphs)
        guard inner.height > 1, inner.width > 10 else { return }
        let hasCodes = !ins.codes.isEmpty
        let header = Text.padLeft("#", 4) + Text.padLeft("x", 11) + Text.padLeft("x÷scale", 10)
            + (hasCodes ? Text.padLeft("code", 5) + Text.padLeft("level", 9) : "") + Text.padLeft("decoded", 11) + Text.padLeft("error", 11)
        buf.put(header, x: inner.x, y: inner.y, style: theme.style(.dim), maxWidth: inner.width)
        let errs = ins.errors.map { abs($0) }
        let worst = errs.indices.max { errs[$0] < errs[$1] }
        let rows = inner.height - 1
        // Keep the worst element in view: start the page so that it is on it.
        let first = worst.map { $0 >= rows ? max(0, $0 - rows / 2) : 0 } ?? 0
        for (row, j) in (first..<min(ins.count, first + rows)).enumerated() {
            var line = Text.padLeft("\(j)", 4) + Text.padLeft(NumberFormat.compact(Double(ins.values[j])), 11) + Text.padLeft(NumberFormat.compact(Double(ins.normalized[j])), 10)
            if hasCodes { line += Text.padLeft("\(ins.codes[j])", 5) + Text.padLeft(NumberFormat.compact(Double(ins.levels[j])), 9) }
            line += Text.padLeft(NumberFormat.compact(Double(ins.dequantized[j])), 11) + Text.padLeft(NumberFormat.compact(Double(ins.errors[j])), 11)
            buf.put(line, x: inner.x, y: inner.y + 1 + row, style: theme.style(j == worst ? .outlier : .text), maxWidth: inner.width)
        }
    }

    /// Each element a column: its normalised value (×), the level its code decodes to (•), a thin line
    /// between them (the error, in the normalised domain), the code levels as faint rows behind.
    static func renderChart(_ s: WorkbenchState, _ ins: BlockInspection, _ buf: inout Buffer, _ r: Rect) {
        let theme = s.theme, g = s.glyphs
        let gutter = 7
        let shown = min(ins.count, max(0, r.width - 2 - gutter))
        let title = (shown < ins.count ? "first \(shown) of \(ins.count): " : "") + "× x÷scale  • its level  ┄ levels"
        let inner = WorkbenchView.panel(g == .ascii ? title.replacingOccurrences(of: "×", with: "x").replacingOccurrences(of: "•", with: "o")
                                            .replacingOccurrences(of: "┄", with: "-") : title, focused: false, theme)
            .render(into: &buf, area: r, glyphs: g)
        guard inner.height >= 3, inner.width > gutter, shown > 0 else { return }
        let levels: [Float] = ins.levels.isEmpty ? [] : (s.analysis?.codebook.sortedLevels ?? [])
        let finite = ins.normalized.filter(\.isFinite)
        let lo = Double(min(levels.first ?? -1, finite.min() ?? -1, 0))
        let hi = Double(max(levels.last ?? 1, finite.max() ?? 1, 0))
        let h = inner.height, top = inner.y
        func row(_ v: Double) -> Int { min(h - 1, max(0, Int(((hi - v) / max(hi - lo, 1e-12) * Double(h - 1)).rounded()))) }
        buf.put(Text.padLeft(NumberFormat.format(hi, .axis), gutter - 1), x: inner.x, y: top, style: theme.style(.dim))
        buf.put(Text.padLeft(NumberFormat.format(lo, .axis), gutter - 1), x: inner.x, y: top + h - 1, style: theme.style(.dim))
        if row(0) != 0 && row(0) != h - 1 { buf.put(Text.padLeft("0", gutter - 1), x: inner.x, y: top + row(0), style: theme.style(.dim)) }
        let x0 = inner.x + gutter
        let width = min(shown, inner.width - gutter)
        if levels.count <= h {
            for l in levels {
                buf.put(String(repeating: String(g.threshold), count: width), x: x0, y: top + row(Double(l)), style: theme.style(.boundaryMarker))
            }
        }
        for j in 0..<width {
            let v = Double(ins.normalized[j])
            guard v.isFinite else { continue }
            let y = row(v)
            if !ins.levels.isEmpty, ins.levels[j].isFinite {
                let ly = row(Double(ins.levels[j]))
                if abs(ly - y) > 1 {
                    for yy in (min(y, ly) + 1)..<max(y, ly) {
                        buf.put(String(g.vertical), x: x0 + j, y: top + yy, style: theme.style(.dim))
                    }
                }
                buf.put(g == .ascii ? "o" : "•", x: x0 + j, y: top + ly, style: theme.style(.levelMarker))
                if ly != y { buf.put(g == .ascii ? "x" : "×", x: x0 + j, y: top + y, style: theme.style(.bar)) }
            } else {
                buf.put(g == .ascii ? "x" : "×", x: x0 + j, y: top + y, style: theme.style(.bar))
            }
        }
    }

}
