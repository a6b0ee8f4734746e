/// The characters widgets draw with: Unicode block and box drawing, or plain ASCII.
///
/// Box drawing and eighth blocks are "ambiguous width" in some CJK setups and
/// missing on the Linux console; the ASCII set (chosen by `QSCOPE_ASCII=1` or a
/// non-UTF-8 locale) keeps every screen readable there.
public struct GlyphSet: Sendable, Equatable {
    public var bars: [Character]
    public var horizontal: Character
    public var vertical: Character
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character
    public var levelMarker: Character
    public var boundaryMarker: Character
    public var pointer: Character
    public var ellipsis: Character
    public var threshold: Character
    public var spinner: [Character]

    public static let unicode = GlyphSet(
        bars: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], horizontal: "─", vertical: "│",
        topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        levelMarker: "┃", boundaryMarker: "┊", pointer: "▸", ellipsis: "…", threshold: "┄",
        spinner: ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"])

    public static let ascii = GlyphSet(
        bars: [" ", ".", ".", "-", "-", "=", "=", "#", "#"], horizontal: "-", vertical: "|",
        topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        levelMarker: "|", boundaryMarker: ":", pointer: ">", ellipsis: "~", threshold: "-",
        spinner: ["|", "/", "-", "\\"])

    /// Picks the ASCII set for `QSCOPE_ASCII=1`, the Linux console, or a locale that is not UTF-8.
    public static func forEnvironment(_ env: [String: String]) -> GlyphSet {
        if env["QSCOPE_ASCII"] == "1" || env["TERM"] == "linux" { return .ascii }
        let locale = env["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LC_CTYPE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? env["LANG"] ?? ""
        let l = locale.lowercased()
        return l.contains("utf-8") || l.contains("utf8") ? .unicode : .ascii
    }
}
