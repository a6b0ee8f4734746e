import TensorCore

/// A format's entry points into the engine, specialised for the format's concrete codec when the
/// registry builds them (one closure per pass, like a row of ggml's `type_traits` function pointers).
struct FormatEngine: Sendable {
    let prepare: @Sendable (_ reader: any TensorReader, _ config: QuantConfig, _ profile: TensorProfile, _ plan: ChunkPlan,
                            _ threads: Int, _ cancellation: Cancellation) throws -> any PreparedFormat

    init<F: QuantFormat>(_ format: F) {
        prepare = { reader, config, profile, plan, threads, cancellation in
            try Prepared<F>.make(format, reader: reader, config: config, profile: profile, plan: plan,
                                 threads: threads, cancellation: cancellation)
        }
    }
}

/// A format made ready for one tensor, behind a protocol so that callers need not know its type;
/// every pass it runs is generic over the concrete format, and so specialised.
protocol PreparedFormat: Sendable {
    var config: QuantConfig { get }
    var plan: ChunkPlan { get }
    var codebook: Codebook { get }
    var fittedTable: [Float]? { get }
    var tensorScale: Float? { get }
    var storedBits: Int { get }
    var doubleQuant: DoubleQuantState? { get }

    /// Pass C: quantize every chunk of the plan and measure it (error sums, code usage, value histogram,
    /// the range of the normalised values).
    func measure(_ reader: any TensorReader, valueRange: (Float, Float)?, bins: Int, allFinite: Bool, threads: Int,
                 cancellation: Cancellation, progress: Progress?) throws -> MeasurePass
    /// Pass D: quantize again and count the normalised and error histograms over the ranges pass C found.
    func histograms(_ reader: any TensorReader, normalized: Histogram, error: Histogram, allFinite: Bool, threads: Int,
                    cancellation: Cancellation, progress: Progress?) throws -> (Histogram, Histogram)
    /// Every code, decoded value and block scale in memory: for small tensors (tests, `quantize`).
    func materialize(_ reader: any TensorReader, threads: Int) throws -> QuantizedTensor
    /// One block laid open.
    func inspect(_ reader: any TensorReader, block: Int) -> BlockInspection
    /// The block with the largest sum of squared errors.
    func worstBlock(_ reader: any TensorReader, threads: Int, cancellation: Cancellation) throws -> Int
}

/// What pass C measured.
struct MeasurePass {
    var sums = ErrorMetrics.Sums()
    var excluded = 0
    var usage: [Int]
    var values: [Int]
    /// The smallest and largest normalised value (x ÷ scale + zero) of any block's extremes.
    var normalizedLow = Float.infinity
    var normalizedHigh = -Float.infinity
    /// The block with the largest absmax (the first on a tie) and its scale and zero point: where the
    /// raw-domain histogram draws the code levels.
    var peak = PeakBlock()
}

/// The block with the largest absmax seen so far.
struct PeakBlock {
    var block = -1
    var absmax: Float = -1
    var side = BlockSide(scale: 1)

    mutating func offer(_ b: Int, _ a: Float, _ s: BlockSide) {
        if a > absmax || (a == absmax && b < block) { block = b; absmax = a; side = s }
    }

    mutating func merge(_ o: PeakBlock) { if o.block >= 0 { offer(o.block, o.absmax, o.side) } }
}

/// A format prepared for one tensor under one configuration: its codebook and codec, and the
/// statistics some configurations need before the first block (every block's absmax for double
/// quantization, each column's for column blocks, the fitted table of the quantile codes).
struct Prepared<F: QuantFormat>: PreparedFormat {
    let format: F
    let config: QuantConfig
    let plan: ChunkPlan
    let codebook: Codebook
    let codec: F.Codec
    let fittedTable: [Float]?
    let tensorScale: Float?
    let storedBits: Int
    /// Per-block statistics when a block's own chunk cannot give them (column and tensor blocks), or
    /// the absmax of every block when double quantization needs them all first.
    let blockStats: BlockStatistics?
    let doubleQuant: DoubleQuantState?

