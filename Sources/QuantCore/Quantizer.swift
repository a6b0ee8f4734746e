import TensorCore

/// Quantizes a tensor with one configuration and decodes it again.
///
/// One pass computes block statistics; a second encodes and decodes each block.
/// Blocks are independent, so both passes split the blocks across cores. The
/// rounding rules per datatype are those of docs/DATATYPES.md.
public enum Quantizer {
    /// Quantizes a tensor viewed as `[tensor.rows, tensor.cols]`.
    public static func quantize(_ tensor: Tensor, config: QuantConfig,
                                threads: Int = Parallel.defaultThreads) throws(QuantError) -> QuantizedTensor {
        try quantize(tensor.values, rows: tensor.rows, cols: tensor.cols, config: config, threads: threads)
    }

    /// Quantizes `values` (row-major `[rows, cols]`).
    public static func quantize(_ values: [Float], rows: Int, cols: Int, config: QuantConfig,
                                threads: Int = Parallel.defaultThreads) throws(QuantError) -> QuantizedTensor {
        try config.validate(cols: cols)
        return values.withUnsafeBufferPointer { buf in
            quantizeValidated(buf, rows: rows, cols: cols, config: config, threads: threads)
        }
    }

    static func quantizeValidated(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, config: QuantConfig,
                                  threads: Int) -> QuantizedTensor {
        quantizeValidated(x, rows: rows, cols: cols, config: config, threads: threads,
                          makeAccumulator: { NoAccumulator() }, visit: { _, _ in }).0
    }

    struct NoAccumulator: Sendable {}

    /// One encoded block as a visitor sees it, right after the kernel wrote it (still in cache).
    struct BlockView {
        let block: Int
        let start: Int
        let length: Int
        let stride: Int
        let x: UnsafePointer<Float>
        let dequantized: UnsafePointer<Float>
        let codes: UnsafePointer<UInt8>?
        /// The block's normalising scale and zero point (x ÷ scale + zero is the normalised value).
        let scale: Float
        let zero: Float
    }

