/// A key press, decoded from curses' `wget_wch`.
public enum Key: Sendable, Hashable {
    case char(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace
    case function(Int)
    /// Ctrl plus a letter (`ctrl("c")` is Ctrl-C).
    case ctrl(Character)

    /// A short name for the help screen and the hint bar.
    public var label: String {
        switch self {
        case .char(" "): "Space"
        case .char(let c): String(c)
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .backspace: "Backspace"
        case .function(let n): "F\(n)"
        case .ctrl(let c): "Ctrl-\(c.uppercased())"
        }
    }
}

/// What the terminal reports to the application loop.
public enum TerminalEvent: Sendable, Equatable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// SIGINT, SIGTERM or SIGHUP arrived: the loop should restore the terminal and exit.
    case interrupted(signal: Int32)
}
