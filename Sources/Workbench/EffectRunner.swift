import Foundation
import QuantCore
import Reports
import Synchronization
import TensorCore
import TensorIO

/// The one interpreter of `Command`s: the live app starts them in the background, the tests and the
/// benchmark run them to completion on the calling thread — the same jobs either way, so what the
/// tests see is what the app does.
///
/// Analyses run on one queue, deep-dive computations (sweep, studies) on another, block inspection on
/// a third, so that none of them holds up the others. A new analysis cancels the one before it (holding
/// `d` never queues work); leaving a view cancels its computation. Every result, a cache hit included,
/// comes back as a message.
public final class EffectRunner: Sendable {
    public let service: AnalysisService
    private let analysisQueue = DispatchQueue(label: "qscope.analysis", qos: .userInitiated)
    private let deepQueue = DispatchQueue(label: "qscope.deep", qos: .utility)
    private let inspectQueue = DispatchQueue(label: "qscope.inspect", qos: .userInitiated)

    public init(service: AnalysisService) {
        self.service = service
    }

    /// Starts `commands` in the background; their messages go to `deliver`, from worker threads.
    public func start(_ commands: [Command], deliver: @escaping @Sendable (Message) -> Void) {
        for command in commands {
            switch command {
            case .analyze(_, let generation):
                let token = service.beginAnalysis(generation: generation)
                analysisQueue.async { [self] in
                    // A request overtaken by a newer one before it started is skipped.
                    guard !token.isCancelled else { return }
                    run(command, cancellation: token, emit: deliver)
                }
            case .sweep, .int8, .isolate:
                let token = service.beginDeep()
                deepQueue.async { [self] in
                    guard !token.isCancelled else { return }
                    run(command, cancellation: token, emit: deliver)
                }
            case .inspect, .findBlock:
                let token = service.beginInspection()
                inspectQueue.async { [self] in
                    guard !token.isCancelled else { return }
                    run(command, cancellation: token, emit: deliver)
                }
            case .cancelDeep:
                service.cancelDeep()
            case .export(let e):
                DispatchQueue.global(qos: .utility).async { deliver(.exported(e.writeAndReport())) }
            }
        }
    }

    /// Runs `commands` to completion here and returns their messages in order; the caller applies them
    /// to its state (and performs whatever commands that returns) itself.
    public func perform(_ commands: [Command]) -> [Message] {
        let box = Mutex<[Message]>([])
        for command in commands {
            if case .cancelDeep = command { continue }
            run(command, cancellation: Cancellation()) { m in box.withLock { $0.append(m) } }
        }
        return box.withLock { $0 }
    }

    /// How far the current analysis has come (0…1), for the loop's progress line.
    public var analysisProgress: Double { service.analysisProgress }

    /// One command's job.
    private func run(_ command: Command, cancellation: Cancellation, emit: @Sendable (Message) -> Void) {
        do {
            switch command {
            case .analyze(let key, let generation):
                do {
                    try service.analyze(key, cancellation: cancellation) { a in emit(.analyzed(generation: generation, key: key, analysis: a)) }
                } catch is CancellationError {
                    return
                } catch {
                    emit(.failed(generation: generation, message: "\(error)"))
                }
                return
            case .sweep(let tensor):
                try service.sweep(tensor, cancellation: cancellation, emit: emit)
            case .int8(let weight, let source):
                emit(.int8Studied(try service.int8Study(weight: weight, source: source)))
            case .isolate(let key):
                emit(.isolated(try service.isolation(key, cancellation: cancellation)))
            case .inspect(let key, let block):
                emit(.inspected(key: key, inspection: try service.inspect(key, block: block, cancellation: cancellation)))
            case .findBlock(let key, let worst):
                let b = try service.findBlock(key, worst: worst, cancellation: cancellation)
                emit(.blockFound(key: key, block: b, reason: worst ? "the largest squared error" : "holds the largest |x|"))
            case .cancelDeep:
                break
            case .export(let e):
                emit(.exported(e.writeAndReport()))
            }
        } catch is CancellationError {
            return
        } catch {
            emit(.deepFailed("\(error)"))
        }
    }
}

