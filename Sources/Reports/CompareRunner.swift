import Foundation
import QuantCore
import TensorCore
import TensorIO

/// One tensor compared: the original's name, the quantized file's, and the error of the one against the other.
public struct CompareRow: Sendable {
    public var name: String
    public var quantizedName: String
    public var shape: [Int]
    public var originalDType: String
    public var quantizedDType: String
    public var rule: TensorMatching.Pair.Rule
    /// The heads by which llama.cpp's Q/K row permutation was undone, if it was.
    public var unpermutedHeads: Int?
    public var totals: ComparisonTotals

    public var count: Int { totals.count }
    public var metrics: ErrorMetrics { totals.metrics }
}

/// A matched pair that cannot be compared value by value (shapes differ, or the permutation cannot be undone).
public struct CompareMismatch: Sendable, Equatable {
    public var name: String
    public var quantizedName: String
    public var originalShape: [Int]
    public var quantizedShape: [Int]
    public var reason: String
}

/// `qscope compare`'s work: every matched pair, one after another, each streamed from both files on
/// every core; memory stays bounded whatever the files.
///
/// As `scan`: the caller hears progress after every chunk and may stop after the pair in hand (`stop`)
/// or at once (`cancellation`); the rows so far come back either way.
public struct CompareRunner: Sendable {
    public var original: any TensorCatalog
    public var quantized: any TensorCatalog
    public var matching: TensorMatching
    public var threads: Int

    public init(original: any TensorCatalog, quantized: any TensorCatalog, matching: TensorMatching,
                threads: Int = Parallel.defaultThreads) {
        self.original = original
        self.quantized = quantized
        self.matching = matching
        self.threads = threads
    }

    public struct Outcome: Sendable {
        public var rows: [CompareRow] = []
        public var mismatched: [CompareMismatch] = []
        public var skipped: [(name: String, reason: String)] = []
        public var interrupted = false

        /// Every row's sums pooled: the file's own SQNR, error and bits per parameter.
        public var total: ComparisonTotals {
            rows.reduce(into: ComparisonTotals()) { $0.merge($1.totals) }
        }
    }

    /// Where a comparison is, for a progress line.
    public struct Status: Sendable {
        public var index: Int
        public var pairs: Int
        public var name: String
        /// Values compared so far (whole pairs, plus the done fraction of the current one).
        public var valuesDone: Double
        public var valuesTotal: Int
    }

    /// Compares every pair. `status` is called from the calling thread every ~100 ms and after each pair.
    public func run(stop: @escaping @Sendable () -> Bool = { false }, cancellation: Cancellation = Cancellation(),
                    status: @escaping (Status) -> Void = { _ in }) throws -> Outcome {
        var out = Outcome()
        let pairs = matching.pairs
        let total = pairs.reduce(0) { $0 + ($1.original.shape == $1.quantized.shape ? $1.original.count : 0) }
        var done = 0
        for (i, p) in pairs.enumerated() {
            if stop() || cancellation.isCancelled { out.interrupted = true; break }
            let o = p.original, q = p.quantized
            func mismatch(_ reason: String) {
                out.mismatched.append(CompareMismatch(name: o.name, quantizedName: q.name, originalShape: o.shape,
                                                      quantizedShape: q.shape, reason: reason))
            }
            if let obstacle = p.obstacle { mismatch(obstacle); continue }
            guard o.isFloatConvertible else { out.skipped.append((o.name, "dtype \(o.dtype) in the original is not numeric")); continue }
            guard q.isFloatConvertible else { out.skipped.append((o.name, "dtype \(q.dtype) in the quantized file is not numeric")); continue }
            guard o.count > 0 else { out.skipped.append((o.name, "empty")); continue }
            guard let (originalReader, quantizedReader) = try p.alignedReaders(original: original, quantized: quantized) else {
                mismatch("\(o.shape.first ?? 1) rows do not split into \(p.unpermute?.heads ?? 0) heads of an even number of rows, so llama.cpp's Q/K row permutation cannot be undone")
                continue
            }
            let progress = Progress()
            let (a, b, threads) = (originalReader, quantizedReader, threads)
            let result = runReportingProgress({
                try Comparison.measure(original: a, quantized: b, threads: threads, cancellation: cancellation, progress: progress)
            }, tick: {
                status(Status(index: i + 1, pairs: pairs.count, name: o.name,
                              valuesDone: Double(done) + progress.fraction * Double(o.count), valuesTotal: total))
            })
            switch result {
            case .success(let t):
                out.rows.append(CompareRow(name: o.name, quantizedName: q.name, shape: o.shape, originalDType: o.dtype,
                                           quantizedDType: q.dtype, rule: p.rule, unpermutedHeads: p.unpermute?.heads, totals: t))
            case .failure(is CancellationError):
                out.interrupted = true
                return out
            case .failure(let e):
                throw e
            }
            done += o.count
            status(Status(index: i + 1, pairs: pairs.count, name: o.name, valuesDone: Double(done), valuesTotal: total))
        }
        return out
    }
}
