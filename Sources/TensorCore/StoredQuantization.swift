/// How a file stores a tensor that it holds quantized: the datatype, its scaling and where the parts lie.
///
/// A bitsandbytes checkpoint keeps an NF4 weight as packed nibbles plus side tensors (absmax, the code
/// table, the quant-state JSON); qscope lists and reads the weight as one tensor of its logical shape,
/// and this tells a caller what it was stored as, so that the workbench can open it in its own format
/// and `list` can say so.
public struct StoredQuantization: Sendable, Equatable {
    /// Which elements share one scale.
    public enum Scaling: Sendable, Equatable {
        /// Consecutive elements of the row-major flattened tensor, the last block maybe partial.
        case block(Int)
        /// One scale per row (the last axis is the row), as LLM.int8()'s vector-wise weights.
        case row
    }

    /// The datatype as qscope's `--dtype` spells it (`nf4`, `fp4`, `int8`).
    public let dtype: String
    public let scaling: Scaling
    /// Whether the per-block absmax is itself quantized (bitsandbytes' `compress_statistics`).
    public let doubleQuant: Bool
    /// The block of the nested absmax quantization (256 in bitsandbytes), when `doubleQuant`.
    public let nestedBlock: Int?
    /// The dtype the layout dequantizes to (`bfloat16`, `float16`, `float32`): the values qscope reads
    /// are rounded to it, as the library that wrote the file returns them.
    public let dequantizedDType: String?
    /// Whose serialisation this is (`bitsandbytes`).
    public let layout: String
    /// The file's own tensors that hold it: the codes first, then the side tensors.
    public let parts: [String]

    public init(dtype: String, scaling: Scaling, doubleQuant: Bool = false, nestedBlock: Int? = nil,
                dequantizedDType: String? = nil, layout: String, parts: [String]) {
        self.dtype = dtype
        self.scaling = scaling
        self.doubleQuant = doubleQuant
        self.nestedBlock = nestedBlock
        self.dequantizedDType = dequantizedDType
        self.layout = layout
        self.parts = parts
    }

    /// `bitsandbytes nf4, block 64, double quant (256), bfloat16`, for lists and titles.
    public var summary: String {
        var s = "\(layout) \(dtype)"
        switch scaling {
        case .block(let n): s += ", block \(n)"
        case .row: s += ", per row"
        }
        if doubleQuant { s += ", double quant" + (nestedBlock.map { " (\($0))" } ?? "") }
        if let d = dequantizedDType { s += ", \(d)" }
        return s
    }
}
