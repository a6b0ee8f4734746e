import Foundation
import Testing
import TUI

/// Compares rendered text with `Snapshots/<name>.txt`; `RECORD_SNAPSHOTS=1` writes the file instead.
enum Snapshot {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static func check(_ buffer: Buffer, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = buffer.text + "\n"
        let url = dir.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try? actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no snapshot \(name).txt; run with RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            var diff: [String] = []
            for i in 0..<max(e.count, a.count) where i >= e.count || i >= a.count || e[i] != a[i] {
                diff.append("line \(i + 1):\n- \(i < e.count ? String(e[i]) : "")\n+ \(i < a.count ? String(a[i]) : "")")
                if diff.count >= 6 { break }
            }
            let report = diff.joined(separator: "\n")
            Issue.record("snapshot \(name) differs:\n\(report)", sourceLocation: sourceLocation)
        }
    }
}