    var grouping: Grouping { plan.grouping }

    static func make(_ format: F, reader: any TensorReader, config: QuantConfig, profile: TensorProfile, plan: ChunkPlan,
                     threads: Int, cancellation: Cancellation) throws -> Prepared<F> {
        let traits = format.traits
        let g = plan.grouping
        let dq = config.doubleQuant && traits.supportsDoubleQuant && g.blockCount > 0
        var blockStats: BlockStatistics? = nil
        var fitted: [Float]? = nil
        if plan.blocksSpanChunks || dq || traits.fitsTable != nil {
            let pass = try BlockStatistics.compute(reader, plan: plan, sampleStep: traits.fitsTable != nil ? QuantileTable.step(plan) : nil,
                                                   keepBlocks: plan.blocksSpanChunks || dq, threads: threads,
                                                   cancellation: cancellation)
            blockStats = pass.blocks
            if let k = traits.fitsTable { fitted = QuantileTable.fit(sample: pass.sample, codes: k) }
        }
        var state: DoubleQuantState? = nil
        if dq, let s = blockStats {
            // A sample compresses only the absmax of the blocks it visited, as if they were the tensor.
            state = plan.isSample ? DoubleQuantState.compress(s.absmax, visited: s.visited) : DoubleQuantState.compress(s.absmax)
        }
        let amax = Float(profile.stats.absmax)
        let codebook = format.codebook(fitted: fitted)
        let codec = format.codec(codebook: codebook, tensorAbsmax: amax.isFinite ? amax : 0)
        let bits = format.storedBits(count: g.count, blocks: g.blockCount, doubleQuantBits: state?.storedBits)
        return Prepared(format: format, config: config, plan: plan, codebook: codebook, codec: codec, fittedTable: fitted,
                        tensorScale: traits.needsTensorAbsmax ? (amax > 0 ? amax / (6 * 448) : 1) : nil,
                        storedBits: bits, blockStats: blockStats, doubleQuant: state)
    }

    /// The statistic of block `b`, whose `count` values at `x` (step `stride`) a chunk holds.
    @inline(__always)
    func statistic(_ b: Int, _ x: UnsafePointer<Float>, _ count: Int, _ stride: Int) -> BlockStatistic {
        if let s = blockStats, !s.minimum.isEmpty {
            return BlockStatistic(minimum: s.minimum[b], maximum: s.maximum[b], absmax: s.absmax[b],
                                  decodeAbsmax: doubleQuant?.dequantizedAbsmax[b] ?? s.absmax[b])
        }
        let (lo, hi) = BlockStatistics.extremes(x, length: count, stride: stride)
        var st = BlockStatistic(minimum: lo, maximum: hi)
        if let d = doubleQuant { st.decodeAbsmax = d.dequantizedAbsmax[b] }
        return st
    }

    /// Runs `body` for every encoded block of every chunk of the plan, with a worker state made by
    /// `makeState`; `chunkDone` closes each chunk (per-chunk results are kept by chunk, so that float
    /// sums merge in the same order on every run).
    func encodeChunks<S>(_ reader: any TensorReader, threads: Int, cancellation: Cancellation, progress: Progress?,
                         makeState: @escaping @Sendable () -> S,
                         block body: @escaping (inout S, ChunkBuffers, _ chunkStart: Int, _ block: Int, _ offset: Int, _ count: Int,
                                                _ stride: Int, BlockStatistic, BlockSide) -> Void,
                         chunkDone: @escaping (inout S, _ item: Int) -> Void = { _, _ in }) throws -> [S] {
        let plan = self.plan
        let chunks = plan.chunks
        let box = UncheckedBox((body, chunkDone))
        progress?.add(total: chunks.count)
        let workers = try Parallel.dynamic(count: chunks.count, threads: threads, cancellation: cancellation, progress: progress,
                                           makeState: { ChunkWorker(state: makeState(), buffers: ChunkBuffers(capacity: plan.length)) }) { w, item in
            let range = plan.range(chunks[item])
            let buf = w.buffers
            buf.read(reader, range)
            plan.forEachBlock(in: range) { b, off, count, stride in
                let x = UnsafePointer(buf.x + off)
                let st = statistic(b, x, count, stride)
                let side = codec.encode(x, count: count, stride: stride, statistic: st,
                                        codes: buf.codes + off, decoded: buf.decoded + off)
                box.value.0(&w.state, buf, range.lowerBound, b, off, count, stride, st, side)
            }
            box.value.1(&w.state, item)
        }
        return workers.map { $0.buffers.release(); return $0.state }
    }

