/// A tensor materialised as `Float` values in row-major order.
///
/// Every file format converts into this one shape so that the engine sees a
/// single representation. An N-D tensor is viewed as 2-D `[rows, cols]` with
/// `cols` the last axis, as in docs/ARCHITECTURE.md: for a weight stored
/// `[out_features, in_features]` the columns are the input features, where
/// LLM.int8() outlier features live.
public struct Tensor: Sendable {
    /// The tensor's name in its file (a `.npy` file's stem for a lone array).
    public var name: String
    /// Row-major (NumPy/PyTorch order) dimensions; `[]` for a scalar.
    public var shape: [Int]
    /// The file's own name for the stored dtype (`F32`, `BF16`, `<f4`, ...).
    public var sourceDType: String
    /// The values, converted to `Float`, row-major.
    public var values: [Float]

    public init(name: String, shape: [Int], sourceDType: String, values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape does not match the value count")
        self.name = name
        self.shape = shape
        self.sourceDType = sourceDType
        self.values = values
    }

    /// Number of elements.
    public var count: Int { values.count }

    /// Length of the last axis (1 for a scalar).
    public var cols: Int { shape.last ?? 1 }

    /// Product of every axis but the last (1 for 0-D and 1-D tensors).
    public var rows: Int { shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *) }
}
