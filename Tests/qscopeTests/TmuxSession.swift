import Foundation

/// Drives a real terminal: a shell in a detached tmux session, keys in, screen text out.
struct TmuxSession {
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/tmux")
    }

    let name: String

    init(width: Int, height: Int) throws {
        name = "qscope-test-\(UUID().uuidString.prefix(8))"
        try Self.tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)",
                       "env -i PATH=/usr/bin:/bin HOME=/tmp TERM=xterm-256color LANG=C.UTF-8 PS1='$ ' sh"])
    }

    /// The tests' own tmux server (`-L`), so that they never touch a user's sessions and CI can
    /// stop it at the end.
    static let socket = "qscope-tests"

    /// Runs tmux with a deadline. Output goes to a file, not a pipe: the tmux server that
    /// `new-session` starts would inherit a pipe and keep it open forever.
    @discardableResult
    static func tmux(_ args: [String]) throws -> String {
        let r = try ChildProcess.run("/usr/bin/env", ["tmux", "-L", socket] + args, timeout: 20)
        return r.stdout
    }

    func send(_ keys: String...) throws { try Self.tmux(["send-keys", "-t", name] + keys) }

    /// Types a command line and presses Enter.
    func type(_ line: String) throws { try Self.tmux(["send-keys", "-t", name, "-l", line]); try send("Enter") }

    func screen() throws -> String { try Self.tmux(["capture-pane", "-p", "-t", name]) }

    /// Waits until the screen satisfies `predicate` (polling), returning the last screen.
    @discardableResult
    func wait(timeout: TimeInterval = 20, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var s = try screen()
        while !predicate(s) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            s = try screen()
        }
        return s
    }

    func resize(width: Int, height: Int) throws {
        try Self.tmux(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Process id of the shell's child (the program running in the pane).
    func childPID() throws -> Int32? {
        let shell = try Self.tmux(["list-panes", "-t", name, "-F", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try ChildProcess.run("/usr/bin/env", ["pgrep", "-P", shell], timeout: 20)
        return Int32(r.stdout.split(separator: "\n").first ?? "")
    }

    func close() { _ = try? Self.tmux(["kill-session", "-t", name]) }
}
