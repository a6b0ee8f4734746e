#if canImport(Glibc)
import Glibc
#endif
import CNcurses

/// Restores the terminal on every way out: signals, `exit`, and a second Ctrl-C while stuck.
///
/// The signal handler only records the signal (async-signal-safe); the event loop
/// sees it within one poll interval and leaves through its normal path, which calls
/// `endwin`. If the same kind of signal arrives again before that, the handler
/// restores the terminal itself (`endwin`) and exits, so a wedged loop can always be
/// left. An `atexit` hook calls `endwin` when the process exits with the screen up.
public enum SignalGuard {
    nonisolated(unsafe) static var pending: sig_atomic_t = 0
    nonisolated(unsafe) static var screenActive: sig_atomic_t = 0
    nonisolated(unsafe) static var installed = false

    static func install() {
        guard !installed else { return }
        installed = true
        // A parent may have left these blocked (the mask survives exec): the workbench must hear them.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            signal(sig) { s in
                if SignalGuard.pending != 0 {
                    if SignalGuard.screenActive != 0 { endwin() }
                    _exit(128 + s)
                }
                SignalGuard.pending = s
            }
        }
        atexit {
            if SignalGuard.screenActive != 0 {
                SignalGuard.screenActive = 0
                endwin()
            }
        }
        // A crash (a failed precondition traps; a bad access faults) restores the terminal first, then
        // hands the signal to whoever handled it before (the Swift runtime's backtracer), or the default.
        for sig in [SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE] {
            var action = sigaction()
            var old = sigaction()
            action.__sigaction_handler.sa_sigaction = { s, info, context in
                if SignalGuard.screenActive != 0 {
                    SignalGuard.screenActive = 0
                    endwin()
                }
                var previous = SignalGuard.previousCrashActions[Int(s)]
                if previous.__sigaction_handler.sa_handler == nil || previous.sa_flags & SA_SIGINFO == 0 {
                    signal(s, previous.__sigaction_handler.sa_handler ?? SIG_DFL)
                    raise(s)
                } else {
                    sigaction(s, &previous, nil)
                    raise(s)
                }
            }
            action.sa_flags = SA_SIGINFO | Int32(SA_NODEFER)
            sigemptyset(&action.sa_mask)
            if sigaction(sig, &action, &old) == 0 { previousCrashActions[Int(sig)] = old }
        }
    }

    /// The handlers in place before ours, by signal number, so a crash still reaches them.
    nonisolated(unsafe) static var previousCrashActions: [sigaction] = Array(repeating: sigaction(), count: 65)

    /// Ctrl-C presses counted for a batch command (`countInterrupts`), read by its loop.
    nonisolated(unsafe) static var interrupts: sig_atomic_t = 0

    /// For batch commands that stop cleanly on Ctrl-C (`scan`): SIGINT is unblocked and counted, and
    /// the first press prints `firstMessage` on stderr; the command polls `interruptCount`.
    public static func countInterrupts(firstMessage: StaticString) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        SignalGuard.firstInterruptMessage = firstMessage
        signal(SIGINT) { _ in
            SignalGuard.interrupts += 1
            if SignalGuard.interrupts == 1 {
                let m = SignalGuard.firstInterruptMessage
                _ = write(STDERR_FILENO, m.utf8Start, m.utf8CodeUnitCount)
            }
        }
    }

    nonisolated(unsafe) static var firstInterruptMessage: StaticString = ""

    /// How many times Ctrl-C was pressed since `countInterrupts`.
    public static var interruptCount: Int { Int(interrupts) }

    /// The signal received since the last call, if any.
    static func take() -> Int32? {
        let s = pending
        pending = 0
        return s == 0 ? nil : s
    }
}
