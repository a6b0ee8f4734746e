import Foundation
import Synchronization

/// Splits index ranges across cores.
///
/// The engine's passes are independent per block, so each pass divides its
/// blocks into a few contiguous chunks per worker and runs them with
/// `DispatchQueue.concurrentPerform`, which blocks until all are done.
public enum Parallel {
    /// Workers used when a caller does not say (the machine's active cores).
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Calls `body` with disjoint subranges covering `0..<count`, concurrently when worthwhile.
    ///
    /// - Parameters:
    ///   - count: number of items (blocks).
    ///   - threads: worker count; 1 runs inline.
    ///   - minimumPerChunk: below this many items per chunk the work is not split further.
    public static func forEachChunk(count: Int, threads: Int = defaultThreads, minimumPerChunk: Int = 1,
                                    _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, threads)
        let chunks = min(max(1, count / max(1, minimumPerChunk)), workers == 1 ? 1 : workers * 4)
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let per = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * per
            let hi = min(count, lo + per)
            if lo < hi { body(lo..<hi) }
        }
    }
}

/// A raw pointer that may be shared with worker threads that write disjoint parts of it.
///
/// The engine guarantees disjointness by block ranges; this wrapper only states it to the compiler.
@usableFromInline
struct SharedMutablePointer<T>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<T>
    @usableFromInline init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

/// A read-only pointer shared with worker threads.
@usableFromInline
struct SharedPointer<T>: @unchecked Sendable {
    @usableFromInline let base: UnsafePointer<T>
    @usableFromInline init(_ base: UnsafePointer<T>) { self.base = base }
}

extension Parallel {
    /// Runs `body` over disjoint subranges of `0..<count` and returns each chunk's result in order.
    ///
    /// Reductions (sums, counts, histograms) accumulate per chunk and are merged by the caller,
    /// so no two threads ever write the same accumulator.
    public static func mapChunks<T: Sendable>(count: Int, threads: Int = defaultThreads, minimumPerChunk: Int = 1,
                                              _ body: @Sendable (Range<Int>) -> T) -> [T] {
        guard count > 0 else { return [] }
        let workers = max(1, threads)
        let chunks = min(max(1, count / max(1, minimumPerChunk)), workers == 1 ? 1 : workers * 4)
        if chunks <= 1 { return [body(0..<count)] }
        let per = (count + chunks - 1) / chunks
        let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: chunks)
        slots.initialize(repeating: nil)
        defer { slots.deinitialize(); slots.deallocate() }
        let shared = SharedMutablePointer(slots.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * per
            let hi = min(count, lo + per)
            if lo < hi { shared.base[c] = body(lo..<hi) }
        }
        return slots.compactMap { $0 }
    }
}

/// A flag a long job checks between chunks: set it (from any thread) and the job stops at its next
/// chunk boundary and throws `CancellationError`.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Asks the work to stop.
    public func cancel() { flag.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    /// A token that is never cancelled.
    public static let never = Cancellation()
}

/// Progress of a long job: chunks done out of a total, readable from any thread.
public final class Progress: Sendable {
    private let done = Atomic<Int>(0)
    private let totalCount = Atomic<Int>(0)

    public init() {}

    public var completed: Int { done.load(ordering: .relaxed) }
    public var total: Int { totalCount.load(ordering: .relaxed) }

    /// The fraction done, 0…1 (0 before the job knows its size).
    public var fraction: Double {
        let t = total
        return t > 0 ? min(1, Double(completed) / Double(t)) : 0
    }

    func add(total n: Int) { totalCount.add(n, ordering: .relaxed) }
    func step(_ n: Int = 1) { done.add(n, ordering: .relaxed) }
}

extension Parallel {
    /// Runs `body(state, item)` for every item of `0..<count` with dynamic scheduling: each worker
    /// takes the next item when it finishes one, so uneven items (cache misses, page faults, the
    /// other process on the core) never leave a core idle. Each worker makes its own `state` once
    /// (scratch buffers, accumulators) and the states come back for the caller to merge.
    ///
    /// Cancellation is checked before every item; a cancelled run throws `CancellationError` after
    /// the items already started have finished.
    public static func dynamic<State>(count: Int, threads: Int = defaultThreads, cancellation: Cancellation = .never,
                                      progress: Progress? = nil,
                                      makeState: @Sendable () -> State,
                                      _ body: @Sendable (inout State, Int) -> Void) throws -> [State] {
        guard count > 0 else { return [] }
        let workers = max(1, min(threads, count))
        let next = Counter()
        let slots = UnsafeMutableBufferPointer<State?>.allocate(capacity: workers)
        slots.initialize(repeating: nil)
        defer { slots.deinitialize(); slots.deallocate() }
        let shared = SharedMutablePointer(slots.baseAddress!)
        @Sendable func work(_ w: Int) {
            var state = makeState()
            while !cancellation.isCancelled {
                let item = next.value.add(1, ordering: .relaxed).oldValue
                if item >= count { break }
                body(&state, item)
                progress?.step()
            }
            shared.base[w] = state
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers) { work($0) } }
        if cancellation.isCancelled { throw CancellationError() }
        return slots.compactMap { $0 }
    }
}

/// An atomic counter that closures can share.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Runs work that was given no cancellation token (so cannot be cancelled), keeping only its
/// configuration errors: the in-memory entry points of the streaming engine.
func uncancellable<T>(_ what: String, _ body: () throws -> T) throws(QuantError) -> T {
    do {
        return try body()
    } catch let e as QuantError {
        throw e
    } catch {
        preconditionFailure("\(what) with no cancellation failed: \(error)")
    }
}
