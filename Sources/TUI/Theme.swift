import TOMLKit

/// Colours by role, loaded from a TOML file in `themes/`.
///
/// Widgets ask for a role (`bar`, `levelMarker`, `good`, ...), never a literal
/// colour, so a theme changes the whole screen; a theme that leaves a role out
/// inherits it from the default theme.
public struct Theme: Sendable, Equatable {
    public enum Role: String, CaseIterable, Sendable {
        case background, text, dim, accent, border, title, bar, levelMarker = "level_marker"
        case boundaryMarker = "boundary_marker", outlier, threshold, good, bad, selection, status
    }

    public var name: String
    public var colors: [Role: Color]

    /// The style of a role (colour plus the attributes the role always has).
    public func style(_ role: Role) -> Style {
        var s = Style(fg: colors[role] ?? .default)
        switch role {
        case .title, .accent: s.bold = true
        case .dim, .boundaryMarker: s.dim = colors[role] == nil
        case .selection: s.reverse = true
        case .status: s.reverse = true
        default: break
        }
        return s
    }

    /// The built-in dark theme; also what every other theme falls back to.
    public static let fallback = Theme(name: "default", colors: [
        .text: .indexed(7), .dim: .indexed(244), .accent: .indexed(6), .border: .indexed(240), .title: .indexed(6),
        .bar: .indexed(4), .levelMarker: .indexed(3), .boundaryMarker: .indexed(245), .outlier: .indexed(5),
        .threshold: .indexed(1), .good: .indexed(2), .bad: .indexed(1), .selection: .indexed(14), .status: .indexed(6),
    ])

    /// Parses a theme file's text. Roles it leaves out come from `base`.
    public static func parse(_ toml: String, source: String, base: Theme = .fallback) throws(ThemeError) -> Theme {
        try checkSubset(toml, source: source)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: toml)
        } catch let e as TOMLParseError {
            throw ThemeError(source: source, line: Int(e.source.begin.line), reason: e.description)
        } catch {
            throw ThemeError(source: source, line: nil, reason: "\(error)")
        }
        var theme = base
        theme.name = table["name"]?.string ?? source
        guard let colors = table["colors"] else { return theme }
        guard let colorTable = colors.table else {
            throw ThemeError(source: source, line: nil, reason: "[colors] must be a table of role = colour")
        }
        for (key, value) in colorTable {
            guard let role = Role(rawValue: key) else {
                let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
                throw ThemeError(source: source, line: lineOf(key, in: toml), reason: "unknown role '\(key)' (roles: \(known))")
            }
            guard let color = parseColor(value) else {
                throw ThemeError(source: source, line: lineOf(key, in: toml),
                                 reason: "'\(key)' is not a colour: use a name (red, bright-blue, ...), an index 0-255, \"#rrggbb\" or \"default\"")
            }
            theme.colors[role] = color
        }
        return theme
    }

    /// Theme files use a small subset of TOML: comments, `[table]` headers and `key = value` lines
    /// with a string, an integer or a boolean. Checking each line first gives errors that name the
    /// line, and keeps the TOML parser away from input it handles with a failed assertion instead
    /// of an error (a table header broken over two lines aborted the process; found by fuzzing).
    static func checkSubset(_ text: String, source: String) throws(ThemeError) {
        let header = try! NSRegularExpression(pattern: #"^\[[ \t]*[A-Za-z0-9_-]+[ \t]*\][ \t]*(#.*)?$"#)
        let pair = try! NSRegularExpression(
            pattern: #"^([A-Za-z0-9_-]+|"[^"\\]*")[ \t]*=[ \t]*("[^"\\]*"|-?[0-9]+|true|false)[ \t]*(#.*)?$"#)
        guard text.utf8.count <= 1 << 20 else { throw ThemeError(source: source, line: nil, reason: "larger than 1 MiB") }
        // Split at every newline character: "\r\n" is one Character in Swift, so splitting at "\n" alone
        // would hide the next line inside a comment (found by fuzzing).
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let range = NSRange(line.startIndex..., in: line)
            let regex = line.hasPrefix("[") ? header : pair
            guard regex.firstMatch(in: line, range: range) != nil else {
                let what = line.hasPrefix("[") ? "a table header must be [name] on one line"
                    : "expected role = \"colour\" or role = number (a string, an integer or a boolean)"
                throw ThemeError(source: source, line: i + 1, reason: what)
            }
        }
    }

    static func parseColor(_ value: any TOMLValueConvertible) -> Color? {
        if let i = value.int { return (0...255).contains(i) ? .indexed(UInt8(i)) : nil }
        guard let s = value.string?.lowercased() else { return nil }
        if s == "default" { return .default }
        if let i = Color.names[s] { return .indexed(i) }
        if s.hasPrefix("#"), s.count == 7, let v = UInt32(s.dropFirst(), radix: 16) {
            return .rgb(UInt8(v >> 16), UInt8((v >> 8) & 255), UInt8(v & 255))
        }
        return nil
    }

    static func lineOf(_ key: String, in text: String) -> Int? {
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.trimmingCharacters(in: .whitespaces).hasPrefix(key) {
            return i + 1
        }
        return nil
    }
}

/// A theme file that cannot be used: which file, which line, what is wrong.
public struct ThemeError: Error, CustomStringConvertible, Sendable, Equatable {
    public var source: String
    public var line: Int?
    public var reason: String

    public init(source: String, line: Int?, reason: String) {
        self.source = source
        self.line = line
        self.reason = reason
    }

    public var description: String {
        "theme \(source)\(line.map { ", line \($0)" } ?? ""): \(reason)"
    }
}

import Foundation
