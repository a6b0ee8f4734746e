import Terminal

/// Everything a key can do in the workbench.
public enum Action: Sendable, Equatable {
    case nextDtype, previousDtype, largerBlock, smallerBlock, toggleDoubleQuant
    case toggleLog, toggleDomain, toggleCodeUsage
    case focusNext, focusPrevious, moveUp, moveDown, pageUp, pageDown, top, bottom
    case open, filter, pin, raiseThreshold, lowerThreshold
    case nextTheme, help, close, quit
    /// Open a deep-dive view.
    case show(DeepView)
    /// Block inspector: previous / next block, the block with the largest error, the block with the largest |x|.
    case previousBlock, nextBlock, worstBlock, maxBlock
    /// Write the view on screen as an SVG figure and as text (`ViewExport`).
    case export
}

/// Where a binding applies.
public enum BindingScope: Sendable, Equatable {
    /// Everywhere (its action may mean something particular inside a view).
    case anywhere
    /// Only on the panes, with no deep-dive view open.
    case panes
    /// Only inside one deep-dive view.
    case view(DeepView)

    func applies(to view: DeepView?) -> Bool {
        switch self {
        case .anywhere: true
        case .panes: view == nil
        case .view(let v): v == view
        }
    }
}

/// One row of the keymap: the keys, the action, and the words shown for it.
public struct Binding: Sendable {
    public var keys: [Key]
    public var action: Action
    /// Short label for the hint bar (nil: not shown there).
    public var hint: String?
    /// Sentence for the help overlay.
    public var help: String
    public var scope: BindingScope = .anywhere
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
        Binding(keys: [.char("c")], action: .toggleCodeUsage, hint: nil, help: "error pane: error histogram or code usage"),
        Binding(keys: [.char("p")], action: .pin, hint: "p pin", help: "pin the current configuration as the baseline (metric deltas)"),
        Binding(keys: [.char("i")], action: .show(.inspector), hint: "i inspect", help: "block inspector: one block's values, scale, codes and errors"),
        Binding(keys: [.char("s")], action: .show(.sweep), hint: "s sweep", help: "sweep frontier: datatypes × blocks, bits per parameter against SQNR"),
        Binding(keys: [.char("a")], action: .show(.comparison), hint: "a A/B", help: "A/B: the pinned and the current configuration side by side"),
        Binding(keys: [.char("m")], action: .show(.int8), hint: "m int8", help: "LLM.int8(): matmul error with and without 16-bit outlier columns"),
        Binding(keys: [.char("u")], action: .show(.isolation), hint: "u isolate", help: "outlier isolation: keep the top 0–2 % of weights in 16-bit (SpQR-style)"),
        Binding(keys: [.char("e")], action: .show(.explanation), hint: "e explain", help: "explanation of the current datatype and metrics"),
        Binding(keys: [.left, .char("[")], action: .previousBlock, hint: "← → block", help: "inspector: previous block", scope: .view(.inspector)),
        Binding(keys: [.right, .char("]")], action: .nextBlock, hint: nil, help: "inspector: next block", scope: .view(.inspector)),
        Binding(keys: [.char("w")], action: .worstBlock, hint: "w worst", help: "inspector: the block with the largest squared error", scope: .view(.inspector)),
        Binding(keys: [.char("v")], action: .maxBlock, hint: "v max |x|", help: "inspector: the block holding the tensor's largest |x|", scope: .view(.inspector)),
        Binding(keys: [.char("o")], action: .raiseThreshold, hint: "o/O outliers", help: "raise the outlier threshold (in the int8 view: the LLM.int8() threshold)"),
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
        Binding(keys: [.char("/")], action: .filter, hint: nil, help: "filter the tensor list (Esc clears)", scope: .panes),
        Binding(keys: [.char("E")], action: .export, hint: nil, help: "export the view: an SVG figure and the screen's text, in the current folder"),
        Binding(keys: [.char("t")], action: .nextTheme, hint: "t theme", help: "next colour theme"),
        Binding(keys: [.char("?"), .function(1)], action: .help, hint: "? help", help: "this help"),
        Binding(keys: [.escape], action: .close, hint: "Esc back", help: "close the view or overlay, or clear the filter"),
        Binding(keys: [.char("q"), .ctrl("c")], action: .quit, hint: "q quit", help: "quit (the terminal is restored)"),
    ]

    /// The action bound to `key` where the user is (on the panes, or inside `view`), if any.
    public static func action(for key: Key, in view: DeepView? = nil) -> Action? {
        bindings.first { $0.keys.contains(key) && $0.scope.applies(to: view) }?.action
    }

    /// Whose hints go first when the bar is too narrow (the help overlay still lists them all).
    static let hintDropOrder: [Action] = [.show(.isolation), .show(.explanation), .show(.comparison), .show(.int8),
                                          .raiseThreshold, .nextTheme, .toggleDoubleQuant, .toggleLog, .toggleDomain,
                                          .show(.sweep), .show(.inspector), .pin]

    /// The hints shown on the panes, or inside `view` (the view's own keys first, then leaving it).
    public static func hints(in view: DeepView? = nil) -> [String] {
        var hints: [String]
        if let view {
            hints = bindings.filter { $0.scope == .view(view) }.compactMap(\.hint)
            switch view {
            case .sweep: hints.insert("↑↓ row  Enter use it", at: 0)
            case .int8: hints.append("o/O threshold")
            default: break
            }
            // The configuration keys still work inside a view (the view follows them).
            let configuration: [Action] = view == .sweep ? [] : [.nextDtype, .largerBlock, .toggleDoubleQuant]
            hints += (configuration + [.close, .help, .quit]).compactMap { a in bindings.first { $0.action == a }?.hint }
        } else {
            hints = bindings.filter { ($0.scope == .anywhere || $0.scope == .panes) && $0.action != .close }.compactMap(\.hint)
        }
        return hints
    }

    /// The hint bar text for a row `width` characters wide: hints are dropped from the middle when
    /// they do not fit, so that help and quit stay visible (the help overlay lists every key).
    public static func hintBar(in view: DeepView? = nil, width: Int = .max) -> String {
        var hints = hints(in: view)
        func text() -> String { hints.joined(separator: "  ") }
        for action in hintDropOrder where text().count > width - 1 {
            guard let drop = bindings.first(where: { $0.action == action })?.hint else { continue }
            hints.removeAll { $0 == drop }
        }
        while text().count > width - 1 && hints.count > 2 {
            hints.remove(at: hints.count - 3)
        }
        return text()
    }
}

