import Foundation

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
