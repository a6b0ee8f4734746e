import TensorIO

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
        let n = x.count
        let grouping = Grouping(count: n, rows: rows, cols: cols, block: config.block)
        let stats = BlockStatistics.compute(x, grouping: grouping, threads: threads)
        let blocks = grouping.blockCount
        let dtype = config.dtype

        var quantileTable: [Float]? = nil
        if case .quantile(let bits) = dtype.family {
            quantileTable = QuantileTable.fit(x, grouping: grouping, absmax: stats.absmax, codes: 1 << bits)
        }
        let codebook = Codebook.make(for: dtype, quantileTable: quantileTable)
        let dq = config.doubleQuant && dtype.supportsDoubleQuant && blocks > 0
            ? DoubleQuantState.compress(stats.absmax) : nil
        let decodeAbsmax = dq?.dequantizedAbsmax ?? stats.absmax

        var tensorScale: Float? = nil
        if dtype.family == .nvfp4 {
            let amax = stats.absmax.max() ?? 0
            tensorScale = amax > 0 ? amax / (6 * 448) : 1
        }

        let kernel = BlockKernel(dtype: dtype, codebook: codebook, tensorScale: tensorScale ?? 1)
        var codes = [UInt8](repeating: 0, count: dtype.hasCodes ? n : 0)
        var deq = [Float](repeating: 0, count: n)
        var normScale = [Float](repeating: 1, count: blocks)
        var zeros = [Float](repeating: 0, count: dtype.family.isAsymmetric || dtype == .q4_1 || dtype == .q4K ? blocks : 0)
        var exps = [UInt8](repeating: 0, count: dtype.family.isMicroscaling ? blocks : 0)
        var scaleCodes = [UInt8](repeating: 0, count: dtype.family == .nvfp4 ? blocks : 0)

        if n > 0 {
            let src = SharedPointer(x.baseAddress!)
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
                Parallel.forEachChunk(count: blocks, threads: threads, minimumPerChunk: 64) { range in
                    for b in range {
                        let ext = grouping.extent(ofBlock: b)
                        kernel.run(block: b, start: ext.start, length: ext.length, stride: ext.stride,
                                   src: src, absmax: stats.absmax[b], decodeAbsmax: decodeAbsmax[b],
                                   minimum: stats.minimum[b], maximum: stats.maximum[b], out: out)
                    }
                }
            }}}}}}
        }
        return QuantizedTensor(config: config, grouping: grouping, codebook: codebook, codes: codes,
                               dequantized: deq, absmax: stats.absmax, blockMinimum: stats.minimum, blockMaximum: stats.maximum,
                               normScale: normScale, zeroPoints: zeros,
                               sharedExponents: exps, blockScaleCodes: scaleCodes, tensorScale: tensorScale,
                               doubleQuant: dq)
    }
}

extension DataType.Family {
    var isAsymmetric: Bool { if case .asymmetricInt = self { true } else { false } }
    var isMicroscaling: Bool { if case .microscaling = self { true } else { false } }
}