/// The workbench's tensors and what it knows of them: readers straight from the open file (and the
/// companion activation files), each tensor's profile, a cache of analyses (figures only, never
/// tensors), and the cancellation tokens of the work in flight.
public final class AnalysisService: Sendable {
    public let file: any TensorCatalog
    public let options: AnalysisOptions
    /// Tensors larger than this get an estimate from a sample first.
    public let estimateAbove: Int
    /// About how many values the estimate reads.
    public let sampleValues: Int
    /// What the sweep view measures.
    public let sweepConfigurations: [QuantConfig]
    /// The file the open one was quantized from (`--original`), for the stored figures' error.
    public let original: OriginalSource?

    private struct Store {
        var cache: [AnalysisKey: Analysis] = [:]
        var order: [AnalysisKey] = []
        var profiles: [String: TensorProfile] = [:]
        var companions: [String: TensorFile] = [:]
        var inspector: (key: AnalysisKey, inspector: BlockInspector)?
        var analysisToken: Cancellation?
        var deepToken: Cancellation?
        var inspectToken: Cancellation?
        var progress: QuantCore.Progress?
    }

    private let store = Mutex(Store())
    /// The cache keeps this many analyses (figures only: a few KiB each).
    private let cacheLimit = 256

    public init(file: any TensorCatalog, options: AnalysisOptions = AnalysisOptions(bins: AnalysisService.bins),
                estimateAbove: Int = 8 << 20, sampleValues: Int = 4 << 20,
                sweepConfigurations: [QuantConfig] = Sweep.addingDoubleQuant(
                    Sweep.configurations(datatypes: Sweep.defaultDatatypes, blocks: Sweep.defaultBlocks)),
                original: OriginalSource? = nil) {
        self.file = file
        self.original = original
        self.sweepConfigurations = sweepConfigurations
        self.options = options
        self.estimateAbove = estimateAbove
        self.sampleValues = sampleValues
    }

    /// Histogram bins: enough for a wide pane.
    public static let bins = 160

    func beginAnalysis(generation: Int) -> Cancellation { begin(\.analysisToken) }
    func beginDeep() -> Cancellation { begin(\.deepToken) }
    func beginInspection() -> Cancellation { begin(\.inspectToken) }

    /// A fresh token for one kind of work, cancelling the one it replaces: a new request of a kind
    /// makes the running one stale.
    private func begin(_ slot: WritableKeyPath<Store, Cancellation?>) -> Cancellation {
        let token = Cancellation()
        store.withLock { s in
            s[keyPath: slot]?.cancel()
            s[keyPath: slot] = token
        }
        return token
    }

    func cancelDeep() { store.withLock { $0.deepToken?.cancel() } }

    var analysisProgress: Double { store.withLock { $0.progress?.fraction ?? 0 } }

    /// A reader of tensor `name` of the open file.
    func reader(_ name: String) throws -> any TensorReader { try file.reader(name) }

    /// Analyses `key`, handing `deliver` an estimate first when the tensor is large, then the exact
    /// figures (from the cache when they are there).
    func analyze(_ key: AnalysisKey, cancellation: Cancellation, deliver: (Analysis) -> Void) throws {
        if let hit = store.withLock({ $0.cache[key] }) {
            deliver(hit)
            return
        }
        let reader = try reader(key.tensor)
        let progress = QuantCore.Progress()
        store.withLock { $0.progress = progress }
        if key.stored {
            let a = try storedAnalysis(key, reader: reader, cancellation: cancellation, progress: progress)
            remember(a, for: key)
            deliver(a)
            return
        }
        if reader.info.count > estimateAbove {
            deliver(try Analyzer.analyze(reader, config: key.config, options: options, sampleValues: sampleValues,
                                         cancellation: cancellation))
        }
        // The first analysis of a tensor profiles it in its own first pass; later ones reuse that profile.
        let known = store.withLock { $0.profiles[key.tensor] }
        let a = try Analyzer.analyze(reader, config: key.config, options: options, profile: known,
                                     cancellation: cancellation, progress: progress)
        if known == nil {
            store.withLock { $0.profiles[key.tensor] = TensorProfile(of: a) }
        }
        remember(a, for: key)
        deliver(a)
    }

    /// The figures of the file's own quantization of the tensor, against its original when `--original`
    /// has one that fits (else without error figures). The analysis carries the key's configuration:
    /// the one `d` leaves the stored entry for.
    private func storedAnalysis(_ key: AnalysisKey, reader: any TensorReader, cancellation: Cancellation,
                                progress: QuantCore.Progress) throws -> Analysis {
        let source = try? original?.reader(for: key.tensor, quantized: file)
        var a = try StoredAnalysis.analyze(reader, original: source?.reader, originalLabel: source?.label, options: options,
                                           cancellation: cancellation, progress: progress)
        a.config = key.config
        return a
    }

