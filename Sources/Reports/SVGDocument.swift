import Foundation

/// A small SVG writer: elements appended in drawing order, styled by CSS classes, serialised as one
/// standalone UTF-8 document. qscope's figures need lines, rectangles, paths and text, nothing more,
/// so no dependency is taken for them.
public struct SVGDocument: Sendable {
    public let width: Double
    public let height: Double
    /// The `<style>` sheet (class rules).
    public var style: String
    /// Title of the document (`<title>`, shown by viewers as its name).
    public var title: String
    private var body: [String] = []

    public init(width: Double, height: Double, title: String, style: String) {
        self.width = width
        self.height = height
        self.title = title
        self.style = style
    }

    /// Text made safe for XML character data and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 forbids most control characters, even escaped.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r" { out += " " } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    /// A coordinate with at most two decimals (`12.5`, not `12.500000001`).
    static func n(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let r = (x * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }

    mutating func element(_ name: String, _ attributes: [(String, String)], content: String? = nil) {
        let attrs = attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined()
        body.append(content.map { "<\(name)\(attrs)>\(Self.escape($0))</\(name)>" } ?? "<\(name)\(attrs)/>")
    }

    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, class cls: String) {
        element("line", [("class", cls), ("x1", Self.n(x1)), ("y1", Self.n(y1)), ("x2", Self.n(x2)), ("y2", Self.n(y2))])
    }

    public mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, class cls: String) {
        element("rect", [("class", cls), ("x", Self.n(x)), ("y", Self.n(y)), ("width", Self.n(max(0, w))), ("height", Self.n(max(0, h)))])
    }

    /// A path of straight segments through `points` (a histogram's outline).
    public mutating func polyline(_ points: [(Double, Double)], class cls: String) {
        element("polyline", [("class", cls), ("points", points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " "))])
    }

    public enum Anchor: String, Sendable { case start, middle, end }

    public mutating func text(_ s: String, _ x: Double, _ y: Double, class cls: String, anchor: Anchor = .start, rotate: Double? = nil,
                              preserveSpace: Bool = false) {
        var attrs = [("class", cls), ("x", Self.n(x)), ("y", Self.n(y)), ("text-anchor", anchor.rawValue)]
        if preserveSpace { attrs.append(("xml:space", "preserve")) }
        if let rotate { attrs.append(("transform", "rotate(\(Self.n(rotate)) \(Self.n(x)) \(Self.n(y)))")) }
        element("text", attrs, content: s)
    }

    /// The document.
    public func serialized() -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.n(width))" height="\(Self.n(height))" viewBox="0 0 \(Self.n(width)) \(Self.n(height))">
        <title>\(Self.escape(title))</title>
        <style>
        \(style)
        </style>
        <rect class="background" x="0" y="0" width="\(Self.n(width))" height="\(Self.n(height))"/>

        """ + body.joined(separator: "\n") + "\n</svg>\n"
    }
}
