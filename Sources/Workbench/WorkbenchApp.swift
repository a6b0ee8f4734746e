import Foundation
import QuantCore
import Reports
import Synchronization
import TUI
import TensorCore
import TensorIO
import Terminal

/// Runs the workbench: the loop that reads keys, applies messages and draws frames.
///
/// The UI thread only draws, reads keys and applies messages; every command goes to the
/// `EffectRunner`, whose results come back through the inbox as messages tagged with the generation
/// they were started for, so a stale result is dropped and the figures on screen stay (labelled with
/// their own configuration, the pending one after an arrow) until the new ones land.
public final class WorkbenchApp: Sendable {
    private let runner: EffectRunner
    private let inbox = Inbox()
    private let initial: WorkbenchState

    public init(file: any TensorCatalog, state: WorkbenchState, original: OriginalSource? = nil) {
        runner = EffectRunner(service: AnalysisService(file: file, original: original))
        initial = state
    }

    /// Runs on the curses screen until the user quits or a signal arrives; the terminal is restored on return.
    public func run() throws(TerminalError) {
        let screen = try Screen.start()
        defer { screen.stop() }
        run(on: screen)
    }

    /// Runs the loop on any terminal backend (a scripted one in tests); returns the final state.
    @discardableResult
    public func run(on terminal: TerminalBackend) -> WorkbenchState {
        var state = initial
        let size = terminal.size
        state.width = size.width
        state.height = size.height
        if state.openTensor != nil { execute(Update.request(&state)) }
        var lastTick = Date()
        let timer = FrameTimer()
        defer { timer?.write() }
        // A frame is rendered only when something changed: while an analysis runs on both cores, a
        // redraw every 5 ms would take a fifth of one of them.
        var dirty = true
        while !state.quit {
            var start = FrameTimer.now
            if dirty {
                terminal.draw(WorkbenchView.render(state))
                dirty = false
                let drawn = FrameTimer.now
                let shown = state.analysis.map { state.currentKey == AnalysisKey(tensor: $0.tensorName, config: $0.config, stored: $0.stored != nil) } ?? false
                timer?.frame(at: drawn, generation: state.generation, figuresShown: shown, figuresCurrent: shown && !state.busy,
                             deepCurrent: !state.deepBusy)
                timer?.busy(drawn - start)
            }
            // While a result is on its way, wake up often so that it is drawn as soon as it lands.
            let event = terminal.nextEvent(timeoutMilliseconds: state.busy || state.deepBusy ? 5 : 40)
            start = FrameTimer.now
            if event != nil { dirty = true }
            switch event {
            case .key(let k):
                execute(Update.apply(.key(k), to: &state))
                timer?.key(k.label, at: start, generation: state.generation, deep: state.deepBusy)
            case .resize(let w, let h):
                terminal.invalidate()
                _ = Update.apply(.resize(width: w, height: h), to: &state)
            case .interrupted: state.quit = true
            case nil: break
            }
            for m in inbox.drain() {
                execute(Update.apply(m, to: &state))
                dirty = true
            }
            if Date().timeIntervalSince(lastTick) > 0.08 {
                lastTick = Date()
                // The spinner turns, and the progress moves, only while something runs.
                if state.busy || state.deepBusy {
                    dirty = true
                    if state.busy { _ = Update.apply(.progress(generation: state.generation, fraction: runner.analysisProgress), to: &state) }
                }
                _ = Update.apply(.tick, to: &state)
            }
            timer?.busy(FrameTimer.now - start)
        }
        return state
    }

    private func execute(_ commands: [Command]) {
        guard !commands.isEmpty else { return }
        runner.start(commands) { [inbox] m in inbox.post(m) }
    }
}

/// Messages from worker threads, waiting for the loop.
final class Inbox: Sendable {
    private let messages = Mutex<[Message]>([])

    func post(_ m: Message) { messages.withLock { $0.append(m) } }

    /// Every message so far, oldest first; the inbox is left empty.
    func drain() -> [Message] { messages.withLock { box in defer { box.removeAll() }; return box } }
}
