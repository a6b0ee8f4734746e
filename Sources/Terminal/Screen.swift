#if canImport(Glibc)
import Glibc
#endif
import CNcurses
import Foundation
import TUI

/// Why the screen could not start.
public enum TerminalError: Error, CustomStringConvertible, Sendable, Equatable {
    case notATerminal
    case cannotInitialize(term: String)

    public var description: String {
        switch self {
        case .notATerminal:
            "the workbench needs a terminal on standard input and output; for scripts use 'qscope report FILE --tensor NAME' (or list, sweep)"
        case .cannotInitialize(let term):
            "cannot start the terminal (TERM=\(term)); try TERM=xterm-256color, or use 'qscope report' for plain text"
        }
    }
}

/// The curses screen: life cycle, drawing a `Buffer` by differences, and reading keys.
///
/// The only type in qscope that talks to curses. Each method names the curses
/// function it wraps.
public final class Screen {
    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private var last: Buffer?
    private var pairs: [PairKey: Int16] = [:]
    /// Colours the terminal has, after `NO_COLOR`: 0 (attributes only), 8, 16 or 256.
    public let colorCount: Int
    private var stopped = false

    private struct PairKey: Hashable { var fg: Int16; var bg: Int16 }

    private init(screen: OpaquePointer, window: UnsafeMutablePointer<WINDOW>, colorCount: Int) {
        self.screen = screen
        self.window = window
        self.colorCount = colorCount
    }

    /// Starts curses on the controlling terminal (`setlocale`, `newterm`, `cbreak`, `noecho`,
    /// `keypad`, `set_escdelay(25)`, `curs_set(0)`, colours unless `NO_COLOR` is set).
    public static func start() throws(TerminalError) -> Screen {
        setlocale(LC_ALL, "")
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else { throw .notATerminal }
        SignalGuard.install()
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        guard !term.isEmpty, term != "dumb", let scr = qs_newterm() else {
            throw .cannotInitialize(term: term.isEmpty ? "(unset)" : term)
        }
        set_term(scr)
        SignalGuard.screenActive = 1
        let win = qs_stdscr()!
        cbreak()
        noecho()
        nonl()
        keypad(win, true)
        set_escdelay(25)
        curs_set(0)
        var colors = 0
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        if has_colors() && !noColor {
            start_color()
            use_default_colors()
            let c = Int(qs_colors())
            colors = c >= 256 ? 256 : (c >= 16 ? 16 : (c >= 8 ? 8 : 0))
        }
        return Screen(screen: scr, window: win, colorCount: colors)
    }

    /// Width and height in cells (`getmaxx`, `getmaxy`).
    public var size: (width: Int, height: Int) {
        (Int(getmaxx(window)), Int(getmaxy(window)))
    }

    /// Copies `buffer` to the terminal, writing only cells that changed since the last frame
    /// (`mvwadd_wch`, `wnoutrefresh`, `doupdate`).
    public func draw(_ buffer: Buffer) {
        let full = last == nil || last!.width != buffer.width || last!.height != buffer.height
        if full { werase(window) }
        for y in 0..<buffer.height {
            for x in 0..<buffer.width {
                let cell = buffer[x, y]
                if !full, let last, last[x, y] == cell { continue }
                let (attrs, pair) = attributes(cell.style)
                let scalar = cell.char.unicodeScalars.first.map { wchar_t(bitPattern: $0.value) } ?? 32
                _ = qs_put_cell(window, Int32(y), Int32(x), scalar, attrs, pair)
            }
        }
        last = buffer
        wnoutrefresh(window)
        doupdate()
    }

    /// Forces the next `draw` to repaint everything (after a resize).
    public func invalidate() {
        last = nil
        clearok(window, true)
    }

    private func attributes(_ s: Style) -> (attr_t, Int16) {
        var a = qs_attr_normal()
        if s.bold { a |= qs_attr_bold() }
        if s.dim { a |= qs_attr_dim() }
        if s.reverse { a |= qs_attr_reverse() }
        if s.underline { a |= qs_attr_underline() }
        guard colorCount > 0 else { return (a, 0) }
        let fg = s.fg.nearestIndex(among: colorCount).map(Int16.init) ?? -1
        let bg = s.bg.nearestIndex(among: colorCount).map(Int16.init) ?? -1
        if fg == -1 && bg == -1 { return (a, 0) }
        let key = PairKey(fg: fg, bg: bg)
        if let p = pairs[key] { return (a, p) }
        let next = Int16(pairs.count + 1)
        guard Int32(next) < min(qs_color_pairs(), 255) else { return (a, 0) }
        init_pair(next, fg, bg)
        pairs[key] = next
        return (a, next)
    }

    /// Waits up to `timeoutMilliseconds` for a key, a resize or a signal (`wtimeout`, `wget_wch`).
    public func nextEvent(timeoutMilliseconds: Int) -> TerminalEvent? {
        if let s = SignalGuard.take() { return .interrupted(signal: s) }
        wtimeout(window, Int32(timeoutMilliseconds))
        var raw: UInt32 = 0
        let r = qs_get_wch(window, &raw)
        if let s = SignalGuard.take() { return .interrupted(signal: s) }
        if r == qs_err() { return nil }
        if r == qs_key_code_yes() {
            let code = Int32(raw)
            switch code {
            case qs_key_resize():
                let (w, h) = size
                return .resize(width: w, height: h)
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_BTAB: return .key(.backTab)
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_ENTER: return .key(.enter)
            default:
                for n in 1...12 where code == qs_key_f(Int32(n)) { return .key(.function(n)) }
                return nil
            }
        }
        switch raw {
        case 27: return .key(.escape)
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 127, 8: return .key(.backspace)
        case 1...26: return .key(.ctrl(Character(Unicode.Scalar(raw + 96)!)))
        default:
            guard let scalar = Unicode.Scalar(raw) else { return nil }
            return .key(.char(Character(scalar)))
        }
    }

    /// Restores the terminal (`endwin`, `delscreen`); safe to call more than once.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        SignalGuard.screenActive = 0
        endwin()
        delscreen(screen)
    }

    deinit { stop() }
}
