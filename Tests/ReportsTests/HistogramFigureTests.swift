import Foundation
import QuantCore
@testable import Reports
import TensorCore
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The SVG figure of `qscope plot` and `E`: well-formed, one line per code level, one per boundary,
/// the datatype and block in the title.
@Suite("histogram figure")
struct HistogramFigureTests {
    /// Counts the elements of each class, and keeps the title, while checking that the document parses.
    final class FigureCensus: NSObject, XMLParserDelegate {
        var classes: [String: Int] = [:]
        var texts: [String] = []
        var inText = false
        var current = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if let c = attributes["class"] { classes["\(name).\(c)", default: 0] += 1 }
            if name == "text" { inText = true; current = "" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { texts.append(current); inText = false }
        }
    }

    static func census(_ svg: String) -> FigureCensus? {
        let parser = XMLParser(data: Data(svg.utf8))
        let census = FigureCensus()
        parser.delegate = census
        return parser.parse() ? census : nil
    }

    /// A normal tensor of 64×256 values with a seeded generator.
    static func normalTensor() -> Tensor {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        let values = (0..<(64 * 256)).map { _ in Float((-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())) }
        return Tensor(name: "w", shape: [64, 256], sourceDType: "F32", values: values)
    }

    @Test func nf4FigureHasEveryLevelAndBoundary() throws {
        let a = try Analyzer.analyze(Self.normalTensor(), config: QuantConfig(dtype: .nf4, block: .elements(64)))
        let svg = HistogramFigure(analysis: a).svg()
        let census = try #require(Self.census(svg))
        #expect(census.classes["line.level"] == 16)
        #expect(census.classes["rect.level-marker"] == 16)
        #expect(census.classes["line.boundary"] == 15)
        #expect(census.classes["rect.bar"] ?? 0 > 10)
        let title = try #require(census.texts.first)
        #expect(title.contains("nf4") && title.contains("block 64") && title.contains("w"))
        #expect(census.texts.contains { $0.contains("SQNR") && $0.contains("bits/param") })
        #expect(census.texts.contains("count") && census.texts.contains { $0.contains("x ÷ absmax") })
        #expect(census.texts.contains { $0.contains("code level (16)") } && census.texts.contains("decision boundary"))
    }

    @Test func int4AndLogAxis() throws {
        let a = try Analyzer.analyze(Self.normalTensor(), config: QuantConfig(dtype: .int4, block: .elements(128), doubleQuant: false))
        let census = try #require(Self.census(HistogramFigure(analysis: a, logCounts: true).svg()))
        #expect(census.classes["line.level"] == a.codebook.sortedLevels.count)
        #expect(census.texts.contains("count (log scale)"))
        #expect(census.texts.first?.contains("int4") == true)
    }

    @Test func textIsEscaped() throws {
        var doc = SVGDocument(width: 100, height: 50, title: "a < b & c", style: "")
        doc.text("x < 1 & \"y\" > 'z'", 1, 2, class: "t")
        let census = try #require(Self.census(doc.serialized()))
        #expect(census.texts == ["x < 1 & \"y\" > 'z'"])
        let screen = try #require(Self.census(HistogramFigure.textFigure(title: "view <1>", lines: ["  a & b", "", "c"])))
        #expect(screen.classes["text.mono"] == 2)
    }

    @Test func ticksAreRound() {
        #expect(HistogramFigure.ticks(-1, 1, count: 4) == [-1, -0.5, 0, 0.5, 1])
        #expect(HistogramFigure.ticks(0, 15_000, count: 5) == [0, 5000, 10_000, 15_000])
    }
}
