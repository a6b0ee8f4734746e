import TensorCore

/// The error of one tensor against another of the same shape: a quantized file's tensor against the
/// tensor it was made from (`qscope compare`, the workbench's stored view).
///
/// Both tensors stream through their readers chunk by chunk on every core — never two whole tensors
/// in memory — and the float64 sums of each chunk are merged in chunk order, so the figures do not
/// depend on the threads or the chunk size. The metrics are `ErrorMetrics`' (docs/ARCHITECTURE.md),
/// with `x` the original and `x̂` the quantized values; `bits_per_param` and `bytes` are what the
/// quantized tensor takes in its file (`TensorInfo.byteCount`). Elements whose original is not finite
/// are left out and counted in `excluded`.
public enum Comparison {
    /// Measures `quantized` against `original`.
    ///
    /// - Throws: `ComparisonError` when the two do not hold the same number of values,
    ///   `CancellationError` when `cancellation` was set.
    public static func measure(original: any TensorReader, quantized: any TensorReader, threads: Int = Parallel.defaultThreads,
                               chunkValues: Int = 1 << 16, cancellation: Cancellation = .never,
                               progress: Progress? = nil) throws -> ComparisonTotals {
        let n = original.info.count
        guard quantized.info.count == n else {
            throw ComparisonError.countMismatch(original: original.info.count, quantized: quantized.info.count)
        }
        let length = chunkLength(chunkValues, original.granularity, quantized.granularity)
        let chunks = n == 0 ? 0 : (n + length - 1) / length
        let perChunk = UnsafeMutableBufferPointer<ErrorMetrics.Sums>.allocate(capacity: Swift.max(1, chunks))
        perChunk.initialize(repeating: ErrorMetrics.Sums())
        defer { perChunk.deallocate() }
        let slots = SharedMutablePointer(perChunk.baseAddress!)
        progress?.add(total: chunks)
        struct Worker {
            let x: UnsafeMutablePointer<Float>
            let y: UnsafeMutablePointer<Float>
            var excluded = 0
        }
        let workers = try Parallel.dynamic(count: chunks, threads: threads, cancellation: cancellation, progress: progress,
                                           makeState: { Worker(x: .allocate(capacity: length), y: .allocate(capacity: length)) }) { w, k in
            let lo = k * length, hi = Swift.min(n, lo + length)
            original.read(lo..<hi, into: UnsafeMutableBufferPointer(start: w.x, count: hi - lo))
            quantized.read(lo..<hi, into: UnsafeMutableBufferPointer(start: w.y, count: hi - lo))
            var s = ErrorMetrics.Sums()
            w.excluded += accumulate(x: w.x, y: w.y, count: hi - lo, into: &s)
            slots.base[k] = s
        }
        var totals = ComparisonTotals()
        for w in workers {
            totals.excluded += w.excluded
            w.x.deallocate()
            w.y.deallocate()
        }
        for k in 0..<chunks { totals.sums.merge(perChunk[k]) }
        totals.count = n
        totals.bytes = quantized.info.byteCount
        return totals
    }

    /// A chunk of about `target` values that starts every chunk on a block of either reader.
    static func chunkLength(_ target: Int, _ a: Int, _ b: Int) -> Int {
        let unit = lcm(Swift.max(1, a), Swift.max(1, b))
        return Swift.max(unit, (Swift.max(1, target) / unit) * unit)
    }

    static func lcm(_ a: Int, _ b: Int) -> Int {
        var (p, q) = (a, b)
        while q != 0 { (p, q) = (q, p % q) }
        let l = a / p * b
        return l > 0 && l <= 1 << 20 ? l : Swift.max(a, b)
    }

    /// Adds `x̂ − x` of `count` pairs to `s`; returns how many were left out (a non-finite `x`).
    /// Runs of finite originals go four at a time in float64 lanes, as the analysis does.
    static func accumulate(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int, into s: inout ErrorMetrics.Sums) -> Int {
        let run = 4096
        var excluded = 0
        var i = 0
        while i < count {
            let m = Swift.min(run, count - i)
            let xs = x + i, ys = y + i
            if SIMDKernels.allFinite(xs, count: m) {
                let (b, mx) = FusedAccumulator.finiteSums(x: xs, y: ys, count: m & ~3)
                if b.sy2.isFinite && mx.isFinite {
                    s.sx2 += b.sx2; s.sy2 += b.sy2; s.sxy += b.sxy; s.se2 += b.se2; s.sae += b.sae
                    if !(mx <= s.maxErr) { s.maxErr = mx }
                    s.n += m & ~3
                    scalar(xs + (m & ~3), ys + (m & ~3), m - (m & ~3), &s, &excluded)
                } else {
                    scalar(xs, ys, m, &s, &excluded)
                }
            } else {
                scalar(xs, ys, m, &s, &excluded)
            }
            i += m
        }
        return excluded
    }

    /// The plain loop, with `ErrorMetrics`' rules for what is left out and how NaN and ∞ propagate.
    @inline(__always)
    static func scalar(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int, _ s: inout ErrorMetrics.Sums, _ excluded: inout Int) {
        for k in 0..<count {
            let xv = x[k]
            guard xv.isFinite else { excluded += 1; continue }
            let xd = Double(xv), yd = Double(y[k])
            let e = yd - xd
            s.sx2 += xd * xd; s.sy2 += yd * yd; s.sxy += xd * yd
            s.se2 += e * e; s.sae += abs(e)
            if !(abs(e) <= s.maxErr) { s.maxErr = abs(e) }
            s.n += 1
        }
    }
}

/// The sums of one comparison, or of several merged (a whole file's figure).
public struct ComparisonTotals: Sendable {
    var sums = ErrorMetrics.Sums()
    /// Values compared, the excluded ones included.
    public internal(set) var count = 0
    /// Bytes of the quantized tensors in their file.
    public internal(set) var bytes = 0
    /// Values left out because the original was not finite.
    public internal(set) var excluded = 0

    public init() {}

    /// Adds another comparison's sums (a file's total: the pooled SQNR of every tensor compared).
    public mutating func merge(_ o: ComparisonTotals) {
        sums.merge(o.sums)
        count += o.count
        bytes += o.bytes
        excluded += o.excluded
    }

    /// The metrics; `bits_per_param` = bytes × 8 ÷ values; no codes (`codes_used` 0, entropy 0).
    public var metrics: ErrorMetrics {
        ErrorMetrics(sums: sums, excluded: excluded, bitsPerParam: count == 0 ? 0 : Double(bytes) * 8 / Double(count),
                     bytes: bytes, usage: [])
    }
}

/// Two tensors that cannot be compared value by value.
public enum ComparisonError: Error, Sendable, Equatable, CustomStringConvertible {
    case countMismatch(original: Int, quantized: Int)

    public var description: String {
        switch self {
        case .countMismatch(let a, let b): "the original holds \(a) values and the quantized tensor \(b)"
        }
    }
}
