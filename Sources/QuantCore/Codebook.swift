import TensorCore

/// What a datatype's codes mean in the normalised domain (x ÷ its block's scale).
///
/// The UI draws `levels` and `boundaries` over the normalised histogram: there
/// they are fixed, so NF4's normal-quantile spacing or int4's even spacing is
/// visible whatever the block. Code usage is counted per code index.
public struct Codebook: Sendable {
    /// Value of each code index in the normalised domain (NaN for a pattern that is not a number).
    public let levels: [Float]
    /// Sorted decision boundaries between neighbouring distinct levels.
    public let boundaries: [Float]
    /// What "normalised" means for this datatype, for axis labels.
    public let domainLabel: String

    /// Number of code indices (2^bits for coded types, 0 for casts).
    public var codeCount: Int { levels.count }

    /// Sorted distinct finite levels.
    public var sortedLevels: [Float] {
        Array(Set(levels.filter { $0.isFinite }.map { $0 == 0 ? 0 : $0 })).sorted()
    }

    init(levels: [Float], boundaries: [Float]? = nil, domainLabel: String) {
        self.levels = levels
        self.domainLabel = domainLabel
        if let boundaries {
            self.boundaries = boundaries
        } else {
            let sorted = Array(Set(levels.filter { $0.isFinite }.map { $0 == 0 ? 0 : $0 })).sorted()
            self.boundaries = zip(sorted, sorted.dropFirst()).map { ($0 + $1) * 0.5 }
        }
    }

    /// The codebook of a datatype; `quantileTable` is required for the quantile datatypes.
    static func make(for dtype: DataType, quantileTable: [Float]? = nil) -> Codebook {
        switch dtype.family {
        case .symmetricInt(let bits):
            let q = (1 << (bits - 1)) - 1
            let levels = (0...(2 * q)).map { Float($0 - q) / Float(q) }
            return Codebook(levels: levels, domainLabel: "x ÷ absmax")
        case .asymmetricInt(let bits):
            let levels = (0..<(1 << bits)).map { Float($0) }
            return Codebook(levels: levels, domainLabel: "x ÷ scale + zero")
        case .table:
            switch dtype {
            case .nf4: return Codebook(levels: CodeTables.nf4, domainLabel: "x ÷ absmax")
            case .fp4:
                let t = CodeTables.fp4Thresholds
                return Codebook(levels: CodeTables.fp4, boundaries: t.reversed().map { -$0 } + t,
                                domainLabel: "x ÷ absmax")
            case .dynamic8Unsigned: return Codebook(levels: CodeTables.dynamicUnsigned, domainLabel: "x ÷ absmax")
            default: return Codebook(levels: CodeTables.dynamicSigned, domainLabel: "x ÷ absmax")
            }
        case .quantile:
            return Codebook(levels: quantileTable ?? [], domainLabel: "x ÷ absmax")
        case .scaledFloat(let f):
            return Codebook(levels: f.codeValues, domainLabel: "x ÷ (absmax / \(formatShort(f.maxValue)))")
        case .microscaling(let f):
            if let f { return Codebook(levels: f.codeValues, domainLabel: "x ÷ 2^e (E8M0)") }
            let levels = (0..<256).map { Float(Int8(truncatingIfNeeded: $0)) / 64 }
            return Codebook(levels: levels, domainLabel: "x ÷ 2^e (E8M0)")
        case .nvfp4:
            return Codebook(levels: ElementFormat.e2m1.codeValues, domainLabel: "x ÷ (E4M3 block scale · fp32 tensor scale)")
        case .ggml:
            switch dtype {
            case .q8_0: return Codebook(levels: (0..<256).map { Float(Int8(truncatingIfNeeded: $0)) }, domainLabel: "x ÷ d")
            case .q4_0: return Codebook(levels: (0..<16).map { Float($0 - 8) }, domainLabel: "x ÷ d")
            case .q5_0: return Codebook(levels: (0..<32).map { Float($0 - 16) }, domainLabel: "x ÷ d")
            case .q6K: return Codebook(levels: (0..<64).map { Float($0 - 32) }, domainLabel: "x ÷ (d · largest sub-block scale)")
            case .q4K: return Codebook(levels: (0..<16).map { Float($0) }, domainLabel: "(x + m) ÷ (d · sc), largest-scale sub-block")
            default: return Codebook(levels: (0..<16).map { Float($0) }, domainLabel: "(x − min) ÷ d")
            }
        case .cast:
            return Codebook(levels: [], boundaries: [], domainLabel: "x")
        }
    }
}

/// A short decimal for labels (no trailing zeros).
func formatShort(_ x: Float) -> String {
    if x == x.rounded() && abs(x) < 1e7 { return String(Int(x)) }
    return String(x)
}