    private func remember(_ a: Analysis, for key: AnalysisKey) {
        store.withLock { s in
            if s.cache[key] == nil { s.order.append(key) }
            s.cache[key] = a
            while s.order.count > cacheLimit { s.cache[s.order.removeFirst()] = nil }
        }
    }

    /// Every datatype × block, with and without double quantization: on a sample first when the
    /// tensor is large (labelled), then on every value; rows are reported as they land.
    func sweep(_ tensor: String, cancellation: Cancellation, emit: (Message) -> Void) throws {
        let reader = try reader(tensor)
        let configurations = sweepConfigurations
        let passes: [Int?] = reader.info.count > estimateAbove ? [sampleValues, nil] : [nil]
        for sample in passes {
            let sweep = try Sweep.run(reader, configurations: configurations, threads: options.threads, sampleValues: sample,
                                      cancellation: cancellation) { done, total in
                emit(.sweepProgress(tensor: tensor, done: done, total: total, estimate: sample != nil))
            }
            emit(.swept(SweepResult(tensor: tensor, sweep: sweep, isEstimate: sample != nil)))
        }
    }

    /// The LLM.int8() study of a weight against activations (both read whole: weights of up to
    /// `Int8Study.maxValues` values).
    func int8Study(weight: String, source: ActivationSource) throws -> Int8Study {
        let r = try reader(weight)
        guard r.info.count <= Int8Study.maxValues else {
            throw StudyError.tooLarge(what: "the LLM.int8() study", count: r.info.count, limit: Int8Study.maxValues)
        }
        let w = r.materialize()
        let a = try activations(source)
        let label = source.file == file.path ? source.info.name : "\(URL(fileURLWithPath: source.file).lastPathComponent) ▸ \(source.info.name)"
        return try Int8Study.run(weight: w, activations: a, activationsLabel: label)
    }

    /// Loads an activation tensor from the open file or a companion file.
    private func activations(_ source: ActivationSource) throws -> Tensor {
        if source.file == file.path { return try file.reader(source.info.name).materialize() }
        if let f = store.withLock({ $0.companions[source.file] }) { return try f.load(source.info.name) }
        let f = try TensorFile.open(source.file)
        store.withLock { $0.companions[source.file] = f }
        return try f.load(source.info.name)
    }

    /// Outlier isolation of the tensor (on evenly spread rows of it when it is large).
    func isolation(_ key: AnalysisKey, cancellation: Cancellation) throws -> IsolationResult {
        let r = try reader(key.tensor)
        let t = IsolationResult.sampleRows(r, limit: IsolationResult.maxValues)
        return try IsolationResult.run(t, key: key, rowsOf: r.info.count == t.count ? nil : r.info.shape)
    }

    /// Block `block` of the tensor under the key's configuration; the inspector's preparation (double
    /// quantization's absmax, column statistics) is kept while the key stays the same.
    func inspect(_ key: AnalysisKey, block: Int, cancellation: Cancellation) throws -> BlockInspection {
        try inspector(key, cancellation: cancellation).inspect(block: block)
    }

    func findBlock(_ key: AnalysisKey, worst: Bool, cancellation: Cancellation) throws -> Int {
        try inspector(key, cancellation: cancellation).resolve(worst ? .worst : .max, cancellation: cancellation)
    }

    private func inspector(_ key: AnalysisKey, cancellation: Cancellation) throws -> BlockInspector {
        if let i = store.withLock({ $0.inspector }), i.key == key { return i.inspector }
        let i = try BlockInspector(try reader(key.tensor), config: key.config, threads: options.threads, cancellation: cancellation)
        store.withLock { $0.inspector = (key, i) }
        return i
    }
}

/// A study refused for its size.
public enum StudyError: Error, CustomStringConvertible, Sendable {
    case tooLarge(what: String, count: Int, limit: Int)

    public var description: String {
        switch self {
        case .tooLarge(let what, let count, let limit):
            "\(what) reads the whole tensor: \(count) values is more than the \(limit) it takes; open a smaller layer"
        }
    }
}
