import TensorCore
import Foundation
import QuantCore
import Reports
import TUI

/// Renders the workbench state into a buffer: a pure function, so every screen is testable as text.
public enum WorkbenchView {
    public static let minimumWidth = 60
    public static let minimumHeight = 20

    public static func render(_ s: WorkbenchState) -> Buffer {
        var buf = Buffer(width: s.width, height: s.height)
        let theme = s.theme
        let g = s.glyphs
        guard s.width >= minimumWidth, s.height >= minimumHeight else {
            renderTooSmall(s, &buf)
            return buf
        }
        let area = buf.area
        let (titleRow, rest1) = area.splitTop(1)
        let (body1, hintRow) = rest1.splitBottom(1)
        if let view = s.deepView {
            renderTitle(s, &buf, titleRow)
            switch view {
            case .inspector: InspectorView.render(s, &buf, body1)
            case .sweep: SweepView.render(s, &buf, body1)
            case .comparison: ComparisonView.render(s, &buf, body1)
            case .int8: Int8View.render(s, &buf, body1)
            case .isolation: IsolationView.render(s, &buf, body1)
            case .explanation: ExplanationView.render(s, &buf, body1)
            }
            buf.put(Text.pad(" " + Keymap.hintBar(in: view, width: hintRow.width), hintRow.width), x: 0, y: hintRow.y,
                    style: theme.style(.dim))
            if s.showHelp { renderHelp(s, &buf, g, theme) }
            return buf
        }
        let (main, outlierArea) = body1.splitBottom(5)
        let listWidth = min(36, max(22, s.width * 22 / 100))
        let (listArea, rest2) = main.splitLeft(listWidth)
        let (center, metricsArea) = rest2.splitRight(s.width < 100 ? 26 : min(34, max(28, s.width / 4)))
        let (valuesArea, errorArea) = center.splitTop(center.height * 3 / 5)

        renderTitle(s, &buf, titleRow)
        renderTensorList(s, &buf, listArea, g, theme)
        renderValues(s, &buf, valuesArea, g, theme)
        renderErrors(s, &buf, errorArea, g, theme)
        renderMetrics(s, &buf, metricsArea, g, theme)
        renderOutliers(s, &buf, outlierArea, g, theme)
        buf.put(Text.pad(" " + Keymap.hintBar(width: hintRow.width), hintRow.width), x: 0, y: hintRow.y, style: theme.style(.dim))
        if s.showHelp { renderHelp(s, &buf, g, theme) }
        return buf
    }

    static func panel(_ title: String, focused: Bool, _ theme: Theme) -> Panel {
        Panel(title: title, borderStyle: theme.style(focused ? .accent : .border), titleStyle: theme.style(.title))
    }

    /// A panel that holds only a dim line: what is on its way, or why there is nothing to show.
    static func message(_ text: String, title: String, focused: Bool, _ s: WorkbenchState, _ buf: inout Buffer, _ area: Rect) {
        let inner = panel(title, focused: focused, s.theme).render(into: &buf, area: area, glyphs: s.glyphs)
        buf.put(text, x: inner.x + 1, y: inner.y, style: s.theme.style(.dim), maxWidth: inner.width - 1)
    }

    static func renderTooSmall(_ s: WorkbenchState, _ buf: inout Buffer) {
        let lines = ["terminal too small — need \(minimumWidth)×\(minimumHeight)", "now \(s.width)×\(s.height); q quits"]
        for (i, l) in lines.enumerated() {
            let y = s.height / 2 - 1 + i
            buf.put(l, x: max(0, (s.width - l.count) / 2), y: y, style: s.theme.style(.bad), maxWidth: s.width)
        }
    }

    static func renderTitle(_ s: WorkbenchState, _ buf: inout Buffer, _ r: Rect) {
        let theme = s.theme
        buf.fill(r, with: Cell(" ", style: theme.style(.status)))
        var left = " qscope  \(URL(fileURLWithPath: s.file).lastPathComponent)"
        if let name = s.openTensor, let info = s.tensors.first(where: { $0.name == name }) {
            left += " \(s.glyphs.pointer) \(name)  \(NumberFormat.shape(info.shape)) \(info.dtype)"
        }
        var right = configurationLabel(s) + " "
        if s.busy || (s.deepView != nil && s.deepBusy) {
            right = String(s.glyphs.spinner[s.spinner % s.glyphs.spinner.count]) + " " + right
        }
        if let view = s.deepView { right = "\(view.title) · " + right }
        if !s.status.isEmpty { right = s.status + "   " + right }
        let room = max(0, r.width - right.count - 1)
        buf.put(Text.clip(left, to: room, ellipsis: s.glyphs.ellipsis), x: r.x, y: r.y, style: theme.style(.status))
        buf.put(right, x: max(r.x, r.maxX - right.count), y: r.y, style: theme.style(.status))
    }

