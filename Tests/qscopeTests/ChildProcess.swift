import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process for the end-to-end tests, started with `posix_spawn` and reaped with `waitpid`.
///
/// Foundation's `Process.waitUntilExit()` can miss a child's exit on Linux and wait forever
/// (the child stays a zombie), which once hung the whole test run. This type owns the whole
/// life of the child instead: output goes to files (no pipe can fill up and block the child),
/// and every wait has a deadline after which the child is killed and the test fails.
struct ChildProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// True when the child was killed because it ran past its deadline.
        var timedOut: Bool
    }

    struct SpawnError: Error, CustomStringConvertible {
        var executable: String
        var code: Int32
        var description: String { "cannot start \(executable): \(String(cString: strerror(code)))" }
    }

    let pid: pid_t
    private let outURL: URL
    private let errURL: URL

    /// Starts `executable` with `arguments`; `environment` nil keeps this process's own.
    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
         directory: URL? = nil, captureOutput: Bool = true) throws {
        let tmp = FileManager.default.temporaryDirectory
        let tag = UUID().uuidString
        outURL = tmp.appendingPathComponent("qscope-child-\(tag).out")
        errURL = tmp.appendingPathComponent("qscope-child-\(tag).err")

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, captureOutput ? outURL.path : "/dev/null",
                                         O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, captureOutput ? errURL.path : "/dev/null",
                                         O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        // A working directory goes through `env -C`: glibc's spawn-chdir action is not visible to Swift.
        let command = directory.map { ["/usr/bin/env", "-C", $0.path, executable] + arguments } ?? [executable] + arguments
        let argv = command.map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }

        var child: pid_t = 0
        let rc = posix_spawn(&child, command[0], &actions, nil, argv, envp)
        guard rc == 0 else { throw SpawnError(executable: executable, code: rc) }
        pid = child
    }

    /// Sends `signal` to the child.
    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits at most `timeout` seconds for the child to exit; past it the child is killed.
    func wait(timeout: TimeInterval = 120) -> Result {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var timedOut = false
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno != EINTR) { break }
            if Date() >= deadline {
                timedOut = true
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            usleep(2_000)
        }
        let out = (try? Data(contentsOf: outURL)) ?? Data()
        let err = (try? Data(contentsOf: errURL)) ?? Data()
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self), timedOut: timedOut)
    }

    /// Runs to completion (or the deadline) and returns what the child printed.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    directory: URL? = nil, timeout: TimeInterval = 120) throws -> Result {
        try ChildProcess(executable, arguments, environment: environment, directory: directory).wait(timeout: timeout)
    }
}
