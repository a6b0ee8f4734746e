import Foundation
import Testing

/// Every file of `Tests/Fixtures/malformed/` through `list` and `report`: exit code 65, one
/// `qscope: error:` line, quickly, and the file unchanged.
@Suite("malformed corpus")
struct MalformedCorpusTests {
    static let dir = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/malformed")
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
        .filter { !$0.hasSuffix(".py") }.sorted()

    @Test func theCorpusIsLarge() { #expect(Self.files.count >= 60) }

    @Test(arguments: files)
    func refusedCleanly(name: String) throws {
        let url = Self.dir.appendingPathComponent(name)
        let before = try CLI.checksum(url)
        for command in ["list", "report"] {
            let start = Date()
            let r = try CLI.run([command, url.path])
            #expect(r.status == 65, "\(command) \(name): exit \(r.status), \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("qscope: error:"), "\(command) \(name): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(Date().timeIntervalSince(start) < 5)
        }
        #expect(try CLI.checksum(url) == before)
    }
}
