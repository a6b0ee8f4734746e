import TUI

/// What the workbench loop needs from a terminal: its size, a way to show a frame, and events.
///
/// `Screen` is the real one (curses); tests drive the same loop in-process with a scripted backend
/// that records every frame it is given, styles included.
public protocol TerminalBackend: AnyObject {
    var size: (width: Int, height: Int) { get }
    /// Shows `buffer` (drawing only what changed since the last frame).
    func draw(_ buffer: Buffer)
    /// Forgets what is on the terminal, so that the next `draw` repaints everything (after a resize).
    func invalidate()
    /// The next key, resize or signal, waiting at most `timeoutMilliseconds`; nil when none came.
    func nextEvent(timeoutMilliseconds: Int) -> TerminalEvent?
}

extension Screen: TerminalBackend {}