    /// The configuration of the figures on screen — never the one still being computed — with the
    /// pending one after an arrow until its figures land (`nf4 · block 64 → fp4`), and for an
    /// estimate from a sample of a large tensor how much of it was seen.
    static func configurationLabel(_ s: WorkbenchState) -> String {
        if let stored = StoredEntry.headerLabel(s) { return stored }
        let wanted = s.config
        guard let a = s.analysis, a.tensorName == s.openTensor else {
            return "\(wanted.dtype.name) · block \(wanted.block) · dq \(wanted.doubleQuant ? "on" : "off")"
        }
        let shown = a.config
        var label = "\(shown.dtype.name) · block \(shown.block) · dq \(shown.doubleQuant ? "on" : "off")"
        if shown != wanted {
            var change: [String] = []
            if shown.dtype != wanted.dtype { change.append(wanted.dtype.name) }
            if shown.block != wanted.block { change.append("block \(wanted.block)") }
            if shown.doubleQuant != wanted.doubleQuant { change.append("dq \(wanted.doubleQuant ? "on" : "off")") }
            label += " \(s.glyphs == .ascii ? "->" : "→") " + change.joined(separator: " · ")
        }
        if let seen = a.coverage {
            let approx = s.glyphs == .ascii ? "~" : "≈"
            label = "\(approx) \(NumberFormat.count(seen)) of \(NumberFormat.count(a.count)) values · " + label
        }
        if s.busy && s.analysisProgress > 0 { label = "\(Int(s.analysisProgress * 100)) % · " + label }
        return label
    }

    static func renderTensorList(_ s: WorkbenchState, _ buf: inout Buffer, _ r: Rect, _ g: GlyphSet, _ theme: Theme) {
        let visible = s.visibleTensors
        let title = s.filter.isEmpty ? "tensors (\(s.tensors.count))" : "tensors \(visible.count)/\(s.tensors.count)"
        let inner = panel(title, focused: s.focus == .tensors, theme).render(into: &buf, area: r, glyphs: g)
        guard inner.height > 0 else { return }
        // The last row describes the selected tensor: shape and dtype (or why it cannot be opened).
        var footer = inner.height >= 3 ? 1 : 0
        if let t = s.selectedTensor, footer == 1 {
            let shape = NumberFormat.shape(t.shape)
            let text = t.isFloatConvertible ? "\(shape) \(t.dtype)" : "\(t.dtype): not numeric"
            buf.put(Text.pad(text, inner.width), x: inner.x, y: inner.maxY - 1, style: theme.style(.dim))
        } else {
            footer = 0
        }
        let filterRow = s.filtering || !s.filter.isEmpty ? 1 : 0
        let rows = inner.height - footer - filterRow
        let first = max(0, min(s.selection - rows / 2, visible.count - rows))
        for (row, i) in (first..<min(visible.count, first + max(rows, 0))).enumerated() {
            let t = visible[i]
            let selected = i == s.selection
            let open = t.name == s.openTensor
            let marker = selected ? String(g.pointer) : (open ? "*" : " ")
            var style = t.isFloatConvertible ? theme.style(.text) : theme.style(.dim)
            if selected && s.focus == .tensors { style = theme.style(.selection) }
            buf.put(Text.pad(marker + Text.clip(t.name, to: inner.width - 1, ellipsis: g.ellipsis), inner.width),
                    x: inner.x, y: inner.y + row, style: style)
        }
        if s.filtering || !s.filter.isEmpty {
            buf.put(Text.pad("/" + s.filter + (s.filtering ? "_" : ""), inner.width), x: inner.x, y: inner.maxY - 1 - footer,
                    style: theme.style(.accent))
        }
    }

