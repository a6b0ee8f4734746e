import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Terminal

/// Runs the workbench: the terminal loop, background analysis, the cache.
///
/// The UI thread only draws, reads keys and applies messages. Analyses run on a
/// background queue and come back as messages tagged with the generation they
/// were started for, so a stale result is dropped and the old figures stay on
/// screen (with a spinner) until the new ones land.
public final class WorkbenchApp: @unchecked Sendable {
    private let file: TensorFile
    private var state: WorkbenchState
    private let worker = DispatchQueue(label: "qscope.analysis", qos: .userInitiated)
    /// The deep-dive computations (sweeps, studies, isolation) run here, so that they never hold up
    /// the analysis the panes are waiting for.
    private let deepWorker = DispatchQueue(label: "qscope.deep", qos: .utility)
    /// Files the activation tensors of the LLM.int8() view come from, other than the open one.
    private var companions: [String: TensorFile] = [:]
    private let lock = NSLock()
    private var inbox: [Message] = []
    private var cache: [AnalysisKey: Analysis] = [:]
    /// Cache keys, oldest first; the cache keeps the newest `cacheLimit` analyses, and no more than
    /// `cacheBytes` of them (each holds codes and dequantized values: 5 bytes an element), so that a
    /// large tensor cannot fill the memory with configurations the user has left.
    private var cacheOrder: [AnalysisKey] = []
    private let cacheLimit = 24
    private let cacheBytes = 1 << 30
    private var tensors: [String: Tensor] = [:]
    private var latestRequested = 0
    /// Histogram bins: enough for a wide pane.
    public static let bins = 160

    public init(file: TensorFile, state: WorkbenchState) {
        self.file = file
        self.state = state
    }

    /// Runs until the user quits or a signal arrives; the terminal is restored on return.
    public func run() throws(TerminalError) {
        let screen = try Screen.start()
        defer { screen.stop() }
        let size = screen.size
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
                screen.draw(WorkbenchView.render(state))
                dirty = false
                let drawn = FrameTimer.now
                timer?.frame(at: drawn, generation: state.generation, figuresCurrent: !state.busy)
                timer?.busy(drawn - start)
            }
            // While a result is on its way, wake up often so that it is drawn as soon as it lands.
            let event = screen.nextEvent(timeoutMilliseconds: state.busy || state.deepBusy ? 5 : 40)
            start = FrameTimer.now
            if event != nil { dirty = true }
            switch event {
            case .key(let k):
                execute(Update.apply(.key(k), to: &state))
                timer?.key(k.label, at: start, generation: state.generation)
            case .resize(let w, let h):
                screen.invalidate()
                _ = Update.apply(.resize(width: w, height: h), to: &state)
            case .interrupted: state.quit = true
            case nil: break
            }
            for m in drainInbox() {
                execute(Update.apply(m, to: &state))
                dirty = true
            }
            if Date().timeIntervalSince(lastTick) > 0.08 {
                lastTick = Date()
                // The spinner turns only while something runs.
                if state.busy || state.deepBusy { dirty = true }
                _ = Update.apply(.tick, to: &state)
            }
            timer?.busy(FrameTimer.now - start)
        }
    }

    private func drainInbox() -> [Message] {
        lock.lock()
        defer { lock.unlock() }
        let m = inbox
        inbox.removeAll()
        return m
    }

    private func post(_ m: Message) {
        lock.lock()
        inbox.append(m)
        lock.unlock()
    }

    private func execute(_ commands: [Command]) {
        for command in commands {
            switch command {
            case .analyze(let key, let generation): analyze(key, generation: generation)
            case .sweep, .int8, .isolate: deep(command)
            }
        }
    }

    /// Runs a deep-dive computation in the background; its result comes back as a message.
    private func deep(_ command: Command) {
        deepWorker.async { [self] in
            do {
                switch command {
                case .sweep(let name):
                    let t = try tensorNamed(name)
                    let sweep = try Sweep.run(t, configurations: Sweep.addingDoubleQuant(
                        Sweep.configurations(datatypes: Sweep.defaultDatatypes, blocks: Sweep.defaultBlocks)))
                    post(.swept(SweepResult(tensor: name, sweep: sweep)))
                case .int8(let weight, let source):
                    let w = try tensorNamed(weight)
                    let a = try activations(source)
                    let label = source.file == file.path ? source.info.name : "\(URL(fileURLWithPath: source.file).lastPathComponent) ▸ \(source.info.name)"
                    post(.int8Studied(try Int8Study.run(weight: w, activations: a, activationsLabel: label)))
                case .isolate(let key):
                    let t = try tensorNamed(key.tensor)
                    post(.isolated(try IsolationResult.run(t, key: key)))
                case .analyze:
                    break
                }
            } catch {
                post(.deepFailed("\(error)"))
            }
        }
    }

    /// Loads an activation tensor from the open file or a companion file.
    private func activations(_ source: ActivationSource) throws -> Tensor {
        if source.file == file.path { return try file.load(source.info.name) }
        lock.lock()
        let known = companions[source.file]
        lock.unlock()
        let f = try known ?? TensorFile.open(source.file)
        lock.lock()
        companions[source.file] = f
        lock.unlock()
        return try f.load(source.info.name)
    }

    private func analyze(_ key: AnalysisKey, generation: Int) {
        lock.lock()
        let cached = cache[key]
        lock.unlock()
        if let hit = cached {
            execute(Update.apply(.analyzed(generation: generation, key: key, analysis: hit), to: &state))
            return
        }
        lock.lock()
        latestRequested = generation
        lock.unlock()
        worker.async { [self] in
            // A request overtaken by a newer one before it started is skipped.
            lock.lock()
            let stale = generation != latestRequested
            lock.unlock()
            if stale { return }
            do {
                let tensor = try tensorNamed(key.tensor)
                let a = try Analyzer.analyze(tensor, config: key.config, options: AnalysisOptions(bins: Self.bins))
                remember(a, for: key)
                post(.analyzed(generation: generation, key: key, analysis: a))
            } catch {
                post(.failed(generation: generation, message: "\(error)"))
            }
        }
    }

    /// Caches `a`, dropping the oldest analyses past `cacheLimit` or `cacheBytes`; the newest always
    /// stays (the screen shows it).
    private func remember(_ a: Analysis, for key: AnalysisKey) {
        lock.lock()
        defer { lock.unlock() }
        cache[key] = a
        cacheOrder.append(key)
        func bytes(_ k: AnalysisKey) -> Int { (cache[k]?.count ?? 0) * 5 } // codes and dequantized values
        var held = cacheOrder.reduce(0) { $0 + bytes($1) }
        while cacheOrder.count > 1 && (cacheOrder.count > cacheLimit || held > cacheBytes) {
            let old = cacheOrder.removeFirst()
            held -= bytes(old)
            cache[old] = nil
        }
    }

    /// Loads (once) a tensor; both worker queues call it, so the cache is under the lock.
    private func tensorNamed(_ name: String) throws -> Tensor {
        lock.lock()
        let known = tensors[name]
        lock.unlock()
        if let known { return known }
        let t = try file.load(name)
        lock.lock()
        tensors = [name: t] // keep one tensor in memory
        lock.unlock()
        return t
    }
}
