/// One block right after its codec encoded it, as a pass sees it: the chunk's buffers (values, codes,
/// decoded values, all indexed from the chunk's start) and the block's place, statistic and scale.
struct EncodedBlock {
    let x: UnsafePointer<Float>
    let codes: UnsafePointer<UInt8>
    let decoded: UnsafePointer<Float>
    /// Flat index of the chunk's first element.
    let chunkStart: Int
    let block: Int
    /// Offset of the block's first element from the chunk's start.
    let offset: Int
    let count: Int
    let stride: Int
    let statistic: BlockStatistic
    let side: BlockSide
}

/// What a pass does with the chunks it reads: specialised with the format by `encodeChunks`, so that
/// its per-block work is inlined into the encoding loop. Workers on other threads make and drive
/// visitors of the type, hence `SendableMetatype`.
protocol ChunkVisitor: SendableMetatype {
    /// The values of chunk `item` (flat `range`), before any of its blocks is encoded.
    mutating func begin(item: Int, range: Range<Int>, x: UnsafePointer<Float>)
    mutating func visit(_ b: EncodedBlock)
    mutating func end(item: Int)
}

extension ChunkVisitor {
    mutating func begin(item: Int, range: Range<Int>, x: UnsafePointer<Float>) {}
    mutating func end(item: Int) {}
}

/// Pass C: the error sums (kept per chunk, merged in chunk order), code usage, the value histogram
/// when its range is known, the normalised range, the block with the largest absmax — and the
/// tensor's profile too when none was given, from the chunk's values while they are in cache.
struct MeasureVisitor<C: BlockCodec>: ChunkVisitor {
    let codec: C
    var acc: FusedAccumulator
    let lower: Float
    let mult: Float
    /// Whether every value of the tensor is known to be finite (from a given profile).
    let allFinite: Bool
    let hasCodes: Bool
    var profile: ProfileAccumulator?
    var chunkFinite = false
    var chunk = ErrorMetrics.Sums()
    var byChunk: [Int: ErrorMetrics.Sums] = [:]
    /// The chunks whose values were all finite (pass D takes its fast path on them without looking).
    var finiteChunks: [Int] = []
    var low = Float.infinity, high = -Float.infinity
    var peak = PeakBlock()

    mutating func begin(item: Int, range: Range<Int>, x: UnsafePointer<Float>) {
        if profile != nil {
            chunkFinite = profile!.add(x, range: range, item: item)
        } else {
            chunkFinite = allFinite
        }
    }

    @inline(__always)
    mutating func visit(_ b: EncodedBlock) {
        let view = BlockView(block: b.block, start: b.offset, length: b.count, stride: b.stride, x: b.x,
                             dequantized: b.decoded, codes: hasCodes ? b.codes : nil, scale: b.side.scale, zero: b.side.zero)
        acc.sums = chunk
        acc.add(view, codec: codec, lower: lower, mult: mult, allFinite: chunkFinite)
        chunk = acc.sums
        let st = b.statistic, side = b.side
        if st.minimum <= st.maximum {
            let lo = st.minimum / side.scale + side.zero, hi = st.maximum / side.scale + side.zero
            low = Swift.min(low, lo); high = Swift.max(high, hi)
        }
        peak.offer(b.block, st.absmax, side)
    }

    mutating func end(item: Int) {
        byChunk[item] = chunk
        chunk = ErrorMetrics.Sums()
        if chunkFinite { finiteChunks.append(item) }
    }
}

/// Pass D: the normalised and error histograms (one joint count per element for contiguous, finite
/// chunks), and the value histogram when pass C had no range for it yet.
struct HistogramVisitor: ChunkVisitor {
    let n: BinCounter
    let e: BinCounter
    let joint: JointCounter?
    let v: BinCounter?
    /// Which chunks pass C found all finite (by chunk item).
    let finiteChunks: UncheckedBox<[Bool]>
    var chunkFinite = false

    mutating func begin(item: Int, range: Range<Int>, x: UnsafePointer<Float>) {
        chunkFinite = finiteChunks.value[item]
        if let v {
            // The value histogram spans the tensor's finite [min, max]: every finite value is inside.
            if chunkFinite {
                v.addClamped(x, count: range.count)
            } else {
                for i in 0..<range.count where x[i].isFinite { v.addClamped(x[i], copy: i & 3) }
            }
        }
    }

    @inline(__always)
    mutating func visit(_ b: EncodedBlock) {
        let x = b.x + b.offset, y = b.decoded + b.offset
        let inverse = 1 / b.side.scale, zero = b.side.zero
        if let j = joint, chunkFinite, b.stride == 1 {
            j.add(x: x, y: y, count: b.count, inverse: inverse, zero: zero)
            return
        }
        var i = 0
        for k in 0..<b.count {
            let xv = x[i]
            if xv.isFinite {
                n.addClamped(xv * inverse + zero, copy: k & 3)
                e.addClamped(y[i] - xv, copy: k & 3)
            }
            i += b.stride
        }
    }
}

/// Writes every block's scale and statistic into whole-tensor arrays (the codes and decoded values
/// already went there straight from the codec).
struct MaterializeVisitor: ChunkVisitor {
    let sink: UncheckedBox<(SharedMutablePointer<BlockSide>, SharedMutablePointer<Float>, SharedMutablePointer<Float>,
                            SharedMutablePointer<Float>)>

    mutating func visit(_ b: EncodedBlock) {
        let (sides, absmax, minimum, maximum) = sink.value
        sides.base[b.block] = b.side
        absmax.base[b.block] = b.statistic.absmax
        minimum.base[b.block] = b.statistic.minimum
        maximum.base[b.block] = b.statistic.maximum
    }
}

/// The block with the largest sum of squared errors a worker has seen (the first on a tie). Blocks
/// that span chunks (columns, the tensor) add up their parts in `partial` (one slot per block: few).
struct WorstVisitor: ChunkVisitor {
    var best = 0
    var bestSum = -1.0
    var partial: [Double]

    init(spanningBlocks: Int?) { partial = [Double](repeating: 0, count: spanningBlocks ?? 0) }

    mutating func visit(_ b: EncodedBlock) {
        var sum = 0.0
        var i = b.offset
        for _ in 0..<b.count {
            if b.x[i].isFinite {
                let e = Double(b.decoded[i]) - Double(b.x[i])
                sum += e * e
            }
            i += b.stride
        }
        if !partial.isEmpty { partial[b.block] += sum; return }
        if sum > bestSum || (sum == bestSum && b.block < best) { bestSum = sum; best = b.block }
    }
}