    static func renderValues(_ s: WorkbenchState, _ buf: inout Buffer, _ r: Rect, _ g: GlyphSet, _ theme: Theme) {
        guard let a = s.analysis else {
            message(s.openTensor == nil ? "Enter opens the selected tensor" : "analysing…", title: "values",
                    focused: s.focus == .values, s, &buf, r)
            return
        }
        var levels = a.codebook.sortedLevels.map(Double.init)
        var boundaries = a.codebook.boundaries.map(Double.init)
        let hist: Histogram
        let title: String
        if s.normalizedDomain || !a.config.dtype.hasCodes {
            hist = a.normalizedHistogram
            title = "values · \(a.codebook.domainLabel)"
        } else {
            hist = a.valueHistogram
            // Raw domain: the levels of the block holding the tensor's absmax.
            let scale = Double(a.peakBlockScale), zero = Double(a.peakBlockZero)
            levels = levels.map { ($0 - zero) * scale }
            boundaries = boundaries.map { ($0 - zero) * scale }
            title = "values · raw · levels of block \(a.peakBlock)"
        }
        let inner = panel(title, focused: s.focus == .values, theme).render(into: &buf, area: r, glyphs: g)
        guard inner.width > 0, inner.height > 0 else { return }
        let crowded = levels.count > inner.width * 2 / 3
        let w = HistogramWidget(counts: hist.counts, lower: hist.lower, upper: hist.upper, logScale: s.logAxis,
                                levels: crowded ? [] : levels, boundaries: crowded ? [] : boundaries,
                                barStyle: theme.style(.bar), levelStyle: theme.style(.levelMarker),
                                boundaryStyle: theme.style(.boundaryMarker), labelStyle: theme.style(.dim))
        let (legendRow, plot) = inner.splitTop(1)
        let legend = crowded ? "\(levels.count) levels (too many to mark)  \(s.logAxis ? "log" : "linear") count"
            : "\(g.levelMarker) level  \(g.boundaryMarker) boundary  \(s.logAxis ? "log" : "linear") count"
        buf.put(legend, x: legendRow.x, y: legendRow.y, style: theme.style(.dim), maxWidth: legendRow.width)
        w.render(into: &buf, area: plot, glyphs: g)
    }

    static func renderErrors(_ s: WorkbenchState, _ buf: inout Buffer, _ r: Rect, _ g: GlyphSet, _ theme: Theme) {
        guard let a = s.analysis else {
            panel("error", focused: s.focus == .errors, theme).render(into: &buf, area: r, glyphs: g)
            return
        }
        if (s.showCodeUsage || StoredEntry.hasNoError(a)) && !a.codeUsage.isEmpty {
            let title = "code usage · \(a.metrics.codesUsed) of \(a.codeUsage.count) used · \(String(format: "%.2f", a.metrics.codeEntropyBits)) bits"
            let inner = panel(title, focused: s.focus == .errors, theme).render(into: &buf, area: r, glyphs: g)
            let w = HistogramWidget(counts: a.codeUsage, lower: 0, upper: Double(a.codeUsage.count - 1), logScale: s.logAxis,
                                    barStyle: theme.style(.bar), labelStyle: theme.style(.dim))
            w.render(into: &buf, area: inner, glyphs: g)
        } else {
            let inner = panel("error (dequantized − original)", focused: s.focus == .errors, theme).render(into: &buf, area: r, glyphs: g)
            let h = a.errorHistogram
            let w = HistogramWidget(counts: h.counts, lower: h.lower, upper: h.upper, logScale: s.logAxis,
                                    barStyle: theme.style(.bar), labelStyle: theme.style(.dim))
            w.render(into: &buf, area: inner, glyphs: g)
        }
    }

    static func renderMetrics(_ s: WorkbenchState, _ buf: inout Buffer, _ r: Rect, _ g: GlyphSet, _ theme: Theme) {
        let inner = panel("metrics", focused: s.focus == .metrics, theme).render(into: &buf, area: r, glyphs: g)
        guard let a = s.analysis, inner.width > 0 else { return }
        let m = a.metrics
        let pin = s.pin?.tensor == a.tensorName ? s.pin : nil
        // Every metric of the table, with its change since the pin (green better, red worse).
        let p = pin?.metrics
        var rows: [(String, String, String, Bool?)] = MetricTable.all.map { spec in
            var value = spec.text(m)
            if spec.key == "codes_used" {
                value = a.config.dtype.hasCodes ? "\(m.codesUsed)/\(a.codeSlots)" : "\(m.codesUsed) vals"
            }
            guard let p, spec.better != .neither else { return (spec.short, value, "", nil) }
            return (spec.short, value, spec.delta(from: p, to: m), spec.improved(from: p, to: m))
        }
        if let pin { rows.append(("vs pin", "\(pin.config.dtype.name) b\(pin.config.block)", "", nil)) }
        let st = a.stats
        rows += [("", "", "", nil), ("mean", NumberFormat.compact(st.mean), "", nil), ("std", NumberFormat.compact(st.std), "", nil),
                 ("absmax", NumberFormat.compact(st.absmax), "", nil), ("kurtosis", NumberFormat.compact(st.kurtosis), "", nil)]
        if st.nanCount + st.infCount > 0 { rows.append(("non-finite", "\(st.nanCount + st.infCount) excluded", "", nil)) }
        for (i, (label, value, delta, better)) in rows.prefix(inner.height).enumerated() {
            let y = inner.y + i
            buf.put(Text.pad(label, 9), x: inner.x, y: y, style: theme.style(.dim), maxWidth: inner.width)
            buf.put(value, x: inner.x + 9, y: y, style: theme.style(.text), maxWidth: max(0, inner.width - 9))
            if !delta.isEmpty, inner.width > 9 + value.count + delta.count {
                let style = theme.style(better == true ? .good : .bad)
                buf.put(delta, x: inner.maxX - delta.count, y: y, style: style)
            }
        }
    }

