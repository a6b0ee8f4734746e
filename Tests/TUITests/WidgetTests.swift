import Foundation
import Testing
@testable import TUI

@Suite("widgets")
struct WidgetTests {
    static let sizes = [(0, 0), (1, 1), (2, 2), (3, 5), (7, 3)]

    @Test func everyWidgetRendersAtTinySizesWithoutTrapping() {
        for (w, h) in Self.sizes {
            for glyphs in [GlyphSet.unicode, .ascii] {
                var buf = Buffer(width: w, height: h)
                let area = buf.area
                Panel(title: "a long title").render(into: &buf, area: area, glyphs: glyphs)
                HistogramWidget(counts: [1, 5, 100, 3], lower: -1, upper: 1, logScale: true, levels: [-1, 0, 1],
                                boundaries: [-0.5, 0.5]).render(into: &buf, area: area, glyphs: glyphs)
                BarStrip(values: [0.1, 7, 0.2], threshold: 6).render(into: &buf, area: area, glyphs: glyphs)
                buf.put("text", x: -3, y: -1)
                buf.put("text", x: w - 1, y: h - 1)
                buf.fill(Rect(x: -5, y: -5, width: 100, height: 100))
                #expect(buf.lines().count == h)
            }
        }
    }

    @Test func bufferClipsEveryWrite() {
        var b = Buffer(width: 4, height: 2)
        b.put("abcdef", x: 2, y: 1)
        b.put("zz", x: -1, y: 0)
        b[10, 10] = Cell("x")
        #expect(b.lines() == ["z", "  ab"])
    }

    @Test func panelDrawsBorderAndClippedTitle() {
        var b = Buffer(width: 12, height: 3)
        let inner = Panel(title: "metrics and more").render(into: &b, area: b.area, glyphs: .unicode)
        #expect(inner == Rect(x: 1, y: 1, width: 10, height: 1))
        #expect(b.lines() == ["┌ metrics …┐", "│          │", "└──────────┘"])
        var a = Buffer(width: 6, height: 2)
        Panel(title: "").render(into: &a, area: a.area, glyphs: .ascii)
        #expect(a.lines() == ["+----+", "+----+"])
    }

    @Test func histogramUsesEighthBlocksAndDistinctMarkers() {
        var b = Buffer(width: 8, height: 3)
        HistogramWidget(counts: [0, 1, 2, 4, 8, 4, 2, 1], lower: -1, upper: 1, levels: [-1], boundaries: [0.76])
            .render(into: &b, area: b.area, glyphs: .unicode)
        #expect(b.lines() == ["┃   █  ┊", "┃▂▄███▄▂", "-1  0  1"])
        var log = Buffer(width: 4, height: 1)
        HistogramWidget(counts: [1, 1000, 0, 10], lower: 0, upper: 1, logScale: true).render(into: &log, area: log.area, glyphs: .ascii)
        #expect(log.lines() == [".# -"])
    }

    @Test func barStripShowsTheMaximumOfEachGroupAndTheThreshold() {
        var b = Buffer(width: 4, height: 1)
        BarStrip(values: [0.1, 0.1, 8, 0.1, 0.1, 0.1, 0.1, 0.1], threshold: 4).render(into: &b, area: b.area, glyphs: .unicode)
        #expect(b.lines() == ["▁█▁▁"])
    }

    @Test func colourLadder() {
        #expect(Color.rgb(255, 0, 0).nearestIndex(among: 256) == 9)
        #expect(Color.rgb(135, 175, 215).nearestIndex(among: 256) == 110)
        #expect(Color.rgb(135, 175, 215).nearestIndex(among: 16) == 8)
        #expect(Color.rgb(255, 0, 0).nearestIndex(among: 16) == 9)
        #expect(Color.indexed(196).nearestIndex(among: 16) == 9)
        #expect(Color.indexed(3).nearestIndex(among: 16) == 3)
        #expect(Color.default.nearestIndex(among: 256) == nil)
    }