    func measure(_ reader: any TensorReader, valueRange: (Float, Float)?, bins: Int, allFinite: Bool, threads: Int,
                 cancellation: Cancellation, progress: Progress?) throws -> MeasurePass {
        let hasCodes = format.traits.hasCodes
        let slots = hasCodes ? 256 : 65536
        let joint = hasCodes && format.traits.family != .ggml && format.traits.bitsPerCode <= 4 && bins <= 256 ? 16 : 0
        let (lower, upper) = valueRange ?? (0, 0)
        let hist = Histogram.empty(lower: Double(lower), upper: Double(upper), bins: bins)
        let vLower = Float(hist.lower)
        let vMult = Float(Double(bins) / (hist.upper - hist.lower))
        let codec = self.codec
        let states = try encodeChunks(reader, threads: threads, cancellation: cancellation, progress: progress,
                                      makeState: { MeasureState(acc: FusedAccumulator(codes: slots, bins: bins, jointCodes: joint)) },
                                      block: { s, buf, _, b, off, count, stride, st, side in
            let view = BlockView(block: b, start: off, length: count, stride: stride, x: UnsafePointer(buf.x),
                                 dequantized: UnsafePointer(buf.decoded), codes: hasCodes ? UnsafePointer(buf.codes) : nil,
                                 scale: side.scale, zero: side.zero)
            s.acc.sums = s.chunk
            s.acc.add(view, codec: codec, lower: vLower, mult: vMult, allFinite: allFinite)
            s.chunk = s.acc.sums
            if st.minimum <= st.maximum {
                let lo = st.minimum / side.scale + side.zero, hi = st.maximum / side.scale + side.zero
                s.low = Swift.min(s.low, lo); s.high = Swift.max(s.high, hi)
            }
            s.peak.offer(b, st.absmax, side)
        }, chunkDone: { s, item in
            s.byChunk[item] = s.chunk
            s.chunk = ErrorMetrics.Sums()
        })
        var out = MeasurePass(usage: [Int](repeating: 0, count: slots), values: [Int](repeating: 0, count: bins))
        var byChunk: [Int: ErrorMetrics.Sums] = [:]
        for var s in states {
            s.acc.flush()
            out.excluded += s.acc.excluded
            for copy in 0..<4 {
                for i in 0..<slots { out.usage[i] += s.acc.usage[copy * slots + i] }
                for k in 0..<bins { out.values[k] += s.acc.values[copy * bins + k] }
            }
            out.normalizedLow = Swift.min(out.normalizedLow, s.low)
            out.normalizedHigh = Swift.max(out.normalizedHigh, s.high)
            out.peak.merge(s.peak)
            byChunk.merge(s.byChunk) { a, _ in a }
        }
        for k in 0..<plan.chunks.count { if let c = byChunk[k] { out.sums.merge(c) } }
        return out
    }

