import TensorCore

/// How a pass walks a tensor: chunks of whole blocks (or of whole rows, for groupings whose blocks
/// cross rows), each read by one worker into its own buffer, encoded and measured while it is in
/// cache, then dropped. No pass ever holds the whole tensor.
struct ChunkPlan: Sendable {
    let grouping: Grouping
    /// Elements per chunk (a multiple of the grouping's unit; the last chunk may be shorter).
    let length: Int
    /// Every chunk of the tensor.
    let totalChunks: Int
    /// The chunks this pass visits, ascending: all of them, or an evenly spread sample.
    let chunks: [Int]

    /// About 64 K values: 256 KiB of floats, which with the codes and decoded values stays in L2.
    static let targetLength = 1 << 16

    /// A plan over every chunk, or over about `sampleValues` values in chunks spread evenly over the
    /// tensor (first and last included).
    init(grouping: Grouping, granularity: Int = 1, sampleValues: Int? = nil, targetLength: Int = ChunkPlan.targetLength) {
        self.grouping = grouping
        let unit = Self.unit(grouping, granularity: granularity)
        length = Swift.max(unit, (Swift.max(1, targetLength) / unit) * unit)
        totalChunks = grouping.count == 0 ? 0 : (grouping.count + length - 1) / length
        if let s = sampleValues, totalChunks > 1, s < grouping.count {
            let want = Swift.max(2, Swift.min(totalChunks, (s + length - 1) / length))
            var picked: [Int] = []
            for i in 0..<want {
                let k = want == 1 ? 0 : Int((Double(i) * Double(totalChunks - 1) / Double(want - 1)).rounded())
                if picked.last != k { picked.append(k) }
            }
            chunks = picked
        } else {
            chunks = Array(0..<totalChunks)
        }
    }

    /// What a chunk must hold whole: a block (`elements`, `row`) or a row (`column`, `tensor`), and
    /// the reader's own blocks where that is cheap to honour.
    static func unit(_ g: Grouping, granularity: Int) -> Int {
        let base: Int
        switch g.block {
        case .elements(let n): base = n
        case .row, .column, .tensor: base = Swift.max(1, g.cols)
        }
        guard granularity > 1, base % granularity != 0, granularity % base == 0 else { return base }
        return granularity
    }

    /// Whether the plan visits only part of the tensor.
    var isSample: Bool { chunks.count < totalChunks }

    /// The flat range of chunk `k`.
    func range(_ k: Int) -> Range<Int> {
        let lo = k * length
        return lo..<Swift.min(grouping.count, lo + length)
    }

    /// Values the plan visits.
    var coveredValues: Int { chunks.reduce(0) { $0 + range($1).count } }

    /// Calls `body(block, offset, count, stride)` for the part of every block that chunk `range` holds;
    /// offsets are relative to the chunk's start.
    @inline(__always)
    func forEachBlock(in range: Range<Int>, _ body: (Int, Int, Int, Int) -> Void) {
        let g = grouping
        switch g.block {
        case .elements(let n):
            var b = range.lowerBound / n
            while b * n < range.upperBound {
                let start = b * n
                body(b, start - range.lowerBound, Swift.min(n, g.count - start), 1)
                b += 1
            }
        case .row:
            let cols = Swift.max(1, g.cols)
            for r in (range.lowerBound / cols)..<((range.upperBound + cols - 1) / cols) {
                body(r, r * cols - range.lowerBound, cols, 1)
            }
        case .column:
            let cols = Swift.max(1, g.cols)
            let rows = range.count / cols
            for c in 0..<cols { body(c, c, rows, cols) }
        case .tensor:
            body(0, 0, range.count, 1)
        }
    }

    /// Whether a block's statistic is known only from the whole tensor (a column or the tensor is
    /// spread over many chunks).
    var blocksSpanChunks: Bool {
        switch grouping.block {
        case .elements, .row: false
        case .column, .tensor: true
        }
    }
}

/// A worker's buffers for one chunk: the values read, their codes and their decoded values.
struct ChunkBuffers {
    let x: UnsafeMutablePointer<Float>
    let codes: UnsafeMutablePointer<UInt8>
    let decoded: UnsafeMutablePointer<Float>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        x = .allocate(capacity: Swift.max(1, capacity))
        codes = .allocate(capacity: Swift.max(1, capacity))
        decoded = .allocate(capacity: Swift.max(1, capacity))
    }

    func release() {
        x.deallocate()
        codes.deallocate()
        decoded.deallocate()
    }

    /// The values of `range`: in place when the reader has them as float32 already, else converted
    /// into `x`.
    func load(_ reader: any TensorReader, _ range: Range<Int>) -> UnsafePointer<Float> {
        if let p = reader.floats(range) { return p }
        reader.read(range, into: UnsafeMutableBufferPointer(start: x, count: range.count))
        return UnsafePointer(x)
    }
}
