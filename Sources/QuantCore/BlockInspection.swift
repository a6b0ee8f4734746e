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
        let q: QuantizedTensor
        do { q = try Quantizer.quantize(values, rows: rows, cols: cols, config: config) } catch { throw .quantization(error) }
        return try BlockInspection(values: values, quantized: q, block: resolve(selector, values: values, quantized: q))
    }

    /// The block index a selector names.
    public static func resolve(_ selector: Selector, values: [Float], quantized q: QuantizedTensor) throws(BlockInspectionError) -> Int {
        guard values.count == q.grouping.count else { throw .valueCount(expected: q.grouping.count, given: values.count) }
        guard q.grouping.blockCount > 0 else { throw .blockOutOfRange(block: 0, blockCount: 0) }
        switch selector {
        case .index(let i):
            guard i >= 0, i < q.grouping.blockCount else { throw .blockOutOfRange(block: i, blockCount: q.grouping.blockCount) }
            return i
        case .worst: return worstBlock(values: values, quantized: q)
        case .max: return maxBlock(values: values, grouping: q.grouping)
        }
    }

    /// The block with the largest sum of squared errors over finite inputs (the first on a tie; 0 when
    /// every error is 0). Sums are taken in Double.
    public static func worstBlock(values: [Float], quantized q: QuantizedTensor) -> Int {
        let g = q.grouping
        precondition(values.count == g.count, "values are not the tensor that was quantized")
        var best = 0
        var bestSum = -1.0
        values.withUnsafeBufferPointer { x in
            q.dequantized.withUnsafeBufferPointer { y in
                for b in 0..<g.blockCount {
                    let (s, n, st) = g.extent(ofBlock: b)
                    var sum = 0.0
                    var i = s
                    for _ in 0..<n {
                        if x[i].isFinite {
                            let e = Double(y[i]) - Double(x[i])
                            sum += e * e
                        }
                        i += st
                    }
                    if sum > bestSum { bestSum = sum; best = b }
                }
            }
        }
        return best
    }

    /// The block holding the element of largest finite |x| (the first such element in flat order).
    public static func maxBlock(values: [Float], grouping: Grouping) -> Int {
        precondition(values.count == grouping.count, "values do not match the grouping")
        var at = 0
        var m: Float = -1
        values.withUnsafeBufferPointer { x in
            for i in 0..<x.count where x[i].isFinite && abs(x[i]) > m {
                m = abs(x[i]); at = i
            }
        }
        return grouping.count == 0 ? 0 : grouping.blockIndex(ofElement: at)
    }
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
