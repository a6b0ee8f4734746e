import TensorCore

/// One block of a quantized tensor laid open: its elements, its scale, and what each element became.
///
/// The block inspector (`qscope inspect`, the workbench's `i`) answers "why did this value come back
/// like that?": it shows the block's statistic, each value in the normalised domain where the code
/// levels are fixed, the code it snapped to, and the value that code decodes to. Everything is read
/// from the `QuantizedTensor` the quantizer produced, never recomputed, so the inspector cannot
/// disagree with the metrics.
public struct BlockInspection: Sendable, Equatable {
    /// Which block to inspect.
    public enum Selector: Sendable, Hashable {
        /// The block with this index (0-based, in `Grouping` order).
        case index(Int)
        /// The block with the largest sum of squared errors.
        case worst
        /// The block holding the tensor's largest finite |x|.
        case max
    }

    /// The block's index.
    public let index: Int
    /// How many blocks the tensor has under this configuration.
    public let blockCount: Int
    /// Flat (row-major) index of the block's first element.
    public let start: Int
    /// Distance between consecutive elements of the block (1, or `cols` for `column` grouping).
    public let stride: Int
    /// Number of elements in the block.
    public let count: Int
    /// The divisor into the normalised domain (`QuantizedTensor.normScale`), or nil for the 16-bit
    /// casts, which have no scale. For absmax formats this is the exact block absmax the codes were
    /// computed from (before double quantization).
    public let scale: Float?
    /// The zero point, for formats that store one (asymmetric integers, Q4_1, Q4_K); nil otherwise.
    public let zeroPoint: Float?
    /// The block's max |x| over finite values, the statistic every scale rule starts from (nil for casts).
    public let absmax: Float?
    /// The block's smallest and largest finite value (what the asymmetric formats fit their range to).
    public let minimum: Float
    public let maximum: Float
    /// With double quantization: the block absmax before and after its own 8-bit quantization.
    /// Codes are chosen with the first; decoding uses the second (as bitsandbytes does).
    public let absmaxBeforeDoubleQuant: Float?
    public let absmaxAfterDoubleQuant: Float?
    /// The input values, in block order.
    public let values: [Float]
    /// Each value in the normalised domain (x ÷ scale, plus the zero point where there is one).
    public let normalized: [Float]
    /// Each element's code index (empty for the 16-bit casts).
    public let codes: [Int]
    /// Each code's level in the normalised domain (empty for the casts).
    public let levels: [Float]
    /// The decoded values.
    public let dequantized: [Float]
    /// `dequantized − value` per element.
    public let errors: [Float]

    /// Flat indices of the block's elements, in block order.
    public var elementIndices: [Int] { (0..<count).map { start + $0 * stride } }

    /// Whether the block is one contiguous run of the flattened tensor (every grouping but `column`).
    public var isContiguous: Bool { stride == 1 || count <= 1 }

    init(index: Int, blockCount: Int, start: Int, stride: Int, count: Int, scale: Float?, zeroPoint: Float?, absmax: Float?,
         minimum: Float, maximum: Float, absmaxBeforeDoubleQuant: Float?, absmaxAfterDoubleQuant: Float?, values: [Float],
         normalized: [Float], codes: [Int], levels: [Float], dequantized: [Float], errors: [Float]) {
        self.index = index
        self.blockCount = blockCount
        self.start = start
        self.stride = stride
        self.count = count
        self.scale = scale
        self.zeroPoint = zeroPoint
        self.absmax = absmax
        self.minimum = minimum
        self.maximum = maximum
        self.absmaxBeforeDoubleQuant = absmaxBeforeDoubleQuant
        self.absmaxAfterDoubleQuant = absmaxAfterDoubleQuant
        self.values = values
        self.normalized = normalized
        self.codes = codes
        self.levels = levels
        self.dequantized = dequantized
        self.errors = errors
    }

    /// Lays open block `block` of `quantized`, the quantization of `values`.
    ///
    /// - Throws: `BlockInspectionError.valueCount` when `values` is not the tensor that was quantized,
    ///   `.blockOutOfRange` when the index is not a block.
    public init(values: [Float], quantized q: QuantizedTensor, block: Int) throws(BlockInspectionError) {
        let g = q.grouping
        guard values.count == g.count else { throw .valueCount(expected: g.count, given: values.count) }
        guard block >= 0, block < g.blockCount else { throw .blockOutOfRange(block: block, blockCount: g.blockCount) }
        let ext = g.extent(ofBlock: block)
        let dtype = q.config.dtype
        let hasScale = dtype.family != .cast
        index = block
        blockCount = g.blockCount
        start = ext.start
        stride = ext.stride
        count = ext.length
        scale = hasScale ? q.normScale[block] : nil
        zeroPoint = q.zeroPoints.isEmpty ? nil : q.zeroPoints[block]
        absmax = hasScale ? q.absmax[block] : nil
        minimum = q.blockMinimum[block]
        maximum = q.blockMaximum[block]
        if let dq = q.doubleQuant {
            absmaxBeforeDoubleQuant = q.absmax[block]
            absmaxAfterDoubleQuant = dq.dequantizedAbsmax[block]
        } else {
            absmaxBeforeDoubleQuant = nil
            absmaxAfterDoubleQuant = nil
        }
        let indices = (0..<ext.length).map { ext.start + $0 * ext.stride }
        let xs = indices.map { values[$0] }
        let ys = indices.map { q.dequantized[$0] }
        self.values = xs
        dequantized = ys
        errors = zip(ys, xs).map { $0 - $1 }
        normalized = hasScale ? xs.map { q.normalized($0, block: block) } : xs
        if dtype.hasCodes && !q.codes.isEmpty {
            let c = indices.map { Int(q.codes[$0]) }
            codes = c
            let table = q.codebook.levels
            levels = c.map { $0 < table.count ? table[$0] : .nan }
        } else {
            codes = []
            levels = []
        }
    }

