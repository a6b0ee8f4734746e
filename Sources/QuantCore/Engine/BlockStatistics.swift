import TensorCore

/// Per-block absmax, minimum and maximum over the finite values.
///
/// NaN and ±Inf are skipped (CUDA's `fmaxf` ignores NaN the same way), so one
/// non-finite element does not wipe out its whole block.
public struct BlockStatistics: Sendable {
    public var absmax: [Float]
    /// Empty when only the absmax was kept (double quantization of blocks that lie inside chunks).
    public var minimum: [Float]
    public var maximum: [Float]
    /// Which blocks a sampled pass visited (empty: every block).
    var visited: [Bool] = []

    public init(absmax: [Float], minimum: [Float], maximum: [Float]) {
        self.absmax = absmax
        self.minimum = minimum
        self.maximum = maximum
    }

    /// Computes the statistics of every block of `grouping` over `values`.
    public static func compute(_ values: UnsafeBufferPointer<Float>, grouping: Grouping,
                               threads: Int = Parallel.defaultThreads) -> BlockStatistics {
        let n = grouping.blockCount
        var absmax = [Float](repeating: 0, count: n)
        var minimum = [Float](repeating: 0, count: n)
        var maximum = [Float](repeating: 0, count: n)
        guard n > 0, let base = values.baseAddress else { return BlockStatistics(absmax: absmax, minimum: minimum, maximum: maximum) }
        let src = SharedPointer(base)
        absmax.withUnsafeMutableBufferPointer { a in
            minimum.withUnsafeMutableBufferPointer { mn in
                maximum.withUnsafeMutableBufferPointer { mx in
                    let pa = SharedMutablePointer(a.baseAddress!)
                    let pmn = SharedMutablePointer(mn.baseAddress!)
                    let pmx = SharedMutablePointer(mx.baseAddress!)
                    Parallel.forEachChunk(count: n, threads: threads, minimumPerChunk: 16) { range in
                        for b in range {
                            let (start, length, stride) = grouping.extent(ofBlock: b)
                            let (lo, hi) = extremes(src.base + start, length: length, stride: stride)
                            pmn.base[b] = lo
                            pmx.base[b] = hi
                            pa.base[b] = Swift.max(-lo, hi)
                        }
                    }
                }
            }
        }
        return BlockStatistics(absmax: absmax, minimum: minimum, maximum: maximum)
    }

    /// What a statistics pass gathers: every block's statistics (when kept) and the values sampled
    /// for a fitted table, each divided by its block's absmax, in flat order.
    struct Pass {
        var blocks: BlockStatistics?
        var sample: [Float]
    }

