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
    }

    /// The signal received since the last call, if any.
    static func take() -> Int32? {
        let s = pending
        pending = 0
        return s == 0 ? nil : s
    }
}
