import QuantCore
import TUI
import TensorCore

/// An LLM.int8() study of one weight against one activation tensor, at several thresholds.
public struct Int8Study: Sendable {
    public var weight: String
    public var activations: String
    public var tokens: Int
    /// Column absmax of the activations (what the threshold is compared with).
    public var columnAbsmax: [Float]
    /// Results at `thresholds`, ascending; threshold 0 means no decomposition.
    public var results: [Int8Decomposition.Result]

    /// The study multiplies the whole weight: weights of up to this many values.
    public static let maxValues = 64 << 20

    /// The thresholds the study evaluates: the ones a user reaches with o / O from 6.
    public static let thresholds: [Float] = [0, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30]

    public init(weight: String, activations: String, tokens: Int, columnAbsmax: [Float], results: [Int8Decomposition.Result]) {
        self.weight = weight
        self.activations = activations
        self.tokens = tokens
        self.columnAbsmax = columnAbsmax
        self.results = results
    }

    /// Runs the study of `weight` (`[out, in]`) against `activations` (`[tokens, in]`, any leading
    /// axes folded into tokens) at `thresholds`.
    public static func run(weight: Tensor, activations: Tensor, activationsLabel: String,
                           thresholds: [Float] = Int8Study.thresholds) throws(Int8DecompositionError) -> Int8Study {
        let d = try Int8Decomposition(activations: activations.values, tokens: activations.rows, weight: weight.values,
                                      outFeatures: weight.rows, inFeatures: weight.cols)
        let colMax = activations.values.withUnsafeBufferPointer {
            OutlierColumns.find($0, rows: activations.rows, cols: activations.cols).columnAbsmax
        }
        return Int8Study(weight: weight.name, activations: activationsLabel, tokens: activations.rows,
                         columnAbsmax: colMax, results: d.evaluate(thresholds: thresholds))
    }

    /// The result at the threshold nearest `t`.
    public func result(near t: Float) -> Int8Decomposition.Result? {
        results.min { abs($0.threshold - t) < abs($1.threshold - t) }
    }
}
