/// A terminal colour: the terminal's default, one of the 16 ANSI colours, a 256-colour index, or RGB.
public enum Color: Sendable, Hashable {
    case `default`
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    /// The 16 ANSI colours by name (`red`, `bright-blue`, ...).
    public static let names: [String: UInt8] = [
        "black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
        "bright-black": 8, "gray": 8, "grey": 8, "bright-red": 9, "bright-green": 10, "bright-yellow": 11,
        "bright-blue": 12, "bright-magenta": 13, "bright-cyan": 14, "bright-white": 15,
    ]

    /// The RGB value of a 256-colour index (xterm's palette).
    public static func rgb(ofIndex i: UInt8) -> (Int, Int, Int) {
        let base: [(Int, Int, Int)] = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
                                       (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0),
                                       (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
        if i < 16 { return base[Int(i)] }
        if i >= 232 { let v = 8 + 10 * Int(i - 232); return (v, v, v) }
        let c = Int(i) - 16
        let steps = [0, 95, 135, 175, 215, 255]
        return (steps[c / 36], steps[(c / 6) % 6], steps[c % 6])
    }

    /// The nearest entry of the first `count` palette colours (256 or 16).
    public func nearestIndex(among count: Int) -> UInt8? {
        switch self {
        case .default: return nil
        case .indexed(let i) where Int(i) < count: return i
        default:
            let (r, g, b): (Int, Int, Int)
            switch self {
            case .rgb(let rr, let gg, let bb): (r, g, b) = (Int(rr), Int(gg), Int(bb))
            case .indexed(let i): (r, g, b) = Color.rgb(ofIndex: i)
            case .default: return nil
            }
            var best = 0, bestD = Int.max
            for i in 0..<min(count, 256) {
                let (pr, pg, pb) = Color.rgb(ofIndex: UInt8(i))
                let d = (pr - r) * (pr - r) + (pg - g) * (pg - g) + (pb - b) * (pb - b)
                if d < bestD { bestD = d; best = i }
            }
            return UInt8(best)
        }
    }
}

/// Colours and attributes of a cell.
public struct Style: Sendable, Hashable {
    public var fg: Color
    public var bg: Color
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(fg: Color = .default, bg: Color = .default, bold: Bool = false, dim: Bool = false,
                reverse: Bool = false, underline: Bool = false) {
        self.fg = fg
        self.bg = bg
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = Style()

    public func with(fg: Color? = nil, bold: Bool? = nil, reverse: Bool? = nil) -> Style {
        var s = self
        if let fg { s.fg = fg }
        if let bold { s.bold = bold }
        if let reverse { s.reverse = reverse }
        return s
    }
}
