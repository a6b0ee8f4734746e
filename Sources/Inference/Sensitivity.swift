import Foundation
import QuantCore

/// One tensor quantized alone (every other weight fp32): its end-to-end effect beside the two local
/// stand-ins for it, the weight's SQNR and the SQNR of its layer's output.
public struct SensitivityRow: Sendable {
    public var tensor: String
    public var config: QuantConfig
    /// 1 − the mean cosine between the sentence embeddings and the fp32 ones.
    public var oneMinusCosine: Double
    /// 10·log10(Σw² / Σ(w − ŵ)²).
    public var weightSQNR: Double
    /// 10·log10(Σ(XWᵀ)² / Σ(XWᵀ − XŴᵀ)²) on the layer's fp32 inputs X for the sentence set (for an embedding
    /// table: the looked-up rows of the batch's tokens).
    public var outputSQNR: Double
    /// 1 = the largest end-to-end effect.
    public var rankEndToEnd: Int
    /// 1 = the lowest weight SQNR.
    public var rankWeight: Int
    /// 1 = the lowest output SQNR.
    public var rankOutput: Int
    /// Whether the end-to-end rank is more than `Sensitivity.disagreementPlaces` places from the weight rank.
    public var disagreeWeight: Bool
    /// Whether the end-to-end rank is more than `Sensitivity.disagreementPlaces` places from the output rank.
    public var disagreeOutput: Bool
    /// Either: a local measure would have placed this tensor elsewhere.
    public var disagree: Bool { disagreeWeight || disagreeOutput }
}

/// Per-tensor sensitivity: which single tensor's quantization moves the embeddings most, and whether
/// the weight-space and layer-output errors would have said so.
public enum Sensitivity {
    /// Rankings "disagree" when they are more than this many places apart.
    public static let disagreementPlaces = 5

    /// Quantizes each tensor of `recipe` alone and measures it; rows sorted by end-to-end effect, largest first.
    ///
    /// - Parameter evaluator: built with `capture: true` (the output SQNR needs the Linear inputs).
    /// - Parameter progress: called with (done, total) after each tensor.
    public static func measure(_ evaluator: Evaluator, recipe: Recipe,
                               progress: (Int, Int) -> Void = { _, _ in }) throws(InferenceError) -> [SensitivityRow] {
        let model = evaluator.encoder.model
        var rows: [SensitivityRow] = []
        for (i, entry) in recipe.entries.enumerated() {
            let single = Recipe(label: recipe.label, entries: [entry])
            let weights = try single.quantize(model, threads: evaluator.threads)
            let deq = weights.replacements[entry.tensor]!
            let loss = try evaluator.meanCosineLoss(replacing: weights.replacements)
            let output = outputSQNR(evaluator, tensor: entry.tensor, dequantized: deq)
            rows.append(SensitivityRow(tensor: entry.tensor, config: entry.config, oneMinusCosine: loss,
                                       weightSQNR: weights.tensors[0].sqnrDB, outputSQNR: output,
                                       rankEndToEnd: 0, rankWeight: 0, rankOutput: 0, disagreeWeight: false, disagreeOutput: false))
            progress(i + 1, recipe.entries.count)
        }
        return ranked(rows)
    }

    /// How well each local measure orders the tensors as their end-to-end effect does: Spearman's correlation
    /// of 1 − cos with −(weight SQNR) and with −(output SQNR) (1: the same order; nan for fewer than two rows).
    public static func rankAgreement(_ rows: [SensitivityRow]) -> (weight: Double, output: Double) {
        let loss = rows.map(\.oneMinusCosine)
        return (EmbeddingStatistics.spearman(loss, rows.map { -$0.weightSQNR }),
                EmbeddingStatistics.spearman(loss, rows.map { -$0.outputSQNR }))
    }

