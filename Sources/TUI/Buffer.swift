/// One terminal cell: a character and its style.
public struct Cell: Sendable, Hashable {
    public var char: Character
    public var style: Style

    public init(_ char: Character = " ", style: Style = .plain) {
        self.char = char
        self.style = style
    }
}

/// A rectangle of cells that widgets draw into; the terminal layer copies it to the screen.
///
/// Every write is clipped to the buffer, so a widget given any rectangle — negative,
/// huge or empty — can never trap. `lines()` gives the text for snapshot tests.
public struct Buffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = Cell()) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = [Cell](repeating: fill, count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { (0..<width).contains(x) && (0..<height).contains(y) ? cells[y * width + x] : Cell() }
        set { if (0..<width).contains(x) && (0..<height).contains(y) { cells[y * width + x] = newValue } }
    }

    /// Writes `text` from (x, y) to the right, clipped to the buffer and to `maxWidth` cells.
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, maxWidth: Int = .max) {
        guard (0..<height).contains(y) else { return }
        var cx = x
        var written = 0
        for ch in text {
            if written >= maxWidth || cx >= width { break }
            if cx >= 0 { cells[y * width + cx] = Cell(ch, style: style) }
            cx += 1
            written += 1
        }
    }

    /// Sets the style of every cell of `rect`, keeping the characters.
    public mutating func setStyle(_ style: Style, in rect: Rect) {
        for y in max(rect.y, 0)..<min(rect.maxY, height) where rect.x < rect.maxX {
            for x in max(rect.x, 0)..<min(rect.maxX, width) { cells[y * width + x].style = style }
        }
    }

    /// Fills `rect` with `cell`.
    public mutating func fill(_ rect: Rect, with cell: Cell = Cell()) {
        guard rect.y < rect.maxY, rect.x < rect.maxX else { return }
        for y in max(rect.y, 0)..<max(min(rect.maxY, height), max(rect.y, 0)) {
            for x in max(rect.x, 0)..<max(min(rect.maxX, width), max(rect.x, 0)) { cells[y * width + x] = cell }
        }
    }

    /// The text of each row, trailing spaces trimmed.
    public func lines() -> [String] {
        (0..<height).map { y in
            var s = String(cells[(y * width)..<((y + 1) * width)].map(\.char))
            while s.last == " " { s.removeLast() }
            return s
        }
    }

    /// All rows joined by newlines (for snapshots).
    public var text: String { lines().joined(separator: "\n") }
}
