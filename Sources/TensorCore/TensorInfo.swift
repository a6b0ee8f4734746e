/// What a file says about one tensor, before any of its data is read.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    /// The file's own name for the dtype (`F32`, `BF16`, `<f4`, ...).
    public let dtype: String
    /// Row-major dimensions (`[]` for a scalar).
    public let shape: [Int]
    /// Number of elements (1 for a scalar).
    public let count: Int
    /// Bytes the data takes in the file.
    public let byteCount: Int
    /// Whether qscope can read the values as numbers.
    public let isFloatConvertible: Bool
    /// Set when the file holds the tensor quantized in a layout qscope reads as one tensor (a
    /// bitsandbytes NF4/FP4/int8 weight): what it is stored as. `dtype` then names the datatype (`NF4`).
    public let storedQuantization: StoredQuantization?

    /// Whether the stored values are integers (ids, counts, masks) rather than floating point or quantized
    /// floating point; `scan` skips these.
    public var isInteger: Bool {
        if ["I8", "U8", "I16", "U16", "I32", "U32", "I64", "U64", "BOOL"].contains(dtype) { return true }
        let code = dtype.drop { "<>|=".contains($0) }
        return dtype != code && (code.hasPrefix("i") || code.hasPrefix("u") || code.hasPrefix("b"))
    }

    public init(name: String, dtype: String, shape: [Int], count: Int, byteCount: Int, isFloatConvertible: Bool,
                storedQuantization: StoredQuantization? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.count = count
        self.byteCount = byteCount
        self.isFloatConvertible = isFloatConvertible
        self.storedQuantization = storedQuantization
    }
}