    @Test func glyphSetFollowsTheEnvironment() {
        #expect(GlyphSet.forEnvironment(["LANG": "en_US.UTF-8"]) == .unicode)
        #expect(GlyphSet.forEnvironment(["LANG": "C"]) == .ascii)
        #expect(GlyphSet.forEnvironment(["LANG": "C.UTF-8", "QSCOPE_ASCII": "1"]) == .ascii)
        #expect(GlyphSet.forEnvironment(["LC_ALL": "C.UTF-8", "TERM": "linux"]) == .ascii)
    }

    /// Inputs that once aborted the process inside the TOML parser (found by fuzzing).
    @Test func fuzzRegressionsAreRefusedWithALine() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz-regressions/theme")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!files.isEmpty)
        for f in files {
            let text = String(decoding: try Data(contentsOf: dir.appendingPathComponent(f)), as: UTF8.self)
            do {
                _ = try Theme.parse(text, source: f)
                Issue.record("\(f): no error")
            } catch {
                #expect(error.line != nil, "\(error.description)")
            }
        }
        // Every shipped theme stays inside the subset.
        let themes = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("themes")
        for f in try FileManager.default.contentsOfDirectory(atPath: themes.path) where f.hasSuffix(".toml") {
            _ = try Theme.parse(String(contentsOf: themes.appendingPathComponent(f), encoding: .utf8), source: f)
        }
    }

    @Test func themesFallBackAndReportTheLine() throws {
        let t = try Theme.parse("name = \"x\"\n[colors]\nbar = \"#ff0000\"\n", source: "x.toml")
        #expect(t.colors[.bar] == .rgb(255, 0, 0))
        #expect(t.colors[.good] == Theme.fallback.colors[.good])
        #expect(throws: ThemeError.self) { try Theme.parse("[colors]\nbar = \"nope\"\n", source: "bad.toml") }
        do {
            _ = try Theme.parse("name = \"x\"\n[colors\nbar = 1\n", source: "broken.toml")
            Issue.record("no error")
        } catch {
            #expect(error.description.contains("broken.toml, line 2"), "\(error.description)")
        }
        do {
            _ = try Theme.parse("[colors]\nbars = 1\n", source: "role.toml")
            Issue.record("no error")
        } catch {
            #expect(error.description.contains("line 2") && error.description.contains("unknown role 'bars'"))
        }
    }

    @Test func scatterPlotDotsLineAndMarker() {
        let points = [ScatterPlot.Point(x: 0, y: 0), ScatterPlot.Point(x: 10, y: 10, highlighted: true)]
        let plot = ScatterPlot(points: points, line: points, marked: points[1], xLabel: "bits", yLabel: "dB")
        var buf = Buffer(width: 30, height: 8)
        plot.render(into: &buf, area: buf.area, glyphs: .unicode)
        let text = buf.text
        #expect(text.contains("◆"))
        #expect(text.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) })
        #expect(text.contains("bits") && text.contains("10"))
        // The lowest point sits in the bottom plot row, left; the marker top right.
        let rows = buf.lines()
        #expect(rows[0].hasSuffix("◆"))
        var ascii = Buffer(width: 30, height: 8)
        plot.render(into: &ascii, area: ascii.area, glyphs: .ascii)
        #expect(ascii.text.contains("@") && ascii.text.contains("*"))
        #expect(!ascii.text.unicodeScalars.contains { $0.value > 127 })
        // Degenerate sizes and inputs draw nothing and never trap.
        for (w, h) in [(0, 0), (1, 1), (2, 2), (8, 3)] {
            var b = Buffer(width: w, height: h)
            plot.render(into: &b, area: b.area, glyphs: .unicode)
            ScatterPlot(points: [ScatterPlot.Point(x: .nan, y: .infinity)]).render(into: &b, area: b.area, glyphs: .unicode)
            ScatterPlot(points: [ScatterPlot.Point(x: 1, y: 1)]).render(into: &b, area: b.area, glyphs: .unicode)
            #expect(b.lines().count == h)
        }
    }
}
