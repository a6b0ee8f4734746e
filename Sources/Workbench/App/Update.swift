import QuantCore
import Terminal
import TUI

/// Messages the loop feeds into `update`.
public enum Message: Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    case analyzed(generation: Int, key: AnalysisKey, analysis: Analysis)
    case failed(generation: Int, message: String)
    case tick
}

/// Work `update` asks the loop to do.
public enum Command: Sendable, Equatable {
    case analyze(AnalysisKey, generation: Int)
}

/// The Elm-style update: the state plus a message gives the new state and the commands to run.
public enum Update {
    /// Applies `message` to `state`; returns the commands to run (at most one analysis).
    public static func apply(_ message: Message, to state: inout WorkbenchState) -> [Command] {
        switch message {
        case .resize(let w, let h):
            state.width = w
            state.height = h
            return []
        case .tick:
            if state.busy { state.spinner += 1 }
            return []
        case .analyzed(let generation, let key, let analysis):
            // A result for a configuration that is no longer current is dropped.
            guard generation == state.generation, key == state.currentKey else { return [] }
            state.analysis = analysis
            state.busy = false
            return []
        case .failed(let generation, let message):
            guard generation == state.generation else { return [] }
            state.busy = false
            state.status = message
            return []
        case .key(let key):
            return handle(key, &state)
        }
    }

    static func handle(_ key: Key, _ s: inout WorkbenchState) -> [Command] {
        if s.filtering {
            switch key {
            case .escape: s.filtering = false; s.filter = ""; s.selection = 0; return []
            case .enter: s.filtering = false; return []
            case .backspace: if !s.filter.isEmpty { s.filter.removeLast() }; s.selection = 0; return []
            case .char(let c): s.filter.append(c); s.selection = 0; return []
            default: break
            }
        }
        if s.showHelp {
            if key == .escape || key == .char("?") || key == .function(1) || key == .char("q") { s.showHelp = false }
            return []
        }
        guard let action = Keymap.action(for: key) else { return [] }
        s.status = ""
        switch action {
        case .quit: s.quit = true
        case .help: s.showHelp = true
        case .close:
            if !s.filter.isEmpty { s.filter = ""; s.selection = 0 }
        case .filter: s.filtering = true; s.focus = .tensors
        case .nextTheme: s.themeIndex = (s.themeIndex + 1) % s.themes.count; s.status = "theme: \(s.theme.name)"
        case .toggleLog: s.logAxis.toggle()
        case .toggleDomain: s.normalizedDomain.toggle()
        case .toggleCodeUsage: s.showCodeUsage.toggle()
        case .focusNext: s.focus = Pane(rawValue: (s.focus.rawValue + 1) % Pane.allCases.count)!
        case .focusPrevious: s.focus = Pane(rawValue: (s.focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
        case .moveUp: s.selection = max(0, s.selection - 1)
        case .moveDown: s.selection = min(max(0, s.visibleTensors.count - 1), s.selection + 1)
        case .pageUp: s.selection = max(0, s.selection - 10)
        case .pageDown: s.selection = min(max(0, s.visibleTensors.count - 1), s.selection + 10)
        case .top: s.selection = 0
        case .bottom: s.selection = max(0, s.visibleTensors.count - 1)
        case .raiseThreshold: s.outlierThreshold = min(s.outlierThreshold * 1.25, 1e6)
        case .lowerThreshold: s.outlierThreshold = max(s.outlierThreshold / 1.25, 1e-6)
        case .pin:
            if let a = s.analysis, let t = s.openTensor {
                s.pin = Pin(tensor: t, config: a.config, metrics: a.metrics)
                s.status = "pinned \(a.config.description)"
            }
        case .open:
            guard let t = s.selectedTensor else { return [] }
            guard t.isFloatConvertible else {
                s.status = "\(t.name) has dtype \(t.dtype), which cannot be read as numbers"
                return []
            }
            guard t.count > 0 else { s.status = "\(t.name) is empty"; return [] }
            s.openTensor = t.name
            s.analysis = nil
            return request(&s)
        case .nextDtype, .previousDtype:
            let all = DataType.allCases
            let i = all.firstIndex(of: s.dtype) ?? 0
            s.dtype = all[(i + (action == .nextDtype ? 1 : all.count - 1)) % all.count]
            return request(&s)
        case .largerBlock, .smallerBlock:
            if let fixed = s.dtype.fixedBlock {
                s.status = "\(s.dtype.name) has a fixed block of \(fixed)"
                return []
            }
            let next = action == .largerBlock ? s.userBlock.larger : s.userBlock.smaller
            guard let next else { return [] }
            s.userBlock = next
            return request(&s)
        case .toggleDoubleQuant:
            guard s.dtype.supportsDoubleQuant else {
                s.status = "\(s.dtype.name) has no fp32 absmax to double-quantize"
                return []
            }
            s.doubleQuant.toggle()
            return request(&s)
        }
        return []
    }

    /// Starts a new generation for the current configuration; the old figures stay until it lands.
    static func request(_ s: inout WorkbenchState) -> [Command] {
        guard let key = s.currentKey else { return [] }
        s.generation += 1
        s.busy = true
        return [.analyze(key, generation: s.generation)]
    }
}
