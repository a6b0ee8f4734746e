import Foundation

/// Recognises one shard of a set (`model-00002-of-00003.safetensors`, `pytorch_model-00002-of-00003.bin`) and
/// finds its siblings.
enum ShardSet {
    /// The paths of every shard of the set `path` belongs to, in order, or nil when it is not a shard name
    /// or a sibling is missing (then the file opens on its own).
    static func siblings(of path: String) -> [String]? {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard let ext = [".safetensors", ".bin"].first(where: { name.hasSuffix($0) }) else { return nil }
        let stem = name.dropLast(ext.count)
        let parts = stem.split(separator: "-")
        guard parts.count >= 4, parts[parts.count - 2] == "of",
              let total = Int(parts[parts.count - 1]), let index = Int(parts[parts.count - 3]),
              total >= 1, total <= 10_000, index >= 1, index <= total else { return nil }
        let width = parts[parts.count - 1].count
        let prefix = parts.dropLast(3).joined(separator: "-")
        let dir = url.deletingLastPathComponent()
        let paths = (1...total).map { i -> String in
            let n = String(i), t = String(total)
            let pad = { (s: String) in String(repeating: "0", count: max(0, width - s.count)) + s }
            return dir.appendingPathComponent("\(prefix)-\(pad(n))-of-\(pad(t))\(ext)").path
        }
        return paths.allSatisfy { FileManager.default.fileExists(atPath: $0) } ? paths : nil
    }
}
