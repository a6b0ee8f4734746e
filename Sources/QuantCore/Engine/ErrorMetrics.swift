/// How far the dequantized values are from the originals, and what they cost to store.
///
/// Definitions (docs/ARCHITECTURE.md): `sqnr_db = 10·log10(Σx² / Σ(x−x̂)²)`,
/// `rel_fro_err = ‖x−x̂‖ / ‖x‖`, `cosine = ⟨x, x̂⟩ / (‖x‖·‖x̂‖)`. Elements whose
/// input is NaN or ±Inf are left out; `excluded` says how many.
public struct ErrorMetrics: Sendable, Equatable {
    public var mse: Double
    public var rmse: Double
    public var mae: Double
    public var maxAbsErr: Double
    public var sqnrDB: Double
    public var cosine: Double
    public var relFroErr: Double
    public var bitsPerParam: Double
    public var bytes: Int
    /// Shannon entropy of the code usage, in bits per element (what an ideal entropy coder would need).
    public var codeEntropyBits: Double
    /// Number of distinct codes used.
    public var codesUsed: Int
    /// Elements left out because the input was not finite.
    public var excluded: Int

    /// Sums over the included elements, accumulated per chunk and merged.
    struct Sums: Sendable {
        var n = 0
        var sx2 = 0.0, se2 = 0.0, sae = 0.0, sxy = 0.0, sy2 = 0.0
        var maxErr = 0.0

        mutating func merge(_ o: Sums) {
            n += o.n; sx2 += o.sx2; se2 += o.se2; sae += o.sae; sxy += o.sxy; sy2 += o.sy2
            maxErr = Swift.max(maxErr, o.maxErr)
        }
    }

    init(sums s: Sums, excluded: Int, bitsPerParam: Double, bytes: Int, usage: [Int]) {
        let n = Double(Swift.max(s.n, 1))
        mse = s.n > 0 ? s.se2 / n : .nan
        rmse = mse.squareRoot()
        mae = s.n > 0 ? s.sae / n : .nan
        maxAbsErr = s.n > 0 ? s.maxErr : .nan
        sqnrDB = s.n > 0 ? 10 * (s.sx2 / s.se2).log10 : .nan
        let denom = (s.sx2 * s.sy2).squareRoot()
        cosine = denom > 0 ? s.sxy / denom : (s.sx2 == 0 && s.sy2 == 0 && s.n > 0 ? 1 : .nan)
        relFroErr = s.sx2 > 0 ? (s.se2 / s.sx2).squareRoot() : (s.se2 == 0 && s.n > 0 ? 0 : .nan)
        self.bitsPerParam = bitsPerParam
        self.bytes = bytes
        self.excluded = excluded
        let total = Double(usage.reduce(0, +))
        var h = 0.0
        var used = 0
        for c in usage where c > 0 {
            used += 1
            let p = Double(c) / total
            h -= p * p.log2
        }
        codeEntropyBits = total > 0 ? Swift.max(h, 0) : 0
        codesUsed = used
    }
}

extension Double {
    var log10: Double { Foundation.log10(self) }
    var log2: Double { Foundation.log2(self) }
}

import Foundation
