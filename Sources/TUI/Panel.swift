/// A titled border around a pane; returns the inner area for the content.
public struct Panel: Sendable {
    public var title: String
    public var borderStyle: Style
    public var titleStyle: Style

    public init(title: String, borderStyle: Style = .plain, titleStyle: Style = .plain) {
        self.title = title
        self.borderStyle = borderStyle
        self.titleStyle = titleStyle
    }

    /// Draws the border and title; returns the area inside the border.
    @discardableResult
    public func render(into buf: inout Buffer, area: Rect, glyphs: GlyphSet) -> Rect {
        guard area.width >= 2, area.height >= 2 else { return Rect(x: area.x, y: area.y, width: 0, height: 0) }
        let top = area.y, bottom = area.maxY - 1, left = area.x, right = area.maxX - 1
        for x in (left + 1)..<right {
            buf[x, top] = Cell(glyphs.horizontal, style: borderStyle)
            buf[x, bottom] = Cell(glyphs.horizontal, style: borderStyle)
        }
        for y in (top + 1)..<bottom {
            buf[left, y] = Cell(glyphs.vertical, style: borderStyle)
            buf[right, y] = Cell(glyphs.vertical, style: borderStyle)
        }
        buf[left, top] = Cell(glyphs.topLeft, style: borderStyle)
        buf[right, top] = Cell(glyphs.topRight, style: borderStyle)
        buf[left, bottom] = Cell(glyphs.bottomLeft, style: borderStyle)
        buf[right, bottom] = Cell(glyphs.bottomRight, style: borderStyle)
        let room = area.width - 4
        if room > 0 && !title.isEmpty {
            let t = Text.clip(" \(title) ", to: room + 2, ellipsis: glyphs.ellipsis)
            buf.put(t, x: left + 1, y: top, style: titleStyle)
        }
        return area.inset(1)
    }
}

/// Small text helpers shared by the widgets.
public enum Text {
    /// `s` cut to `width` characters, ending in an ellipsis when cut.
    public static func clip(_ s: String, to width: Int, ellipsis: Character = "…") -> String {
        guard width > 0 else { return "" }
        if s.count <= width { return s }
        return String(s.prefix(width - 1)) + String(ellipsis)
    }

    /// `s` padded with spaces (or clipped) to exactly `width` characters.
    public static func pad(_ s: String, _ width: Int) -> String {
        let c = clip(s, to: width)
        return c + String(repeating: " ", count: max(0, width - c.count))
    }

    /// `s` right-aligned in `width` characters.
    public static func padLeft(_ s: String, _ width: Int) -> String {
        let c = clip(s, to: width)
        return String(repeating: " ", count: max(0, width - c.count)) + c
    }
}
