import Foundation
import TUI

/// Finds theme files: `themes/NAME.toml` next to the working directory or the executable, or a path.
public enum ThemeCatalog {
    /// The `themes/` folders to search, in order.
    public static func folders(executable: String = CommandLine.arguments[0]) -> [URL] {
        var out = [URL(fileURLWithPath: "themes")]
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            out.append(dir.appendingPathComponent("themes"))
            dir = dir.deletingLastPathComponent()
        }
        return out.filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Every theme in the first themes folder found (default first), each over the default theme.
    public static func all() -> [Theme] {
        guard let folder = folders().first,
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [.fallback] }
        let files = names.filter { $0.hasSuffix(".toml") }.sorted { ($0 == "default.toml" ? 0 : 1, $0) < ($1 == "default.toml" ? 0 : 1, $1) }
        let themes = files.compactMap { f -> Theme? in
            guard let text = try? String(contentsOf: folder.appendingPathComponent(f), encoding: .utf8) else { return nil }
            return try? Theme.parse(text, source: f)
        }
        return themes.isEmpty ? [.fallback] : themes
    }

    /// The theme `--theme` names: a theme name from `themes/` or a TOML file of the user's.
    public static func load(_ nameOrPath: String) throws -> Theme {
        let candidates = [URL(fileURLWithPath: nameOrPath)] + folders().map { $0.appendingPathComponent("\(nameOrPath).toml") }
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) && !$0.hasDirectoryPath }) else {
            throw ThemeError(source: nameOrPath, line: nil,
                             reason: "no such theme (names: \(all().map(\.name).joined(separator: ", ")), or a path to a .toml file)")
        }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ThemeError(source: url.path, line: nil, reason: "cannot be read as UTF-8 text")
        }
        return try Theme.parse(text, source: url.path)
    }
}
