import Foundation
import Testing

/// Runs the real `qscope` binary the way a user or a script does.
enum CLI {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures/cli")

    /// The built executable, next to the test runner.
    static var binary: URL {
        let runnerDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var dir = runnerDir
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("qscope")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return repoRoot.appendingPathComponent(".build/debug/qscope")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ args: [String], cwd: URL? = nil, timeout: TimeInterval = 120, environment extra: [String: String] = [:]) throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.merge(extra) { $1 }
        let r = try ChildProcess.run(binary.path, args, environment: env, directory: cwd ?? repoRoot, timeout: timeout)
        #expect(!r.timedOut, "qscope \(args.joined(separator: " ")) ran past \(Int(timeout)) s and was killed")
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    static func json(_ args: [String]) throws -> [String: Any] {
        let r = try run(args)
        #expect(r.status == 0, "\(args): \(r.stderr)")
        return try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    static func checksum(_ url: URL) throws -> Int {
        let d = try Data(contentsOf: url)
        return d.reduce(into: 5381) { h, b in h = (h &* 33) ^ Int(b) }
    }

    static func expected() throws -> [String: Any] {
        let d = try Data(contentsOf: fixtures.appendingPathComponent("expected.json"))
        return try #require(JSONSerialization.jsonObject(with: d) as? [String: Any])
    }
}