    /// The statistics of every block of `plan`'s grouping over the chunks it visits, read from
    /// `reader`: absmax always; minimum and maximum too when blocks span chunks (columns, the tensor),
    /// where the main pass cannot measure them itself. With `sampleStep`, also every `sampleStep`-th
    /// value of the tensor divided by its block absmax (the quantile codes' fit).
    static func compute(_ reader: any TensorReader, plan: ChunkPlan, sampleStep: Int?, keepBlocks: Bool, threads: Int,
                        cancellation: Cancellation) throws -> Pass {
        let g = plan.grouping
        let n = g.blockCount
        let spans = plan.blocksSpanChunks
        let chunks = plan.chunks
        let sampling = plan.isSample
        // Blocks inside chunks are each measured by one worker: their absmax goes straight into one
        // shared array. Columns and the tensor are measured in parts by every worker, merged at the end.
        var absmax = [Float](repeating: 0, count: keepBlocks ? n : 0)
        var visited = [Bool](repeating: false, count: keepBlocks && sampling ? n : 0)
        let states = try absmax.withUnsafeMutableBufferPointer { ab in
            try visited.withUnsafeMutableBufferPointer { vb in
                let shared = UncheckedBox((ab.baseAddress.map(SharedMutablePointer.init), vb.baseAddress.map(SharedMutablePointer.init)))
                return try Parallel.dynamic(count: chunks.count, threads: threads, cancellation: cancellation, makeState: {
                    StatisticsState(minimum: keepBlocks && spans ? [Float](repeating: .infinity, count: n) : [],
                          maximum: keepBlocks && spans ? [Float](repeating: -.infinity, count: n) : [],
                          buffer: ChunkBuffers(capacity: plan.length))
                }) { s, item in
                    let range = plan.range(chunks[item])
                    let x = s.buffer.load(reader, range)
                    var local: [Float] = []
                    var firstBlock = -1
                    plan.forEachBlock(in: range) { b, off, count, stride in
                        let (lo, hi) = BlockStatistics.extremes(x + off, length: count, stride: stride)
                        if spans {
                            if keepBlocks && count > 0 {
                                s.minimum[b] = Swift.min(s.minimum[b], lo); s.maximum[b] = Swift.max(s.maximum[b], hi)
                            }
                        } else {
                            if firstBlock < 0 { firstBlock = b }
                            local.append(Swift.max(-lo, hi))
                            if keepBlocks { shared.value.0!.base[b] = Swift.max(-lo, hi) }
                        }
                        if keepBlocks && sampling { shared.value.1!.base[b] = true }
                    }
                    guard let step = sampleStep, !spans else { return }
                    // The sampled elements are those whose flat index is a multiple of the step.
                    var sample: [Float] = []
                    var i = ((range.lowerBound + step - 1) / step) * step
                    while i < range.upperBound {
                        let v = x[i - range.lowerBound]
                        if v.isFinite {
                            let a = local[g.blockIndex(ofElement: i) - firstBlock]
                            sample.append(a > 0 ? v * (1 / a) : 0)
                        }
                        i += step
                    }
                    s.samples[item] = sample
                }
            }
        }
        var blocks: BlockStatistics? = nil
        if keepBlocks {
            var minimum: [Float] = [], maximum: [Float] = []
            if spans {
                minimum = [Float](repeating: .infinity, count: n)
                maximum = [Float](repeating: -.infinity, count: n)
                for st in states {
                    for b in 0..<n { minimum[b] = Swift.min(minimum[b], st.minimum[b]); maximum[b] = Swift.max(maximum[b], st.maximum[b]) }
                }
                for b in 0..<n {
                    if minimum[b] > maximum[b] { minimum[b] = 0; maximum[b] = 0 }
                    absmax[b] = Swift.max(-minimum[b], maximum[b])
                }
            }
            var bs = BlockStatistics(absmax: absmax, minimum: minimum, maximum: maximum)
            bs.visited = visited
            blocks = bs
        }
        var sample: [Float] = []
        if let step = sampleStep {
            if spans {
                // Columns and the tensor: a block's absmax is known only now; sample in a second read.
                var a = blocks?.absmax ?? []
                if blocks == nil {
                    a = try compute(reader, plan: plan, sampleStep: nil, keepBlocks: true, threads: threads,
                                    cancellation: cancellation).blocks?.absmax ?? []
                }
                sample = try samplePass(reader, plan: plan, step: step, absmax: a, threads: threads, cancellation: cancellation)
            } else {
                var merged: [Int: [Float]] = [:]
                for st in states { merged.merge(st.samples) { a, _ in a } }
                for k in 0..<chunks.count { sample += merged[k] ?? [] }
            }
        }
        for st in states { st.buffer.release() }
        return Pass(blocks: blocks, sample: sample)
    }

    /// Every `step`-th value divided by its block's absmax, for groupings whose absmax is known only
    /// after a whole pass.
    private static func samplePass(_ reader: any TensorReader, plan: ChunkPlan, step: Int, absmax: [Float], threads: Int,
                                   cancellation: Cancellation) throws -> [Float] {
        let g = plan.grouping
        let chunks = plan.chunks
        let states = try Parallel.dynamic(count: chunks.count, threads: threads, cancellation: cancellation,
                                          makeState: { StatisticsState(minimum: [], maximum: [], buffer: ChunkBuffers(capacity: plan.length)) }) { s, item in
            let range = plan.range(chunks[item])
            let x = s.buffer.load(reader, range)
            var out: [Float] = []
            var i = ((range.lowerBound + step - 1) / step) * step
            while i < range.upperBound {
                let v = x[i - range.lowerBound]
                if v.isFinite {
                    let a = absmax[g.blockIndex(ofElement: i)]
                    out.append(a > 0 ? v * (1 / a) : 0)
                }
                i += step
            }
            s.samples[item] = out
        }
        var merged: [Int: [Float]] = [:]
        for st in states { merged.merge(st.samples) { a, _ in a }; st.buffer.release() }
        var sample: [Float] = []
        for k in 0..<chunks.count { sample += merged[k] ?? [] }
        return sample
    }

    /// The smallest and largest finite value of one block (0 and 0 when it has none); the block's
    /// absmax is `max(−lo, hi)`.
    @inline(__always)
    static func extremes(_ p: UnsafePointer<Float>, length: Int, stride: Int) -> (lo: Float, hi: Float) {
        if stride == 1, let e = SIMDKernels.finiteExtremes(p, count: length) { return e }
        var lo = Float.infinity
        var hi = -Float.infinity
        var q = p
        for _ in 0..<length {
            let x = q.pointee
            if x.isFinite {
                lo = Swift.min(lo, x)
                hi = Swift.max(hi, x)
            }
            q += stride
        }
        if lo > hi { lo = 0; hi = 0 }
        return (lo, hi)
    }
}

/// What a worker of a statistics pass keeps: the column or tensor extremes it saw, and its samples by chunk.
struct StatisticsState {
    var minimum: [Float], maximum: [Float]
    var samples: [Int: [Float]] = [:]
    let buffer: ChunkBuffers
}