    /// Quantizes, and lets `visit` read every block just after it is encoded.
    ///
    /// Measuring a block while its values are still in the core's cache saves a pass over memory
    /// per measurement. Each worker gets its own accumulator from `makeAccumulator`; the
    /// accumulators come back in block order for the caller to merge.
    static func quantizeValidated<A: Sendable>(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, config: QuantConfig,
                                               threads: Int, makeAccumulator: @Sendable () -> A,
                                               visit: @Sendable (inout A, BlockView) -> Void) -> (QuantizedTensor, [A]) {
        let n = x.count
        let grouping = Grouping(count: n, rows: rows, cols: cols, block: config.block)
        let blocks = grouping.blockCount
        let dtype = config.dtype
        // The block statistics are a pass of their own only where something needs all of them before
        // the first block is encoded (the quantile table, double quantization, NVFP4's tensor scale);
        // otherwise each block measures itself just before it is encoded, from the same cache lines.
        let statsFirst: Bool = {
            if case .quantile = dtype.family { return true }
            return (config.doubleQuant && dtype.supportsDoubleQuant) || dtype.family == .nvfp4
        }()
        var stats = statsFirst ? BlockStatistics.compute(x, grouping: grouping, threads: threads)
            : BlockStatistics(absmax: [Float](repeating: 0, count: blocks), minimum: [Float](repeating: 0, count: blocks),
                              maximum: [Float](repeating: 0, count: blocks))

        var quantileTable: [Float]? = nil
        if case .quantile(let bits) = dtype.family {
            quantileTable = QuantileTable.fit(x, grouping: grouping, absmax: stats.absmax, codes: 1 << bits)
        }
        let codebook = Codebook.make(for: dtype, quantileTable: quantileTable)
        let dq = config.doubleQuant && dtype.supportsDoubleQuant && blocks > 0
            ? DoubleQuantState.compress(stats.absmax) : nil
        let decodeAbsmax = dq?.dequantizedAbsmax ?? (statsFirst ? stats.absmax : [])

        var tensorScale: Float? = nil
        if dtype.family == .nvfp4 {
            let amax = stats.absmax.max() ?? 0
            tensorScale = amax > 0 ? amax / (6 * 448) : 1
        }

        let kernel = BlockKernel(dtype: dtype, codebook: codebook, tensorScale: tensorScale ?? 1)
        // Every element is written by the kernels, so the two large arrays skip zero-filling.
        var codes = [UInt8](unsafeUninitializedCapacity: dtype.hasCodes ? n : 0) { _, c in c = dtype.hasCodes ? n : 0 }
        var deq = [Float](unsafeUninitializedCapacity: n) { _, c in c = n }
        var accumulators: [A] = []
        var normScale = [Float](repeating: 1, count: blocks)
        var zeros = [Float](repeating: 0, count: dtype.family.isAsymmetric || dtype == .q4_1 || dtype == .q4K ? blocks : 0)
        var exps = [UInt8](repeating: 0, count: dtype.family.isMicroscaling ? blocks : 0)
        var scaleCodes = [UInt8](repeating: 0, count: dtype.family == .nvfp4 ? blocks : 0)

        if n > 0 {
            let src = SharedPointer(x.baseAddress!)
            stats.absmax.withUnsafeMutableBufferPointer { ab in
            stats.minimum.withUnsafeMutableBufferPointer { mnb in
            stats.maximum.withUnsafeMutableBufferPointer { mxb in
            let pa = SharedMutablePointer(ab.baseAddress!), pmn = SharedMutablePointer(mnb.baseAddress!)
            let pmx = SharedMutablePointer(mxb.baseAddress!)
            codes.withUnsafeMutableBufferPointer { cb in
            deq.withUnsafeMutableBufferPointer { db in
            normScale.withUnsafeMutableBufferPointer { nb in
            zeros.withUnsafeMutableBufferPointer { zb in
            exps.withUnsafeMutableBufferPointer { eb in
            scaleCodes.withUnsafeMutableBufferPointer { sb in
                let out = BlockKernel.Output(
                    codes: cb.isEmpty ? nil : cb.baseAddress.map(SharedMutablePointer.init),
                    dequantized: SharedMutablePointer(db.baseAddress!),
                    normScale: SharedMutablePointer(nb.baseAddress!),
                    zeros: zb.isEmpty ? nil : zb.baseAddress.map(SharedMutablePointer.init),
                    exponents: eb.isEmpty ? nil : eb.baseAddress.map(SharedMutablePointer.init),
                    scaleCodes: sb.isEmpty ? nil : sb.baseAddress.map(SharedMutablePointer.init))
                let hasZeros = !zb.isEmpty
                accumulators = Parallel.mapChunks(count: blocks, threads: threads, minimumPerChunk: 64) { range in
                    var acc = makeAccumulator()
                    for b in range {
                        let ext = grouping.extent(ofBlock: b)
                        let absmax: Float, decode: Float, lo: Float, hi: Float
                        if statsFirst {
                            absmax = pa.base[b]; decode = decodeAbsmax[b]; lo = pmn.base[b]; hi = pmx.base[b]
                        } else {
                            (lo, hi) = BlockStatistics.extremes(src.base + ext.start, length: ext.length, stride: ext.stride)
                            absmax = Swift.max(-lo, hi); decode = absmax
                            pmn.base[b] = lo; pmx.base[b] = hi; pa.base[b] = absmax
                        }
                        kernel.run(block: b, start: ext.start, length: ext.length, stride: ext.stride,
                                   src: src, absmax: absmax, decodeAbsmax: decode,
                                   minimum: lo, maximum: hi, out: out)
                        visit(&acc, BlockView(block: b, start: ext.start, length: ext.length, stride: ext.stride,
                                              x: src.base, dequantized: UnsafePointer(out.dequantized.base),
                                              codes: out.codes.map { UnsafePointer($0.base) },
                                              scale: out.normScale.base[b], zero: hasZeros ? out.zeros!.base[b] : 0))
                    }
                    return acc
                }
            }}}}}}}}}
        }
        let q = QuantizedTensor(config: config, grouping: grouping, codebook: codebook, codes: codes,
                                dequantized: deq, absmax: stats.absmax, blockMinimum: stats.minimum, blockMaximum: stats.maximum,
                                normScale: normScale, zeroPoints: zeros,
                                sharedExponents: exps, blockScaleCodes: scaleCodes, tensorScale: tensorScale,
                                doubleQuant: dq)
        return (q, accumulators)
    }
}

extension DataType.Family {
    var isAsymmetric: Bool { if case .asymmetricInt = self { true } else { false } }
    var isMicroscaling: Bool { if case .microscaling = self { true } else { false } }
}
