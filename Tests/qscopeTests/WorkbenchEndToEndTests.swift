import Foundation
import Testing

/// The real binary in a real terminal (tmux), driven by keys as a person would.
@Suite("workbench in tmux", .serialized, .enabled(if: TmuxSession.available))
struct WorkbenchEndToEndTests {
    var command: String { "cd '\(CLI.repoRoot.path)' && '\(CLI.binary.path)'" }

    func sqnr(_ screen: String) -> String? {
        screen.split(separator: "\n").first { $0.contains("SQNR") }.map(String.init)
    }

    @Test func openChangeResizeHelpQuit() throws {
        let t = try TmuxSession(width: 120, height: 40)
        defer { t.close() }
        try t.wait { $0.contains("$") }
        try t.type(command)
        var s = try t.wait { $0.contains("SQNR") && $0.contains("dB") && $0.contains("█") && $0.contains("q quit") }
        #expect(s.contains("encoder.layer.0.output.dense.weight"))
        #expect(s.contains("nf4 · block 64"))
        #expect(s.contains("█"))
        let before = sqnr(s)
        try t.send("d")
        s = try t.wait { $0.contains("fp4 · block 64") && self.sqnr($0) != before }
        #expect(s.contains("fp4 · block 64"))
        #expect(sqnr(s) != before && sqnr(s) != nil)
        try t.send("b")
        s = try t.wait { $0.contains("fp4 · block 128") }
        #expect(s.contains("fp4 · block 128"))
        try t.resize(width: 60, height: 20)
        s = try t.wait { $0.contains("SQNR") && !$0.contains("too small") }
        try t.resize(width: 30, height: 10)
        s = try t.wait { $0.contains("too small") }
        #expect(s.contains("too small"))
        try t.resize(width: 120, height: 40)
        s = try t.wait { $0.contains("SQNR") }
        #expect(s.contains("SQNR"))
        try t.send("?")
        s = try t.wait { $0.contains("next datatype") && $0.contains("help") }
        #expect(s.contains("help"))
        try t.send("Escape")
        try t.send("q")
        try t.wait { $0.contains("$") && !$0.contains("SQNR") }
        try t.type("echo EXIT=$?")
        s = try t.wait { $0.contains("EXIT=") }
        #expect(s.contains("EXIT=0"))
    }

    /// Every deep-dive view opens from its key and shows its figures; Esc returns to the panes.
    @Test func deepDiveViewsFromTheKeymap() throws {
        // Each wait names every figure checked, so that a frame caught half-drawn is waited past.
        let t = try TmuxSession(width: 120, height: 40)
        defer { t.close() }
        try t.wait { $0.contains("$") }
        try t.type(command + " --tensor encoder.layer.0.attention.self.query.weight")
        try t.wait { $0.contains("SQNR") && $0.contains("dB") }
        try t.send("i")
        var s = try t.wait(timeout: 60) { $0.contains("block 0 of 2304") && $0.contains("x÷scale") }
        #expect(s.contains("block 0 of 2304") && s.contains("x÷scale"))
        try t.send("v")
        s = try t.wait(timeout: 60) { $0.contains("holds the largest |x|") }
        #expect(s.contains("holds the largest |x|"))
        try t.send("Escape")
        try t.wait { $0.contains("outlier columns") }
        try t.send("m")
        s = try t.wait(timeout: 90) { $0.contains("16-bit cols") && $0.contains("what it means") && $0.contains("hidden_states") }
        #expect(s.contains("16-bit cols") && s.contains("hidden_states"))
        try t.send("O")
        s = try t.wait(timeout: 30) { $0.contains("at threshold 5") }
        #expect(s.contains("at threshold 5"))
        try t.send("Escape")
        try t.send("u")
        s = try t.wait(timeout: 120) { $0.contains("kept by magnitude") && $0.contains("kept by quantization error") && $0.contains("   0.1 ") }
        #expect(s.contains("kept by magnitude") && s.contains("   0.1 "))
        try t.send("Escape")
        try t.send("e")
        s = try t.wait(timeout: 30) { $0.contains("NormalFloat 4-bit") && $0.contains("SQNR = 10·log10") }
        #expect(s.contains("NormalFloat 4-bit") && s.contains("SQNR = 10·log10"))
        try t.send("Escape")
        try t.send("p")
        try t.send("d")
        try t.wait(timeout: 30) { $0.contains("fp4 · block 64") && !$0.contains("⠋") }
        try t.send("a")
        s = try t.wait(timeout: 30) { $0.contains("B current · fp4 · block 64") && $0.contains("A pinned · nf4 · block 64") && $0.contains("B − A") }
        #expect(s.contains("A pinned · nf4 · block 64") && s.contains("B − A"))
        try t.send("Escape")
        try t.send("q")
        try t.wait { $0.contains("$") && !$0.contains("SQNR") }

        // The sweep, on a small tensor: a row made current with Enter.
        try t.type(command + " --tensor encoder.layer.0.attention.output.LayerNorm.weight")
        try t.wait { $0.contains("SQNR") && $0.contains("dB") }
        try t.send("s")
        s = try t.wait(timeout: 120) { $0.contains("configurations (") && $0.contains("★") && $0.contains("bits/param") }
        #expect(s.contains("configurations (") && s.contains("bits/param"))
        try t.send("Down")
        try t.send("Enter")
        s = try t.wait(timeout: 30) { $0.contains("now ") && $0.contains("outlier columns") && !$0.contains("nf4 · block 64 · dq off") }
        #expect(!s.contains("nf4 · block 64 · dq off"))
        try t.send("q")
        try t.wait { $0.contains("$") && !$0.contains("SQNR") }
    }