    func histograms(_ reader: any TensorReader, normalized: Histogram, error: Histogram, allFinite: Bool, threads: Int,
                    cancellation: Cancellation, progress: Progress?) throws -> (Histogram, Histogram) {
        let bins = normalized.counts.count, eb = error.counts.count
        let nLo = normalized.lower, nHi = normalized.upper, eLo = error.lower, eHi = error.upper
        let jointOK = allFinite && bins * eb <= 8192
        let states = try encodeChunks(reader, threads: threads, cancellation: cancellation, progress: progress,
                                      makeState: {
            let n = BinCounter(lower: nLo, upper: nHi, bins: bins), e = BinCounter(lower: eLo, upper: eHi, bins: eb)
            return HistogramState(n: n, e: e, joint: jointOK ? JointCounter(normalized: n, error: e) : nil)
        }, block: { s, buf, _, b, off, count, stride, st, side in
            let x = UnsafePointer(buf.x + off), y = UnsafePointer(buf.decoded + off)
            let inverse = 1 / side.scale
            if let j = s.joint, stride == 1 {
                j.add(x: x, y: y, count: count, inverse: inverse, zero: side.zero)
                return
            }
            var i = 0
            for k in 0..<count {
                let xv = x[i]
                if xv.isFinite {
                    s.n.addClamped(xv * inverse + side.zero, copy: k & 3)
                    s.e.addClamped(y[i] - xv, copy: k & 3)
                }
                i += stride
            }
        })
        var nh = normalized, eh = error
        for s in states {
            if let j = s.joint {
                let (nc, ec) = j.counts()
                for k in 0..<bins { nh.counts[k] += nc[k] }
                for k in 0..<eb { eh.counts[k] += ec[k] }
                j.release()
            }
            let nc = s.n.merged(), ec = s.e.merged()
            for k in 0..<bins { nh.counts[k] += nc[k] }
            for k in 0..<eb { eh.counts[k] += ec[k] }
            s.n.release(); s.e.release()
        }
        return (nh, eh)
    }

