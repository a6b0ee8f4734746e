import Foundation
import Synchronization
import QuantCore
import TensorCore
import TensorIO

/// `qscope scan`'s work: every floating-point tensor of a file under one configuration, one tensor
/// after another, each streamed from the file on every core; memory stays bounded whatever the file.
///
/// The caller hears progress after every chunk (`Progress`) and may stop the scan two ways: `stop`
/// after the tensor in hand, or `cancellation` at once; either way the rows so far come back.
public struct ScanRunner: Sendable {
    public var catalog: any TensorCatalog
    public var config: QuantConfig
    public var options: AnalysisOptions

    public init(catalog: any TensorCatalog, config: QuantConfig, options: AnalysisOptions) {
        self.catalog = catalog
        self.config = config
        self.options = options
    }

    /// What a scan found, and whether it ran to the end.
    public struct Outcome: Sendable {
        public var rows: [ScanRow] = []
        public var skipped: [(name: String, reason: String)] = []
        public var interrupted = false
    }

    /// Where a scan is, for a progress line.
    public struct Status: Sendable {
        /// The tensor being analysed (1-based) and how many there are.
        public var index: Int
        public var tensors: Int
        public var name: String
        /// Bytes of the file analysed so far (whole tensors, plus the done fraction of the current one).
        public var bytesDone: Double
        public var bytesTotal: Int
    }

    /// Runs the scan. `status` is called from the calling thread every ~100 ms and after each tensor.
    public func run(stop: @escaping @Sendable () -> Bool, cancellation: Cancellation,
                    status: @escaping (Status) -> Void = { _ in }) throws -> Outcome {
        var out = Outcome()
        let tensors = catalog.tensors
        let total = tensors.reduce(0) { $0 + $1.byteCount }
        var done = 0
        for (i, info) in tensors.enumerated() {
            defer { done += info.byteCount }
            if stop() || cancellation.isCancelled { out.interrupted = true; break }
            guard info.isFloatConvertible else { out.skipped.append((info.name, "dtype \(info.dtype) is not numeric")); continue }
            guard info.count > 0 else { out.skipped.append((info.name, "empty")); continue }
            guard !info.isInteger else { out.skipped.append((info.name, "integer tensor (\(info.dtype))")); continue }
            let reader: any TensorReader
            do { reader = try catalog.reader(info.name) } catch { throw error }
            let progress = Progress()
            // The analysis runs on a worker; this thread reports progress until it lands.
            let result = runReportingProgress({ [config, options] in
                try Analyzer.analyze(reader, config: config, options: options, cancellation: cancellation, progress: progress)
            }, tick: {
                status(Status(index: i + 1, tensors: tensors.count, name: info.name,
                              bytesDone: Double(done) + progress.fraction * Double(info.byteCount), bytesTotal: total))
            })
            switch result {
            case .success(let a):
                out.rows.append(ScanRow(name: info.name, shape: info.shape, sourceDType: info.dtype, count: info.count,
                                        metrics: a.metrics, outlierColumns: a.outliers.columns.count))
            case .failure(is CancellationError):
                out.interrupted = true
                return out
            case .failure(let e as TensorFileError):
                throw e
            case .failure(let e):
                out.skipped.append((info.name, "\(e)"))
            }
            status(Status(index: i + 1, tensors: tensors.count, name: info.name, bytesDone: Double(done + info.byteCount), bytesTotal: total))
        }
        return out
    }
}

/// Runs `work` on a thread of its own (with a stack large enough for the engine's passes) while the
/// calling thread calls `tick` every 100 ms until it lands, so that a batch command reports progress
/// while one long tensor is measured.
func runReportingProgress<T: Sendable>(_ work: @escaping @Sendable () throws -> T, tick: () -> Void) -> Result<T, Error> {
    let finished = DispatchSemaphore(value: 0)
    let box = Mutex<Result<T, Error>?>(nil)
    let worker = Thread {
        let r = Result { try work() }
        box.withLock { $0 = r }
        finished.signal()
    }
    worker.stackSize = 1 << 22
    worker.start()
    while finished.wait(timeout: .now() + .milliseconds(100)) != .success { tick() }
    return box.withLock { $0 }!
}
