import TensorCore
import QuantCore
import Reports
import TUI
import Terminal

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
            if state.busy || state.deepBusy { state.spinner += 1 }
            return []
        case .progress(let generation, let fraction):
            if generation == state.generation { state.analysisProgress = fraction }
            return []
        case .analyzed(let generation, let key, let analysis):
            // A result for a configuration that is no longer current is dropped.
            guard generation == state.generation, key == state.currentKey else { return [] }
            state.analysis = analysis
            // An estimate stays up, labelled, until the exact figures replace it.
            state.busy = analysis.isEstimate
            if !analysis.isEstimate { state.analysisProgress = 0 }
            state.inspectBlock = min(state.inspectBlock, max(0, analysis.grouping.blockCount - 1))
            if state.deepView == .inspector, state.inspection == nil || state.inspection?.blockCount != analysis.grouping.blockCount
                || state.inspectedKey != key {
                return [.inspect(key, block: state.inspectBlock)]
            }
            return []
        case .inspected(let key, let inspection):
            guard key == state.currentKey else { return [] }
            state.inspection = inspection
            state.inspectedKey = key
            state.inspectBlock = inspection.index
            return []
        case .blockFound(let key, let block, let reason):
            guard key == state.currentKey else { return [] }
            state.inspectBlock = block
            state.status = "block \(block): \(reason)"
            return [.inspect(key, block: block)]
        case .sweepProgress(let tensor, let done, let total, let estimate):
            guard tensor == state.openTensor else { return [] }
            state.sweepProgress = SweepProgress(done: done, total: total, estimate: estimate)
            return []
        case .swept(let r):
            guard r.tensor == state.openTensor else { return [] }
            state.sweep = r
            state.sweepSelection = r.sortedRows.firstIndex { $0.config == state.config } ?? 0
            // A sample's sweep stays up, labelled, while the exact one runs.
            state.deepBusy = r.isEstimate
            if !r.isEstimate { state.sweepProgress = nil }
            return []
        case .int8Studied(let study):
            guard study.weight == state.openTensor else { return [] }
            state.int8 = study
            state.deepBusy = false
            return []
        case .isolated(let r):
            guard r.key == state.currentKey else { return [] }
            state.isolation = r
            state.deepBusy = false
            return []
        case .exported(let message):
            state.status = message
            return []
        case .deepFailed(let message):
            state.deepBusy = false
            state.status = message
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
            switch key {
            case .escape, .char("?"), .function(1), .char("q"): s.showHelp = false
            case .down, .char("j"): s.helpScroll = min(s.helpScroll + 1, Keymap.bindings.count - 1)
            case .up, .char("k"): s.helpScroll = max(0, s.helpScroll - 1)
            case .pageDown: s.helpScroll = min(s.helpScroll + 10, Keymap.bindings.count - 1)
            case .pageUp: s.helpScroll = max(0, s.helpScroll - 10)
            default: break
            }
            return []
        }
        guard let action = Keymap.action(for: key, in: s.deepView) else { return [] }
        s.status = ""
        if let handled = StoredEntry.handle(action, &s) { return handled }
        if let view = s.deepView, let handled = handleInView(view, action, &s) { return handled }
        switch action {
        case .quit: s.quit = true
        case .help: s.showHelp = true; s.helpScroll = 0
        case .close:
            if s.deepView != nil {
                s.deepView = nil
                // Leaving a view stops the computation it was waiting for.
                if s.deepBusy {
                    s.deepBusy = false
                    s.sweepProgress = nil
                    return [.cancelDeep]
                }
            } else if !s.filter.isEmpty { s.filter = ""; s.selection = 0 }
        case .show(let view): return show(view, &s)
        case .previousBlock, .nextBlock, .worstBlock, .maxBlock: break
        case .filter: s.filtering = true; s.focus = .tensors
        case .export: return [.export(ViewExport.of(s))]
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
            if let a = s.analysis {
                s.pin = Pin(analysis: a)
                s.status = "pinned \(a.label)"
            }
        case .open:
            guard let t = s.selectedTensor else { return [] }
            guard t.isFloatConvertible else {
                s.status = "\(t.name) has dtype \(t.dtype), which cannot be read as numbers"
                return []
            }
            guard t.count > 0 else { s.status = "\(t.name) is empty"; return [] }
            s.openTensor = t.name
            StoredEntry.opened(&s)
            s.analysis = nil
            s.sweep = nil
            s.int8 = nil
            s.isolation = nil
            s.inspection = nil
            s.inspectBlock = 0
            return request(&s)
        case .nextDtype, .previousDtype:
            return StoredEntry.cycle(&s, forward: action == .nextDtype)
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
    /// The isolation view follows the configuration, so it asks for its own curve too.
    static func request(_ s: inout WorkbenchState) -> [Command] {
        guard let key = s.currentKey else { return [] }
        s.generation += 1
        s.busy = true
        s.analysisProgress = 0
        var commands: [Command] = [.analyze(key, generation: s.generation)]
        if s.deepView == .isolation, s.isolation?.key != key {
            s.deepBusy = true
            commands.append(.isolate(key))
        }
        if s.deepView == .inspector {
            commands.append(.inspect(key, block: s.inspectBlock))
        }
        return commands
    }

    /// Opens a deep-dive view, asking for what it needs that is not there yet.
    static func show(_ view: DeepView, _ s: inout WorkbenchState) -> [Command] {
        guard let tensor = s.openTensor, let a = s.analysis else {
            s.status = "open a tensor first (Enter), then \(view.title)"
            return []
        }
        switch view {
        case .inspector:
            s.inspectBlock = min(s.inspectBlock, max(0, a.grouping.blockCount - 1))
            s.deepView = view
            guard let key = s.currentKey else { return [] }
            return [.inspect(key, block: s.inspectBlock)]
        case .comparison:
            guard s.pin != nil else {
                s.status = "pin a configuration first (p), change it, then a compares the two"
                return []
            }
        case .sweep:
            s.deepView = view
            if s.sweep?.tensor != tensor || s.sweep?.isEstimate == true {
                s.deepBusy = true
                s.sweepProgress = nil
                return [.sweep(tensor: tensor)]
            }
            s.sweepSelection = s.sweep?.sortedRows.firstIndex { $0.config == s.config } ?? s.sweepSelection
            return []
        case .int8:
            guard let info = s.tensors.first(where: { $0.name == tensor }) else { return [] }
            guard let source = ActivationSource.match(for: info, among: s.activationCandidates) else {
                s.status = info.shape.count == 2
                    ? "no activation tensor with \(info.shape[1]) columns to pair with \(tensor) (qscope FILE --activations FILE)"
                    : "LLM.int8() needs a 2-D weight [out, in]; \(tensor) has shape \(NumberFormat.shape(info.shape))"
                return []
            }
            s.deepView = view
            if s.int8?.weight != tensor { s.deepBusy = true; return [.int8(weight: tensor, activations: source)] }
            return []
        case .isolation:
            s.deepView = view
            if let key = s.currentKey, s.isolation?.key != key { s.deepBusy = true; return [.isolate(key)] }
            return []
        case .explanation:
            s.explainScroll = 0
        }
        s.deepView = view
        return []
    }

    /// Keys that mean something particular inside a view; nil lets the panes' meaning apply.
    static func handleInView(_ view: DeepView, _ action: Action, _ s: inout WorkbenchState) -> [Command]? {
        switch (view, action) {
        case (.inspector, .previousBlock), (.inspector, .nextBlock):
            let n = s.analysis?.grouping.blockCount ?? 1
            s.inspectBlock = action == .previousBlock ? max(0, s.inspectBlock - 1) : min(max(0, n - 1), s.inspectBlock + 1)
            guard let key = s.currentKey else { return [] }
            return [.inspect(key, block: s.inspectBlock)]
        case (.inspector, .worstBlock), (.inspector, .maxBlock):
            guard let key = s.currentKey, (s.analysis?.count ?? 0) > 0 else { return [] }
            s.status = action == .worstBlock ? "looking for the block with the largest squared error…" : "looking for the largest |x|…"
            return [.findBlock(key, worst: action == .worstBlock)]
        case (.sweep, .moveUp):
            s.sweepSelection = max(0, s.sweepSelection - 1)
        case (.sweep, .moveDown):
            s.sweepSelection = min(max(0, (s.sweep?.sweep.rows.count ?? 1) - 1), s.sweepSelection + 1)
        case (.sweep, .pageUp):
            s.sweepSelection = max(0, s.sweepSelection - 10)
        case (.sweep, .pageDown):
            s.sweepSelection = min(max(0, (s.sweep?.sweep.rows.count ?? 1) - 1), s.sweepSelection + 10)
        case (.sweep, .open):
            guard let rows = s.sweep?.sortedRows, rows.indices.contains(s.sweepSelection) else { return [] }
            let c = rows[s.sweepSelection].config
            s.storedView = false
            s.dtype = c.dtype
            if c.dtype.fixedBlock == nil && c.dtype.hasCodes { s.userBlock = c.block }
            s.doubleQuant = c.doubleQuant
            s.deepView = nil
            s.status = "now \(c.description)"
            return request(&s)
        case (.explanation, .moveUp):
            s.explainScroll = max(0, s.explainScroll - 1)
        case (.explanation, .moveDown):
            s.explainScroll += 1
        case (.explanation, .pageUp):
            s.explainScroll = max(0, s.explainScroll - 10)
        case (.explanation, .pageDown):
            s.explainScroll += 10
        case (.int8, .raiseThreshold), (.int8, .lowerThreshold):
            let ts = Int8Study.thresholds
            let i = ts.firstIndex { $0 >= s.int8Threshold } ?? ts.count - 1
            s.int8Threshold = ts[action == .raiseThreshold ? min(ts.count - 1, i + 1) : max(0, i - 1)]
        default:
            return nil
        }
        return []
    }
}