    func materialize(_ reader: any TensorReader, threads: Int) throws -> QuantizedTensor {
        let g = grouping
        let n = g.count, blocks = g.blockCount
        let traits = format.traits
        let codes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Swift.max(1, n))
        let deq = UnsafeMutableBufferPointer<Float>.allocate(capacity: Swift.max(1, n))
        var side = [BlockSide](repeating: BlockSide(scale: 1), count: blocks)
        var stats = BlockStatistics(absmax: [Float](repeating: 0, count: blocks), minimum: [Float](repeating: 0, count: blocks),
                                    maximum: [Float](repeating: 0, count: blocks))
        defer { codes.deallocate(); deq.deallocate() }
        let out = UncheckedBox((SharedMutablePointer(codes.baseAddress!), SharedMutablePointer(deq.baseAddress!)))
        try side.withUnsafeMutableBufferPointer { sb in
            try stats.absmax.withUnsafeMutableBufferPointer { ab in
            try stats.minimum.withUnsafeMutableBufferPointer { mnb in
            try stats.maximum.withUnsafeMutableBufferPointer { mxb in
                let sides = SharedMutablePointer(sb.baseAddress!), a = SharedMutablePointer(ab.baseAddress!)
                let mn = SharedMutablePointer(mnb.baseAddress!), mx = SharedMutablePointer(mxb.baseAddress!)
                _ = try encodeChunks(reader, threads: threads, cancellation: .never, progress: nil, makeState: { 0 },
                                     block: { _, buf, chunkStart, b, off, count, stride, st, s in
                    sides.base[b] = s
                    a.base[b] = st.absmax; mn.base[b] = st.minimum; mx.base[b] = st.maximum
                    var i = off, j = 0
                    let base = chunkStart + off
                    while j < count {
                        out.value.0.base[base + j * stride] = buf.codes[i]
                        out.value.1.base[base + j * stride] = buf.decoded[i]
                        i += stride; j += 1
                    }
                })
            }}}
        }
        let zeros = traits.hasZeroPoint ? side.map(\.zero) : []
        return QuantizedTensor(config: config, grouping: g, codebook: codebook,
                               codes: traits.hasCodes ? Array(codes.prefix(n)) : [], dequantized: Array(deq.prefix(n)),
                               absmax: stats.absmax, blockMinimum: stats.minimum, blockMaximum: stats.maximum,
                               normScale: side.map(\.scale), zeroPoints: zeros,
                               sharedExponents: traits.layout == .sharedExponent ? side.map(\.byte) : [],
                               blockScaleCodes: traits.layout == .blockAndTensorScale ? side.map(\.byte) : [],
                               tensorScale: tensorScale, doubleQuant: doubleQuant, storedBits: storedBits)
    }

    func inspect(_ reader: any TensorReader, block b: Int) -> BlockInspection {
        let g = grouping
        let (start, count, stride) = g.extent(ofBlock: b)
        var xs = [Float](repeating: 0, count: count)
        xs.withUnsafeMutableBufferPointer { out in
            if stride == 1 {
                reader.read(start..<(start + count), into: out)
            } else {
                var one: Float = 0
                for j in 0..<count {
                    withUnsafeMutablePointer(to: &one) { reader.read((start + j * stride)..<(start + j * stride + 1), into: .init(start: $0, count: 1)) }
                    out[j] = one
                }
            }
        }
        var codes = [UInt8](repeating: 0, count: count)
        var deq = [Float](repeating: 0, count: count)
        let (st, side) = xs.withUnsafeBufferPointer { x -> (BlockStatistic, BlockSide) in
            let st = statistic(b, x.baseAddress!, count, 1)
            let side = codes.withUnsafeMutableBufferPointer { c in
                deq.withUnsafeMutableBufferPointer { d in
                    codec.encode(x.baseAddress!, count: count, stride: 1, statistic: st, codes: c.baseAddress!, decoded: d.baseAddress!)
                }
            }
            return (st, side)
        }
        let traits = format.traits
        let hasScale = traits.family != .cast
        let hasZero = traits.hasZeroPoint
        let table = codebook.levels
        return BlockInspection(
            index: b, blockCount: g.blockCount, start: start, stride: stride, count: count,
            scale: hasScale ? side.scale : nil, zeroPoint: hasZero ? side.zero : nil,
            absmax: hasScale ? st.absmax : nil, minimum: st.minimum, maximum: st.maximum,
            absmaxBeforeDoubleQuant: doubleQuant != nil ? st.absmax : nil,
            absmaxAfterDoubleQuant: doubleQuant != nil ? st.decodeAbsmax : nil,
            values: xs, normalized: hasScale ? xs.map { $0 / side.scale + side.zero } : xs,
            codes: traits.hasCodes ? codes.map(Int.init) : [],
            levels: traits.hasCodes ? codes.map { Int($0) < table.count ? table[Int($0)] : .nan } : [],
            dequantized: deq, errors: zip(deq, xs).map { $0 - $1 })
    }

    func worstBlock(_ reader: any TensorReader, threads: Int, cancellation: Cancellation) throws -> Int {
        let states = try encodeChunks(reader, threads: threads, cancellation: cancellation, progress: nil, makeState: { WorstState() },
                                      block: { s, buf, _, b, off, count, stride, _, _ in
            var sum = 0.0
            var i = off
            for _ in 0..<count {
                if buf.x[i].isFinite {
                    let e = Double(buf.decoded[i]) - Double(buf.x[i])
                    sum += e * e
                }
                i += stride
            }
            if sum > s.bestSum || (sum == s.bestSum && b < s.best) { s.bestSum = sum; s.best = b }
        })
        var best = 0, bestSum = -1.0
        for s in states where s.bestSum > bestSum || (s.bestSum == bestSum && s.best < best) { best = s.best; bestSum = s.bestSum }
        return best
    }
}

/// A value shared with worker closures that the engine guarantees is only read, or written in
/// disjoint parts.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A worker of a chunked pass: its state and its buffers.
struct ChunkWorker<S> {
    var state: S
    let buffers: ChunkBuffers
}

/// What a worker of pass C keeps: its accumulator, the current chunk's sums, and each chunk's sums.
struct MeasureState {
    var acc: FusedAccumulator
    var chunk = ErrorMetrics.Sums()
    var byChunk: [Int: ErrorMetrics.Sums] = [:]
    var low = Float.infinity, high = -Float.infinity
    var peak = PeakBlock()
}

/// What a worker of pass D counts into.
struct HistogramState {
    let n: BinCounter
    let e: BinCounter
    let joint: JointCounter?
}

/// The worst block a worker has seen.
struct WorstState {
    var best = 0
    var bestSum = -1.0
}
