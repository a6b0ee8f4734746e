import Foundation
import TensorCore

/// The LLM.int8() matmul study: how much of a layer's output error the mixed-precision
/// decomposition removes, compared with plain vector-wise int8.
///
/// A is `[tokens, in]` (activations), W is `[out, in]` (a linear layer's weight), and the layer
/// computes Y = A·Wᵀ. Three versions of Y are compared:
///
/// - the reference, in fp32: every product in Double, accumulated in Double, rounded once to Float
///   (so the reference carries no accumulation error of its own);
/// - int8 vector-wise: A quantized by rows and W by rows (`Int8Vectorwise`, threshold 0),
///   `Ŷ = f32(Σ qA·qW, exact integers) · (rowStatA · rowStatW) · f32(1 / (127·127))`, all in fp32;
/// - LLM.int8() with threshold T: the columns of A holding any |a| ≥ T, and the matching columns
///   of W, are multiplied in 16-bit (both rounded to fp16, products accumulated in fp32 over the
///   outlier columns in ascending order); the other columns go through the int8 path, with A's row
///   statistics taken without the outlier elements (`Int8Vectorwise.quantize(threshold:)`). The two
///   parts are added in fp32. T = 0 means no decomposition, which is int8 vector-wise again.
///
/// bitsandbytes' own `MatMul8bitLt` takes the outlier part of W from its int8-dequantized weights,
/// not from the original W; this study uses the original W rounded to fp16, which is what the method
/// in the paper describes and what isolates the effect of the decomposition on A.
///
/// The reference and the int8 vector-wise result do not depend on T, so they are computed once when
/// the study is made; `evaluate(threshold:)` then costs one quantization of A and one int8 matmul.
public struct Int8Decomposition: Sendable {
    /// How far one method's Y is from the fp32 reference.
    public struct MatmulError: Sendable, Equatable {
        /// ‖Y − Ŷ‖_F / ‖Y‖_F (0 when Y is all zeros and Ŷ matches it).
        public var relFroErr: Double
        /// max |Y − Ŷ| over the output.
        public var maxAbsErr: Double
    }

    /// The study at one threshold.
    public struct Result: Sendable, Equatable {
        public var threshold: Float
        /// Columns of A (input features) computed in 16-bit, ascending.
        public var outlierColumns: [Int]
        /// `outlierColumns.count / inFeatures` (0…1).
        public var fraction16Bit: Double
        public var int8Vectorwise: MatmulError
        public var llmInt8: MatmulError
    }

    public let tokens: Int
    public let inFeatures: Int
    public let outFeatures: Int
    /// Plain int8 vector-wise error (independent of the threshold).
    public let int8Vectorwise: MatmulError

    let activations: [Float]
    let weight: [Float]
    /// A and W rounded to fp16 (for the outlier columns).
    let activationsHalf: [Float]
    let weightHalf: [Float]
    /// W's int8 codes (as Int32, so the inner loop needs no conversion) and row statistics.
    let weightCodes: [Int32]
    let weightStats: [Float]
    /// The fp32 reference output, `[tokens, out]`.
    let reference: [Float]

    /// `f32(1 / (127 · 127))`, the factor that undoes both int8 scalings.
    static let dequantFactor = Float(1.0 / (127.0 * 127.0))

    /// Prepares the study of `activations` (`[tokens, inFeatures]`) against `weight` (`[outFeatures, inFeatures]`).
    ///
    /// - Throws: `Int8DecompositionError` when the value counts do not match the shapes or a size is 0.
    public init(activations: [Float], tokens: Int, weight: [Float], outFeatures: Int,
                inFeatures: Int, threads: Int = Parallel.defaultThreads) throws(Int8DecompositionError) {
        guard tokens > 0, outFeatures > 0, inFeatures > 0 else {
            throw .empty(tokens: tokens, outFeatures: outFeatures, inFeatures: inFeatures)
        }
        guard activations.count == tokens * inFeatures else {
            throw .valueCount(operand: "activations", expected: tokens * inFeatures, given: activations.count)
        }
        guard weight.count == outFeatures * inFeatures else {
            throw .valueCount(operand: "weight", expected: outFeatures * inFeatures, given: weight.count)
        }
        self.tokens = tokens
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.activations = activations
        self.weight = weight
        activationsHalf = activations.map(HalfPrecision.roundToHalf)
        weightHalf = weight.map(HalfPrecision.roundToHalf)
        let qW = Int8Vectorwise.quantize(weight, rows: outFeatures, cols: inFeatures, threshold: 0)
        weightCodes = qW.codes.map { Int32($0) }
        weightStats = qW.rowStats
        reference = Int8Decomposition.referenceProduct(activations, weight, tokens: tokens, out: outFeatures,
                                                       inner: inFeatures, threads: threads)
        let y8 = Int8Decomposition.int8Product(activations, tokens: tokens, inner: inFeatures, threshold: 0,
                                               weightCodes: weightCodes, weightStats: weightStats,
                                               out: outFeatures, threads: threads).output
        int8Vectorwise = Int8Decomposition.error(of: y8, against: reference)
    }

