import TensorCore

/// Quantizes a whole tensor into memory: every code, decoded value and block scale.
///
/// For small tensors and for what needs them all at once (the reference-vector tests, `quantize`'s
/// output, the outlier isolation study); the analysis streams instead. The codes are the ones the
/// streaming passes compute, by the same codecs.
public enum Quantizer {
    /// Quantizes a tensor viewed as `[tensor.rows, tensor.cols]`.
    public static func quantize(_ tensor: Tensor, config: QuantConfig,
                                threads: Int = Parallel.defaultThreads) throws(QuantError) -> QuantizedTensor {
        try quantize(tensor as any TensorReader, config: config, threads: threads)
    }

    /// Quantizes `values` (row-major `[rows, cols]`).
    public static func quantize(_ values: [Float], rows: Int, cols: Int, config: QuantConfig,
                                threads: Int = Parallel.defaultThreads) throws(QuantError) -> QuantizedTensor {
        precondition(values.count == rows * cols, "values do not fit the shape")
        let shape = rows == 1 ? [cols] : [rows, cols]
        return try quantize(Tensor(name: "", shape: shape, sourceDType: "F32", values: values), config: config, threads: threads)
    }

    /// Quantizes the tensor `reader` reads, into memory.
    public static func quantize(_ reader: any TensorReader, config: QuantConfig,
                                threads: Int = Parallel.defaultThreads) throws(QuantError) -> QuantizedTensor {
        let info = reader.info
        let (rows, cols) = Analyzer.shape2D(info.shape)
        try config.validate(cols: cols)
        let grouping = Grouping(count: info.count, rows: rows, cols: cols, block: config.block)
        let plan = ChunkPlan(grouping: grouping, granularity: reader.granularity)
        return try uncancellable("a quantization") {
            let profile = config.dtype.traits.needsTensorAbsmax ? try TensorProfile.compute(reader, threads: threads) : TensorProfile.empty
            let prepared = try config.dtype.entry.engine.prepare(reader, config, profile, plan, threads, .never)
            return try prepared.materialize(reader, threads: threads)
        }
    }
}