    /// Starts the workbench with `launch`, sends `signal` to it, and checks with `stty` that the pane's
    /// terminal is back in canonical mode with echo.
    func expectTerminalRestored(after signal: Int32, launch: String) throws {
        let t = try TmuxSession(width: 100, height: 30)
        defer { t.close() }
        try t.wait { $0.contains("$") }
        try t.type(launch)
        try t.wait { $0.contains("SQNR") }
        let pid = try #require(try t.childPID())
        kill(pid, signal)
        try t.wait { !$0.contains("SQNR") }
        // The quotes keep the typed command line itself from matching "MODE_".
        try t.type("stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(echo|icanon)$' | sed 's/^/M''ODE_/'")
        let s = try t.wait { $0.components(separatedBy: "MODE_").count >= 3 }
        let words = s.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(!s.contains("SQNR"), "the workbench's screen is gone")
        #expect(words.contains("MODE_echo") && words.contains("MODE_icanon"), "\(s)")
        #expect(!words.contains("MODE_-echo") && !words.contains("MODE_-icanon"))
    }

    @Test func sigtermRestoresTheTerminal() throws {
        try expectTerminalRestored(after: SIGTERM, launch: command)
    }

    /// A crash (a bad access, a failed precondition) restores the terminal before the process dies.
    @Test func aCrashRestoresTheTerminal() throws {
        try expectTerminalRestored(after: SIGSEGV, launch: "cd '\(CLI.repoRoot.path)' && SWIFT_BACKTRACE=enable=no '\(CLI.binary.path)'")
    }

    @Test func sighupRestoresTheTerminal() throws {
        try expectTerminalRestored(after: SIGHUP, launch: command)
    }

    @Test func dumbTerminalsAreRefusedWithAReason() throws {
        let t = try TmuxSession(width: 100, height: 30)
        defer { t.close() }
        try t.wait { $0.contains("$") }
        // The quotes keep the typed line itself from matching "EXIT=".
        try t.type("cd '\(CLI.repoRoot.path)' && TERM=dumb '\(CLI.binary.path)'; echo EX''IT=$?")
        let s = try t.wait { $0.contains("EXIT=") }
        #expect(s.contains("qscope: error: cannot start the terminal") && s.contains("EXIT=1"), "\(s)")
    }

    /// The Linux console (no Unicode) gets the ASCII glyphs; a terminal without colours (vt100,
    /// or NO_COLOR) still gets the whole screen; both quit cleanly.
    @Test func oddTerminalsWork() throws {
        let t = try TmuxSession(width: 100, height: 30)
        defer { t.close() }
        try t.wait { $0.contains("$") }
        // The quotes keep the typed line itself from matching "EXIT=". The Linux console has no
        // alternate screen, so the last frame stays visible after quitting: wait for the status line.
        try t.type("cd '\(CLI.repoRoot.path)' && TERM=linux '\(CLI.binary.path)'; echo LINUX_EX''IT=$?")
        var s = try t.wait { $0.contains("SQNR") && $0.contains("+-") && $0.contains("outlier columns") && $0.contains("q quit") }
        #expect(s.contains("+-") && !s.contains("│") && !s.contains("█"), "\(s)")
        try t.send("q")
        s = try t.wait { $0.contains("LINUX_EXIT=") }
        #expect(s.contains("LINUX_EXIT=0"), "\(s)")
        try t.type("clear; cd '\(CLI.repoRoot.path)' && TERM=vt100 NO_COLOR=1 '\(CLI.binary.path)'; echo VT_EX''IT=$?")
        s = try t.wait { $0.contains("SQNR") && $0.contains("dB") && $0.contains("outlier columns") }
        #expect(s.contains("outlier columns"))
        try t.send("q")
        s = try t.wait { $0.contains("VT_EXIT=") }
        #expect(s.contains("VT_EXIT=0"), "\(s)")
    }

    @Test func ctrlCQuits() throws {
        let t = try TmuxSession(width: 100, height: 30)
        defer { t.close() }
        try t.wait { $0.contains("$") }
        try t.type(command)
        try t.wait { $0.contains("SQNR") }
        try t.send("C-c")
        let s = try t.wait { !$0.contains("SQNR") }
        #expect(!s.contains("SQNR"))
    }
}
