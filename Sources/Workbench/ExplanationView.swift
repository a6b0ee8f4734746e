import Foundation
import QuantCore
import Reports
import TUI

/// The explanation panel (`e`): the current datatype, block, double quantization, metrics and codes,
/// each explained with the numbers on screen (`Explanation`); ↑/↓ scroll.
enum ExplanationView {
    static func render(_ s: WorkbenchState, _ buf: inout Buffer, _ area: Rect) {
        let theme = s.theme
        let inner = WorkbenchView.panel("explanation · \(s.config.description)", focused: true, theme)
            .render(into: &buf, area: area, glyphs: s.glyphs)
        guard let a = s.analysis, inner.width > 2 else {
            buf.put("analysing…", x: inner.x + 1, y: inner.y, style: theme.style(.dim), maxWidth: inner.width - 1)
            return
        }
        let e = Explanation(a)
        let titles = Set(e.sections.map(\.title))
        let lines = e.lines(width: inner.width - 2)
        let first = min(s.explainScroll, max(0, lines.count - inner.height))
        for (row, line) in lines.dropFirst(first).prefix(inner.height).enumerated() {
            buf.put(line, x: inner.x + 1, y: inner.y + row, style: theme.style(titles.contains(line) ? .accent : .text),
                    maxWidth: inner.width - 1)
        }
        if lines.count > inner.height {
            let more = "\(first + 1)–\(min(lines.count, first + inner.height)) of \(lines.count) lines ↑↓"
            buf.put(more, x: max(inner.x, inner.maxX - more.count), y: inner.maxY - 1, style: theme.style(.dim))
        }
    }
}
