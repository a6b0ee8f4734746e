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

    public init(levels: [Float], boundaries: [Float]? = nil, domainLabel: String) {
        self.levels = levels
        self.domainLabel = domainLabel
        if let boundaries {
            self.boundaries = boundaries
        } else {
            let sorted = Array(Set(levels.filter { $0.isFinite }.map { $0 == 0 ? 0 : $0 })).sorted()
            self.boundaries = zip(sorted, sorted.dropFirst()).map { ($0 + $1) * 0.5 }
        }
    }
}

/// A short decimal for labels (no trailing zeros).
func formatShort(_ x: Float) -> String {
    if x == x.rounded() && abs(x) < 1e7 { return String(Int(x)) }
    return String(x)
}