    /// Quantizes `values` with `config` and lays open the block `selector` picks.
    public static func inspect(_ values: [Float], rows: Int, cols: Int, config: QuantConfig,
                               selector: Selector) throws(BlockInspectionError) -> BlockInspection {
        guard values.count == rows * cols else { throw .valueCount(expected: rows * cols, given: values.count) }
        let t = Tensor(name: "", shape: rows == 1 ? [cols] : [rows, cols], sourceDType: "F32", values: values)
        do {
            return try inspect(t, config: config, selector: selector)
        } catch let e as BlockInspectionError {
            throw e
        } catch let e as QuantError {
            throw .quantization(e)
        } catch {
            preconditionFailure("an uncancellable inspection failed: \(error)")
        }
    }

    /// Lays open the block `selector` picks in the tensor `reader` reads, streaming: the worst and the
    /// max block are found by a pass over the tensor, and only the chosen block is encoded again.
    public static func inspect(_ reader: any TensorReader, config: QuantConfig, selector: Selector,
                               threads: Int = Parallel.defaultThreads, cancellation: Cancellation = .never) throws -> BlockInspection {
        let inspector = try BlockInspector(reader, config: config, threads: threads, cancellation: cancellation)
        return inspector.inspect(block: try inspector.resolve(selector, cancellation: cancellation))
    }
}

/// A tensor made ready for looking at single blocks under one configuration: what the inspector
/// needs besides a block's own values (every block's absmax under double quantization, column
/// statistics, a fitted table), computed once and kept while the user steps through blocks.
public struct BlockInspector: Sendable {
    let reader: any TensorReader
    let prepared: any PreparedFormat
    let threads: Int

    public init(_ reader: any TensorReader, config: QuantConfig, threads: Int = Parallel.defaultThreads,
                cancellation: Cancellation = .never) throws {
        let info = reader.info
        let (rows, cols) = Analyzer.shape2D(info.shape)
        try config.validate(cols: cols)
        let plan = ChunkPlan(grouping: Grouping(count: info.count, rows: rows, cols: cols, block: config.block),
                             granularity: reader.granularity)
        let profile = config.dtype.traits.needsTensorAbsmax
            ? try TensorProfile.compute(reader, threads: threads, cancellation: cancellation) : TensorProfile.empty
        self.reader = reader
        self.threads = threads
        prepared = try config.dtype.entry.engine.prepare(reader, config, profile, plan, threads, cancellation)
    }

    /// How many blocks the tensor has under the configuration.
    public var blockCount: Int { prepared.plan.grouping.blockCount }

    /// Block `block` laid open (clamped to the tensor's blocks).
    public func inspect(block: Int) -> BlockInspection {
        prepared.inspect(reader, block: Swift.min(Swift.max(0, block), Swift.max(0, blockCount - 1)))
    }

    /// The block a selector names.
    public func resolve(_ selector: BlockInspection.Selector, cancellation: Cancellation = .never) throws -> Int {
        guard blockCount > 0 else { throw BlockInspectionError.blockOutOfRange(block: 0, blockCount: 0) }
        switch selector {
        case .index(let i):
            guard i >= 0, i < blockCount else { throw BlockInspectionError.blockOutOfRange(block: i, blockCount: blockCount) }
            return i
        case .worst:
            return try prepared.worstBlock(reader, threads: threads, cancellation: cancellation)
        case .max:
            let at = try BlockInspector.largestMagnitude(reader, threads: threads, cancellation: cancellation)
            return prepared.plan.grouping.blockIndex(ofElement: at)
        }
    }

    /// The flat index of the first element of largest finite |x| (0 when there is none).
    static func largestMagnitude(_ reader: any TensorReader, threads: Int, cancellation: Cancellation) throws -> Int {
        let info = reader.info
        let (rows, cols) = Analyzer.shape2D(info.shape)
        let plan = ChunkPlan(grouping: Grouping(count: info.count, rows: rows, cols: cols, block: .row), granularity: reader.granularity)
        let chunks = plan.chunks
        let states = try Parallel.dynamic(count: chunks.count, threads: threads, cancellation: cancellation,
                                          makeState: { LargestState(buffer: ChunkBuffers(capacity: plan.length)) }) { s, item in
            let range = plan.range(chunks[item])
            let x = s.buffer.load(reader, range)
            for i in 0..<range.count {
                let v = x[i]
                let a = abs(v)
                if v.isFinite && (a > s.m || (a == s.m && range.lowerBound + i < s.at)) { s.m = a; s.at = range.lowerBound + i }
            }
        }
        var at = 0, m: Float = -1
        for s in states {
            s.buffer.release()
            if s.m > m || (s.m == m && s.at < at) { m = s.m; at = s.at }
        }
        return at
    }
}

/// The largest |x| a worker has seen, and where.
struct LargestState {
    var at = 0
    var m: Float = -1
    let buffer: ChunkBuffers
}

/// Why a block cannot be inspected.
public enum BlockInspectionError: Error, Sendable, Equatable, CustomStringConvertible {
    case blockOutOfRange(block: Int, blockCount: Int)
    case valueCount(expected: Int, given: Int)
    case quantization(QuantError)

    public var description: String {
        switch self {
        case .blockOutOfRange(let b, let n):
            n == 0 ? "the tensor is empty, so it has no blocks to inspect"
                   : "block \(b) does not exist: this tensor has \(n) block\(n == 1 ? "" : "s") under this configuration (0…\(n - 1))"
        case .valueCount(let e, let g):
            "the values (\(g)) are not the tensor that was quantized (\(e) values)"
        case .quantization(let e):
            e.description
        }
    }
}