    /// The study at threshold `threshold` (0, negative or NaN: no decomposition).
    public func evaluate(threshold: Float, threads: Int = Parallel.defaultThreads) -> Result {
        let t: Float = threshold > 0 ? threshold : 0
        let (y8, outliers) = Int8Decomposition.int8Product(activations, tokens: tokens, inner: inFeatures, threshold: t,
                                                           weightCodes: weightCodes, weightStats: weightStats,
                                                           out: outFeatures, threads: threads)
        var y = y8
        if !outliers.isEmpty {
            addHalfPart(outliers, into: &y, threads: threads)
        }
        return Result(threshold: threshold, outlierColumns: outliers,
                      fraction16Bit: Double(outliers.count) / Double(inFeatures),
                      int8Vectorwise: int8Vectorwise, llmInt8: Int8Decomposition.error(of: y, against: reference))
    }

    /// The study at each threshold (for a view that moves the threshold).
    public func evaluate(thresholds: [Float], threads: Int = Parallel.defaultThreads) -> [Result] {
        thresholds.map { evaluate(threshold: $0, threads: threads) }
    }

    /// Prepares and evaluates in one call.
    public static func study(activations: [Float], tokens: Int, weight: [Float], outFeatures: Int, inFeatures: Int,
                             threshold: Float) throws(Int8DecompositionError) -> Result {
        try Int8Decomposition(activations: activations, tokens: tokens, weight: weight, outFeatures: outFeatures,
                              inFeatures: inFeatures).evaluate(threshold: threshold)
    }

    /// Adds Σ over the outlier columns of f16(A)·f16(W), accumulated in fp32 in ascending column
    /// order, to `y`. The outlier columns are gathered into contiguous rows first, so the inner loop
    /// is a plain pointer walk however many there are.
    private func addHalfPart(_ cols: [Int], into y: inout [Float], threads: Int) {
        let k = cols.count, inner = inFeatures, out = outFeatures, tokens = tokens
        var ga = [Float](repeating: 0, count: tokens * k)
        var gw = [Float](repeating: 0, count: out * k)
        activationsHalf.withUnsafeBufferPointer { ab in
            for t in 0..<tokens { for (j, c) in cols.enumerated() { ga[t * k + j] = ab[t * inner + c] } }
        }
        weightHalf.withUnsafeBufferPointer { wb in
            for o in 0..<out { for (j, c) in cols.enumerated() { gw[o * k + j] = wb[o * inner + c] } }
        }
        Self.eachOutput(ga, gw, tokens: tokens, out: out, inner: k, threads: threads, into: &y) { _, _, arow, wrow, cell in
            var s: Float = 0
            for j in 0..<k { s += arow[j] * wrow[j] }
            cell += s
        }
    }

    /// Runs `body` on every output element of A·Wᵀ (A `[tokens, inner]`, W `[out, inner]`) with the
    /// two rows it multiplies and the element of `y` to write; token rows are split across cores. The
    /// three products of the study differ only in this inner step.
    static func eachOutput<T>(_ a: [T], _ w: [T], tokens: Int, out: Int, inner: Int, threads: Int, into y: inout [Float],
                              _ body: @escaping @Sendable (_ t: Int, _ o: Int, UnsafePointer<T>, UnsafePointer<T>, inout Float) -> Void) {
        a.withUnsafeBufferPointer { ab in
            w.withUnsafeBufferPointer { wb in
                y.withUnsafeMutableBufferPointer { yb in
                    guard let a0 = ab.baseAddress, let w0 = wb.baseAddress, let y0 = yb.baseAddress else { return }
                    let ap = SharedPointer(a0), wp = SharedPointer(w0), yp = SharedMutablePointer(y0)
                    Parallel.forEachChunk(count: tokens, threads: threads) { rows in
                        for t in rows {
                            let arow = ap.base + t * inner
                            for o in 0..<out { body(t, o, arow, wp.base + o * inner, &yp.base[t * out + o]) }
                        }
                    }
                }
            }
        }
    }

