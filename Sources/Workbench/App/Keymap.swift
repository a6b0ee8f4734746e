import Terminal

/// Everything a key can do in the workbench.
public enum Action: Sendable, Equatable {
    case nextDtype, previousDtype, largerBlock, smallerBlock, toggleDoubleQuant
    case toggleLog, toggleDomain, toggleCodeUsage
    case focusNext, focusPrevious, moveUp, moveDown, pageUp, pageDown, top, bottom
    case open, filter, pin, raiseThreshold, lowerThreshold
    case nextTheme, help, close, quit
}

/// One row of the keymap: the keys, the action, and the words shown for it.
public struct Binding: Sendable {
    public var keys: [Key]
    public var action: Action
    /// Short label for the hint bar (nil: not shown there).
    public var hint: String?
    /// Sentence for the help overlay.
    public var help: String
}

/// The one table that drives key dispatch, the hint bar and the help overlay.
public enum Keymap {
    public static let bindings: [Binding] = [
        Binding(keys: [.char("d")], action: .nextDtype, hint: "d/D dtype", help: "next datatype"),
        Binding(keys: [.char("D")], action: .previousDtype, hint: nil, help: "previous datatype"),
        Binding(keys: [.char("b")], action: .largerBlock, hint: "b/B block", help: "next larger block size (16 … 4096, row, column, tensor)"),
        Binding(keys: [.char("B")], action: .smallerBlock, hint: nil, help: "next smaller block size"),
        Binding(keys: [.char("x")], action: .toggleDoubleQuant, hint: "x double-quant", help: "double quantization of the absmax on/off"),
        Binding(keys: [.char("l")], action: .toggleLog, hint: "l log", help: "linear / log count axis"),
        Binding(keys: [.char("n")], action: .toggleDomain, hint: "n domain", help: "values: normalised (x ÷ block scale, levels fixed) or raw"),
        Binding(keys: [.char("c")], action: .toggleCodeUsage, hint: "c codes", help: "error pane: error histogram or code usage"),
        Binding(keys: [.char("p")], action: .pin, hint: "p pin", help: "pin the current configuration as the baseline (metric deltas)"),
        Binding(keys: [.char("o")], action: .raiseThreshold, hint: "o/O outliers", help: "raise the outlier threshold"),
        Binding(keys: [.char("O")], action: .lowerThreshold, hint: nil, help: "lower the outlier threshold"),
        Binding(keys: [.tab], action: .focusNext, hint: nil, help: "focus the next pane"),
        Binding(keys: [.backTab], action: .focusPrevious, hint: nil, help: "focus the previous pane"),
        Binding(keys: [.up, .char("k")], action: .moveUp, hint: nil, help: "move up in the tensor list"),
        Binding(keys: [.down, .char("j")], action: .moveDown, hint: nil, help: "move down in the tensor list"),
        Binding(keys: [.pageUp], action: .pageUp, hint: nil, help: "page up"),
        Binding(keys: [.pageDown], action: .pageDown, hint: nil, help: "page down"),
        Binding(keys: [.char("g"), .home], action: .top, hint: nil, help: "first tensor"),
        Binding(keys: [.char("G"), .end], action: .bottom, hint: nil, help: "last tensor"),
        Binding(keys: [.enter], action: .open, hint: nil, help: "open the selected tensor"),
        Binding(keys: [.char("/")], action: .filter, hint: "/ filter", help: "filter the tensor list (Esc clears)"),
        Binding(keys: [.char("t")], action: .nextTheme, hint: "t theme", help: "next colour theme"),
        Binding(keys: [.char("?"), .function(1)], action: .help, hint: "? help", help: "this help"),
        Binding(keys: [.escape], action: .close, hint: nil, help: "close the overlay, or clear the filter"),
        Binding(keys: [.char("q"), .ctrl("c")], action: .quit, hint: "q quit", help: "quit (the terminal is restored)"),
    ]

    /// The action bound to `key`, if any.
    public static func action(for key: Key) -> Action? {
        bindings.first { $0.keys.contains(key) }?.action
    }

    /// The hint bar text.
    public static var hintBar: String {
        bindings.compactMap(\.hint).joined(separator: "  ")
    }
}
