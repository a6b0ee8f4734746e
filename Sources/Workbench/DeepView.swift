import QuantCore
import TensorCore
import TensorIO

/// The deep-dive views: each replaces the panes until Esc (docs/ARCHITECTURE.md, keys i s a m u e).
public enum DeepView: String, Sendable, CaseIterable {
    /// One block at a time: values, scale, codes, dequantized values and errors.
    case inspector
    /// Datatypes × block sizes: bits per parameter against SQNR, with the Pareto frontier.
    case sweep
    /// The pinned and the current configuration side by side.
    case comparison
    /// LLM.int8(): the matmul error with and without the 16-bit outlier columns.
    case int8
    /// SpQR-style isolation: the top p % of weights kept in 16-bit.
    case isolation
    /// What the current datatype and metrics mean, with the numbers on screen.
    case explanation

    public var title: String {
        switch self {
        case .inspector: "block inspector"
        case .sweep: "sweep frontier"
        case .comparison: "A/B: pinned and current"
        case .int8: "LLM.int8() decomposition"
        case .isolation: "outlier isolation (SpQR-style)"
        case .explanation: "explanation"
        }
    }
}

/// A sweep of one tensor, as the sweep view shows it.
public struct SweepResult: Sendable {
    public var tensor: String
    public var sweep: Sweep
    /// Whether the rows come from a sample of the tensor (the exact sweep follows).
    public var isEstimate: Bool

    public init(tensor: String, sweep: Sweep, isEstimate: Bool = false) {
        self.tensor = tensor
        self.sweep = sweep
        self.isEstimate = isEstimate
    }

    /// The rows as the view lists them: by cost, as `qscope sweep` prints them.
    public var sortedRows: [Sweep.Row] { sweep.rowsByCost }
}

/// Where an activation tensor for the LLM.int8() view comes from.
public struct ActivationSource: Sendable, Equatable {
    /// The file that holds it (the open file, or a companion activations file).
    public var file: String
    public var info: TensorInfo

    public init(file: String, info: TensorInfo) {
        self.file = file
        self.info = info
    }

    public static func == (a: ActivationSource, b: ActivationSource) -> Bool { a.file == b.file && a.info.name == b.info.name }

    /// The activation tensor to pair with `weight` (`[out, in]`): a 2-D float tensor with `in` columns,
    /// preferring the one named after the layer (`NAME.weight` ↔ `NAME.input`), then any hidden states,
    /// then the first that fits. nil when the weight is not 2-D or nothing fits.
    public static func match(for weight: TensorInfo, among candidates: [ActivationSource]) -> ActivationSource? {
        guard weight.shape.count == 2 else { return nil }
        let inFeatures = weight.shape[1]
        let fits = candidates.filter {
            $0.info.shape.count == 2 && $0.info.shape[1] == inFeatures && $0.info.isFloatConvertible
                && $0.info.count > 0 && $0.info.name != weight.name
        }
        let layer = weight.name.hasSuffix(".weight") ? String(weight.name.dropLast(".weight".count)) : weight.name
        return fits.first { $0.info.name == layer + ".input" }
            ?? fits.first { $0.info.name.hasPrefix("hidden_states") }
            ?? fits.first
    }
}

/// Outlier isolation of one tensor and configuration, ranked both ways.
public struct IsolationResult: Sendable {
    public var key: AnalysisKey
    public var byMagnitude: OutlierIsolation
    public var byError: OutlierIsolation

    public init(key: AnalysisKey, byMagnitude: OutlierIsolation, byError: OutlierIsolation) {
        self.key = key
        self.byMagnitude = byMagnitude
        self.byError = byError
    }

    /// The shape of the whole tensor when the curves come from evenly spread rows of it; nil when
    /// every value was used.
    public var sampledFrom: [Int]?

    /// The isolation study reads the tensor whole and ranks every value: above this many values it
    /// runs on evenly spread rows.
    public static let maxValues = 16 << 20

    /// Runs both rankings of `tensor` under `key.config` at the default percentages (0 … 2 %).
    public static func run(_ tensor: Tensor, key: AnalysisKey, rowsOf whole: [Int]? = nil) throws(OutlierIsolationError) -> IsolationResult {
        var r = IsolationResult(key: key,
                                byMagnitude: try OutlierIsolation(tensor.values, rows: tensor.rows, cols: tensor.cols, config: key.config, by: .magnitude),
                                byError: try OutlierIsolation(tensor.values, rows: tensor.rows, cols: tensor.cols, config: key.config, by: .error))
        r.sampledFrom = whole
        return r
    }

    /// The tensor, or evenly spread whole rows of it holding at most about `limit` values.
    public static func sampleRows(_ reader: any TensorReader, limit: Int) -> Tensor {
        let info = reader.info
        guard info.count > limit, info.shape.count >= 2 else { return reader.materialize() }
        let cols = info.shape.last!
        let rows = info.count / cols
        let take = Swift.max(1, Swift.min(rows, limit / cols))
        var values = [Float](repeating: 0, count: take * cols)
        values.withUnsafeMutableBufferPointer { out in
            for k in 0..<take {
                let r = take == 1 ? 0 : k * (rows - 1) / (take - 1)
                reader.read((r * cols)..<((r + 1) * cols), into: UnsafeMutableBufferPointer(rebasing: out[(k * cols)..<((k + 1) * cols)]))
            }
        }
        return Tensor(name: info.name, shape: [take, cols], sourceDType: info.dtype, values: values)
    }
}
