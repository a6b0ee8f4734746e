import Foundation
import TensorCore

/// Deterministic synthetic tensors for teaching: a distribution, a shape, and outlier columns
/// injected at known indices.
///
/// The generator is xoshiro256** seeded through SplitMix64, so a seed gives the same
/// tensor on every machine and every run.
public struct SyntheticTensor: Sendable {
    public enum Distribution: String, CaseIterable, Sendable {
        case normal, laplace, studentT = "student-t", uniform
    }

    public var distribution: Distribution
    public var rows: Int
    public var cols: Int
    public var outlierColumns: Int
    public var outlierScale: Float
    public var seed: UInt64
    /// Degrees of freedom of the Student-t distribution.
    public var degreesOfFreedom: Int

    public init(distribution: Distribution, rows: Int, cols: Int, outlierColumns: Int = 0, outlierScale: Float = 20,
                seed: UInt64 = 0, degreesOfFreedom: Int = 3) {
        self.distribution = distribution
        self.rows = rows
        self.cols = cols
        self.outlierColumns = outlierColumns
        self.outlierScale = outlierScale
        self.seed = seed
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// The columns that get scaled: distinct, sorted, chosen by the seed.
    public var outlierIndices: [Int] {
        var rng = Xoshiro(seed: seed ^ 0x5EED_0F_0D71E5)
        var chosen = Set<Int>()
        while chosen.count < min(outlierColumns, cols) { chosen.insert(Int(rng.next() % UInt64(cols))) }
        return chosen.sorted()
    }

    /// Generates the tensor (row-major `[rows, cols]`).
    public func make(name: String = "synthetic") -> Tensor {
        var rng = Xoshiro(seed: seed)
        var values = [Float](repeating: 0, count: rows * cols)
        for i in values.indices {
            switch distribution {
            case .normal: values[i] = Float(rng.normal())
            case .laplace:
                let u = rng.uniform() - 0.5
                values[i] = Float(-(u < 0 ? -1.0 : 1.0) * log(1 - 2 * abs(u)) / 2.0.squareRoot()) // unit variance
            case .studentT:
                var chi2 = 0.0
                for _ in 0..<degreesOfFreedom { let z = rng.normal(); chi2 += z * z }
                values[i] = Float(rng.normal() / (chi2 / Double(degreesOfFreedom)).squareRoot())
            case .uniform: values[i] = Float(rng.uniform() * 2 - 1)
            }
        }
        for c in outlierIndices {
            for r in 0..<rows { values[r * cols + c] *= outlierScale }
        }
        return Tensor(name: name, shape: [rows, cols], sourceDType: "F32", values: values)
    }
}

/// xoshiro256** with SplitMix64 seeding.
struct Xoshiro {
    var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller, one value per call).
    mutating func normal() -> Double {
        let u1 = max(uniform(), 0x1p-60), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
