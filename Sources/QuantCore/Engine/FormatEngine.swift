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

    /// Pass C: quantize every chunk of the plan and measure it (error sums, code usage, the range of the
    /// normalised values, and the value histogram when `valueRange` is given); without a profile
    /// (`profileColumns` set), profile the tensor in the same pass.
    func measure(_ reader: any TensorReader, valueRange: (Float, Float)?, bins: Int, allFinite: Bool, profileColumns: Int?,
                 threads: Int, cancellation: Cancellation, progress: Progress?) throws -> MeasurePass
    /// Pass D: quantize again and count the normalised and error histograms over the ranges pass C found,
    /// and the value histogram when pass C could not (it had no range yet).
    func histograms(_ reader: any TensorReader, normalized: Histogram, error: Histogram, values: Histogram?, finiteChunks: [Bool],
                    threads: Int, cancellation: Cancellation, progress: Progress?) throws -> (Histogram, Histogram, Histogram?)
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
    /// The tensor's profile, when the pass made it.
    var profile: TensorProfile?
    /// Whether each chunk of the plan (by item) held only finite values.
    var finiteChunks: [Bool] = []
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

    /// Reads, encodes and visits every chunk of the plan on every core: `visitor` (one per worker) sees
    /// each chunk's values before its blocks are encoded, then every encoded block. Codes and decoded
    /// values go to the worker's chunk buffers, or straight into `output` (whole-tensor arrays).
    func encodeChunks<V: ChunkVisitor>(_ reader: any TensorReader, threads: Int, cancellation: Cancellation, progress: Progress?,
                                       output: (codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>)? = nil,
                                       makeVisitor: @escaping @Sendable () -> V) throws -> [V] {
        let plan = self.plan
        let chunks = plan.chunks
        let out = UncheckedBox(output)
        progress?.add(total: chunks.count)
        let workers = try Parallel.dynamic(count: chunks.count, threads: threads, cancellation: cancellation, progress: progress,
                                           makeState: { ChunkWorker(state: makeVisitor(), buffers: ChunkBuffers(capacity: plan.length)) }) { w, item in
            let range = plan.range(chunks[item])
            let buf = w.buffers
            let x = buf.load(reader, range)
            w.state.begin(item: item, range: range, x: x)
            let codes = out.value.map { $0.codes + range.lowerBound } ?? buf.codes
            let decoded = out.value.map { $0.decoded + range.lowerBound } ?? buf.decoded
            plan.forEachBlock(in: range) { b, off, count, stride in
                let st = statistic(b, x + off, count, stride)
                let side = codec.encode(x + off, count: count, stride: stride, statistic: st,
                                        codes: codes + off, decoded: decoded + off)
                w.state.visit(EncodedBlock(x: x, codes: UnsafePointer(codes), decoded: UnsafePointer(decoded), chunkStart: range.lowerBound,
                                           block: b, offset: off, count: count, stride: stride, statistic: st, side: side))
            }
            w.state.end(item: item)
        }
        return workers.map { $0.buffers.release(); return $0.state }
    }

    func measure(_ reader: any TensorReader, valueRange: (Float, Float)?, bins: Int, allFinite: Bool, profileColumns: Int?,
                 threads: Int, cancellation: Cancellation, progress: Progress?) throws -> MeasurePass {
        let hasCodes = format.traits.hasCodes
        let slots = hasCodes ? 256 : 65536
        let valueBins = valueRange == nil ? 0 : bins
        let joint = hasCodes && format.traits.family != .ggml && format.traits.bitsPerCode <= 4 && valueBins > 0 && valueBins <= 256 ? 16 : 0
        let (lower, upper) = valueRange ?? (0, 0)
        let hist = Histogram.empty(lower: Double(lower), upper: Double(upper), bins: Swift.max(1, valueBins))
        let vLower = Float(hist.lower)
        let vMult = Float(Double(hist.counts.count) / (hist.upper - hist.lower))
        let codec = self.codec
        let states = try encodeChunks(reader, threads: threads, cancellation: cancellation, progress: progress) {
            MeasureVisitor(codec: codec, acc: FusedAccumulator(codes: slots, bins: valueBins, jointCodes: joint),
                           lower: vLower, mult: vMult, allFinite: allFinite, hasCodes: hasCodes,
                           profile: profileColumns.map { ProfileAccumulator(cols: $0) })
        }
        var out = MeasurePass(usage: [Int](repeating: 0, count: slots), values: [Int](repeating: 0, count: valueBins))
        var byChunk: [Int: ErrorMetrics.Sums] = [:]
        for var s in states {
            s.acc.flush()
            out.excluded += s.acc.excluded
            for copy in 0..<4 {
                for i in 0..<slots { out.usage[i] += s.acc.usage[copy * slots + i] }
                for k in 0..<valueBins { out.values[k] += s.acc.values[copy * valueBins + k] }
            }
            out.normalizedLow = Swift.min(out.normalizedLow, s.low)
            out.normalizedHigh = Swift.max(out.normalizedHigh, s.high)
            out.peak.merge(s.peak)
            byChunk.merge(s.byChunk) { a, _ in a }
        }
        out.finiteChunks = [Bool](repeating: false, count: plan.chunks.count)
        for s in states { for k in s.finiteChunks { out.finiteChunks[k] = true } }
        for k in 0..<plan.chunks.count { if let c = byChunk[k] { out.sums.merge(c) } }
        if let cols = profileColumns {
            out.profile = ProfileAccumulator.finish(states.compactMap(\.profile), chunks: plan.chunks.count,
                                                    count: plan.isSample ? plan.coveredValues : grouping.count, cols: cols)
        }
        return out
    }

    func histograms(_ reader: any TensorReader, normalized: Histogram, error: Histogram, values: Histogram?, finiteChunks: [Bool],
                    threads: Int, cancellation: Cancellation, progress: Progress?) throws -> (Histogram, Histogram, Histogram?) {
        let bins = normalized.counts.count, eb = error.counts.count
        let nLo = normalized.lower, nHi = normalized.upper, eLo = error.lower, eHi = error.upper
        let jointOK = bins * eb <= 8192
        let vRange = values.map { ($0.lower, $0.upper, $0.counts.count) }
        let finite = UncheckedBox(finiteChunks)
        let states = try encodeChunks(reader, threads: threads, cancellation: cancellation, progress: progress) {
            let n = BinCounter(lower: nLo, upper: nHi, bins: bins), e = BinCounter(lower: eLo, upper: eHi, bins: eb)
            return HistogramVisitor(n: n, e: e, joint: jointOK ? JointCounter(normalized: n, error: e) : nil,
                                    v: vRange.map { BinCounter(lower: $0.0, upper: $0.1, bins: $0.2) }, finiteChunks: finite)
        }
        var nh = normalized, eh = error, vh = values
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
            if let v = s.v {
                let vc = v.merged()
                for k in vc.indices { vh!.counts[k] += vc[k] }
                v.release()
            }
        }
        return (nh, eh, vh)
    }

    func materialize(_ reader: any TensorReader, threads: Int) throws -> QuantizedTensor {
        let g = grouping
        let n = g.count, blocks = g.blockCount
        let traits = format.traits
        var codes = [UInt8](repeating: 0, count: n)
        var deq = [Float](repeating: 0, count: n)
        var side = [BlockSide](repeating: BlockSide(scale: 1), count: blocks)
        var stats = BlockStatistics(absmax: [Float](repeating: 0, count: blocks), minimum: [Float](repeating: 0, count: blocks),
                                    maximum: [Float](repeating: 0, count: blocks))
        if n > 0 {
            try codes.withUnsafeMutableBufferPointer { cb in
            try deq.withUnsafeMutableBufferPointer { db in
            try side.withUnsafeMutableBufferPointer { sb in
            try stats.absmax.withUnsafeMutableBufferPointer { ab in
            try stats.minimum.withUnsafeMutableBufferPointer { mnb in
            try stats.maximum.withUnsafeMutableBufferPointer { mxb in
                let sink = UncheckedBox((SharedMutablePointer(sb.baseAddress!), SharedMutablePointer(ab.baseAddress!),
                                         SharedMutablePointer(mnb.baseAddress!), SharedMutablePointer(mxb.baseAddress!)))
                _ = try encodeChunks(reader, threads: threads, cancellation: .never, progress: nil,
                                     output: (cb.baseAddress!, db.baseAddress!)) { MaterializeVisitor(sink: sink) }
            }}}}}}
        }
        return QuantizedTensor(config: config, grouping: g, codebook: codebook,
                               codes: traits.hasCodes ? codes : [], dequantized: deq,
                               absmax: stats.absmax, blockMinimum: stats.minimum, blockMaximum: stats.maximum,
                               normScale: side.map(\.scale), zeroPoints: traits.hasZeroPoint ? side.map(\.zero) : [],
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
        let spanning = plan.blocksSpanChunks ? grouping.blockCount : nil
        let states = try encodeChunks(reader, threads: threads, cancellation: cancellation, progress: nil) {
            WorstVisitor(spanningBlocks: spanning)
        }
        var best = 0, bestSum = -1.0
        if let n = spanning {
            for b in 0..<n {
                let sum = states.reduce(0.0) { $0 + $1.partial[b] }
                if sum > bestSum { bestSum = sum; best = b }
            }
            return best
        }
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