    /// Fills the three ranks and the disagreement flag, and sorts by end-to-end effect.
    static func ranked(_ input: [SensitivityRow]) -> [SensitivityRow] {
        var rows = input
        func rank(_ order: [Int], _ set: (inout SensitivityRow, Int) -> Void) {
            for (r, i) in order.enumerated() { set(&rows[i], r + 1) }
        }
        let idx = Array(rows.indices)
        rank(idx.sorted { rows[$0].oneMinusCosine > rows[$1].oneMinusCosine }) { $0.rankEndToEnd = $1 }
        rank(idx.sorted { rows[$0].weightSQNR < rows[$1].weightSQNR }) { $0.rankWeight = $1 }
        rank(idx.sorted { rows[$0].outputSQNR < rows[$1].outputSQNR }) { $0.rankOutput = $1 }
        for i in rows.indices {
            rows[i].disagreeWeight = abs(rows[i].rankEndToEnd - rows[i].rankWeight) > disagreementPlaces
            rows[i].disagreeOutput = abs(rows[i].rankEndToEnd - rows[i].rankOutput) > disagreementPlaces
        }
        return rows.sorted { $0.rankEndToEnd < $1.rankEndToEnd }
    }

    /// The SQNR of the layer output with the dequantized weight against the fp32 one, on the captured inputs.
    static func outputSQNR(_ evaluator: Evaluator, tensor: String, dequantized: [Float]) -> Double {
        let model = evaluator.encoder.model
        let w = model.tensors[tensor]!
        if let capture = evaluator.reference.captures[tensor] {
            // X·Wᵀ and X·(W − Ŵ)ᵀ: the error product directly, so no cancellation between two large outputs.
            var diff = [Float](repeating: 0, count: w.count)
            for i in w.indices { diff[i] = w[i] - dequantized[i] }
            let m = capture.rows, n = capture.outFeatures, k = capture.inFeatures
            var signal = [Float](repeating: 0, count: m * n), noise = [Float](repeating: 0, count: m * n)
            let pw = model.packed[tensor] ?? PackedWeight(w, outFeatures: n, inFeatures: k)
            let pd = PackedWeight(diff, outFeatures: n, inFeatures: k)
            capture.input.withUnsafeBufferPointer { x in
                signal.withUnsafeMutableBufferPointer { y in
                    MatrixProduct.linear(x.baseAddress!, rows: m, weight: pw, bias: nil, into: y.baseAddress!, threads: evaluator.threads)
                }
                noise.withUnsafeMutableBufferPointer { y in
                    MatrixProduct.linear(x.baseAddress!, rows: m, weight: pd, bias: nil, into: y.baseAddress!, threads: evaluator.threads)
                }
            }
            return ratioDB(signal, noise)
        }
        // An embedding table: the rows the batch looks up (token ids, positions, token type 0).
        let h = model.config.hiddenSize, batch = evaluator.reference.batch
        var rowsUsed: [Int] = []
        switch tensor {
        case BertModel.embeddingNames[0]: rowsUsed = batch.ids.map { Int($0) }
        case BertModel.embeddingNames[1]: rowsUsed = (0..<batch.sentenceCount).flatMap { Array(0..<batch.tokens(of: $0).count) }
        default: rowsUsed = Array(repeating: 0, count: batch.tokenCount)
        }
        var s = [Float](), e = [Float]()
        s.reserveCapacity(rowsUsed.count * h); e.reserveCapacity(rowsUsed.count * h)
        for r in rowsUsed { for i in 0..<h { s.append(w[r * h + i]); e.append(w[r * h + i] - dequantized[r * h + i]) } }
        return ratioDB(s, e)
    }

    /// 10·log10(Σs² / Σe²); +∞ without error.
    static func ratioDB(_ s: [Float], _ e: [Float]) -> Double {
        var a = 0.0, b = 0.0
        for v in s { a += Double(v) * Double(v) }
        for v in e { b += Double(v) * Double(v) }
        return b == 0 ? .infinity : 10 * log10(a / b)
    }
}