    /// A·Wᵀ with products and sums in Double, rounded to Float once; token rows split across cores.
    static func referenceProduct(_ a: [Float], _ w: [Float], tokens: Int, out: Int, inner: Int, threads: Int) -> [Float] {
        // Widen once so the inner loop is plain Double multiply-adds.
        let ad = a.map(Double.init), wd = w.map(Double.init)
        var y = [Float](repeating: 0, count: tokens * out)
        eachOutput(ad, wd, tokens: tokens, out: out, inner: inner, threads: threads, into: &y) { _, _, arow, wrow, cell in
            cell = Float(dot(arow, wrow, inner))
        }
        return y
    }

    /// Four independent accumulators: a short dependency chain even without optimisation.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i + 4 <= n {
            s0 += x[i] * y[i]; s1 += x[i + 1] * y[i + 1]
            s2 += x[i + 2] * y[i + 2]; s3 += x[i + 3] * y[i + 3]
            i += 4
        }
        while i < n { s0 += x[i] * y[i]; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// The int8 part: A quantized by rows (outlier elements left out of the statistics and outlier
    /// columns dropped), times W's codes, dequantized in fp32. Returns the output and the outlier columns.
    static func int8Product(_ a: [Float], tokens: Int, inner: Int, threshold: Float, weightCodes: [Int32],
                            weightStats: [Float], out: Int, threads: Int) -> (output: [Float], outlierColumns: [Int]) {
        let qA = Int8Vectorwise.quantize(a, rows: tokens, cols: inner, threshold: threshold)
        var codes = qA.codes.map { Int32($0) }
        // Int8Vectorwise keeps a one-row matrix's outlier columns in the codes (as bitsandbytes does);
        // here they always go through the 16-bit path, so drop them for every shape.
        for c in qA.outlierColumns {
            for t in 0..<tokens { codes[t * inner + c] = 0 }
        }
        let stats = qA.rowStats
        let factor = dequantFactor
        var y = [Float](repeating: 0, count: tokens * out)
        eachOutput(codes, weightCodes, tokens: tokens, out: out, inner: inner, threads: threads, into: &y) { t, o, arow, wrow, cell in
            cell = Float(dotInt32(arow, wrow, inner)) * (stats[t] * weightStats[o]) * factor
        }
        return (y, qA.outlierColumns)
    }

    /// An exact int8 dot product: each product fits Int32 (|q| ≤ 127), the sum is kept in 64 bits so
    /// that no row length can overflow it.
    @inline(__always)
    static func dotInt32(_ x: UnsafePointer<Int32>, _ y: UnsafePointer<Int32>, _ n: Int) -> Int {
        var s0 = 0, s1 = 0, s2 = 0, s3 = 0
        var i = 0
        while i + 4 <= n {
            s0 &+= Int(x[i] &* y[i]); s1 &+= Int(x[i + 1] &* y[i + 1])
            s2 &+= Int(x[i + 2] &* y[i + 2]); s3 &+= Int(x[i + 3] &* y[i + 3])
            i += 4
        }
        while i < n { s0 &+= Int(x[i] &* y[i]); i += 1 }
        return s0 &+ s1 &+ s2 &+ s3
    }

    /// Relative Frobenius error and max absolute error of `y` against `reference`, in Double.
    static func error(of y: [Float], against reference: [Float]) -> MatmulError {
        var se = 0.0, sr = 0.0, mx = 0.0
        for (r, v) in zip(reference, y) {
            let e = Double(v) - Double(r)
            se += e * e
            sr += Double(r) * Double(r)
            if !(abs(e) <= mx) { mx = abs(e) }
        }
        let rel = sr > 0 ? (se / sr).squareRoot() : (se == 0 ? 0 : .infinity)
        return MatmulError(relFroErr: rel, maxAbsErr: mx)
    }
}

/// Why an int8 matmul study cannot be made.
public enum Int8DecompositionError: Error, Sendable, Equatable, CustomStringConvertible {
    case valueCount(operand: String, expected: Int, given: Int)
    case empty(tokens: Int, outFeatures: Int, inFeatures: Int)

    public var description: String {
        switch self {
        case .valueCount(let op, let e, let g):
            "the \(op) hold \(g) values where their shape needs \(e)"
        case .empty(let t, let o, let i):
            "the matmul is empty (tokens \(t), out features \(o), in features \(i))"
        }
    }
}