    static func renderOutliers(_ s: WorkbenchState, _ buf: inout Buffer, _ r: Rect, _ g: GlyphSet, _ theme: Theme) {
        let title = "outlier columns (|col| > \(String(format: "%g", s.outlierThreshold)) or > \(String(format: "%g", s.outlierK))× median)"
        let inner = panel(title, focused: false, theme).render(into: &buf, area: r, glyphs: g)
        guard let a = s.analysis, inner.height >= 2 else { return }
        let cols = s.outlierColumns
        let (strip, listRow) = inner.splitBottom(1)
        let stripWidth = min(strip.width, max(16, strip.width / 2))
        let (stripArea, _) = strip.splitLeft(stripWidth)
        BarStrip(values: a.outliers.columnAbsmax.map(Double.init), threshold: Double(s.outlierThreshold),
                 barStyle: theme.style(.bar), highlightStyle: theme.style(.outlier))
            .render(into: &buf, area: stripArea, glyphs: g)
        let right = Rect(x: stripArea.maxX + 2, y: strip.y, width: strip.width - stripWidth - 2, height: strip.height)
        let summary = "\(cols.count) of \(a.outliers.columnAbsmax.count) columns; median absmax \(NumberFormat.compact(Double(a.outliers.median)))"
        buf.put(summary, x: right.x, y: right.y, style: theme.style(.dim), maxWidth: right.width)
        let list = cols.prefix(12).map { "\($0.index): \(NumberFormat.compact(Double($0.absmax))) (\(NumberFormat.ratio($0.ratio)))" }
        buf.put(list.isEmpty ? "none" : list.joined(separator: "   "), x: listRow.x, y: listRow.y,
                style: theme.style(.outlier), maxWidth: listRow.width)
    }

    static func renderHelp(_ s: WorkbenchState, _ buf: inout Buffer, _ g: GlyphSet, _ theme: Theme) {
        let rows = Keymap.bindings.map { b in (b.keys.map(\.label).joined(separator: " "), b.help) }
        let keyWidth = rows.map(\.0.count).max() ?? 0
        let helpWidth = rows.map(\.1.count).max() ?? 0
        let width = min(s.width - 4, keyWidth + helpWidth + 6)
        let height = min(s.height - 2, rows.count + 4)
        let r = Rect(x: (s.width - width) / 2, y: (s.height - height) / 2, width: width, height: height)
        buf.fill(r)
        let inner = panel("help — Esc or ? closes", focused: true, theme).render(into: &buf, area: r, glyphs: g)
        let visible = max(0, inner.height - 1)
        let first = min(s.helpScroll, max(0, rows.count - visible))
        for (i, (keys, help)) in rows.dropFirst(first).prefix(visible).enumerated() {
            buf.put(Text.pad(keys, keyWidth), x: inner.x + 1, y: inner.y + i, style: theme.style(.accent))
            buf.put(help, x: inner.x + keyWidth + 3, y: inner.y + i, style: theme.style(.text),
                    maxWidth: max(0, inner.width - keyWidth - 3))
        }
        let footer = rows.count > visible
            ? "\(first + 1)–\(min(rows.count, first + visible)) of \(rows.count) · ↑↓ scroll · the same table drives the hint bar"
            : "the same table drives the hint bar"
        buf.put(footer, x: inner.x + 1, y: inner.maxY - 1, style: theme.style(.dim), maxWidth: inner.width - 1)
    }
}
