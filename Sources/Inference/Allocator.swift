import QuantCore

/// Mixed-precision allocation: which configuration each tensor gets so that the embeddings stay closest
/// to fp32 within a budget of bits per parameter.
///
/// Each tensor is quantized alone with each candidate and the end-to-end loss 1 − mean cosine is measured
/// (others fp32). Assuming the losses of different tensors add (they are small), the allocation is a
/// knapsack over these measurements, solved greedily: every tensor starts at its cheapest candidate, then
/// the upgrade that buys the most loss reduction per stored bit and still fits is taken, first along each
/// tensor's lower convex hull of (bits, loss) (the Lagrangian solution), then among all candidates while any
/// fitting upgrade still lowers the loss. The chosen recipe is then verified end to end.
public struct Allocator: Sendable {
    /// One tensor-candidate measurement.
    public struct Measurement: Sendable, Equatable {
        public var config: QuantConfig
        public var storedBits: Int
        /// 1 − mean cosine with this tensor alone quantized.
        public var loss: Double
    }

    /// The tensors allocated over, in model order.
    public let tensors: [String]
    public let parameters: [Int]
    /// For each tensor, its valid candidates' measurements (a candidate a tensor's shape refuses is left out).
    public let measurements: [[Measurement]]

    public init(tensors: [String], parameters: [Int], measurements: [[Measurement]]) {
        self.tensors = tensors
        self.parameters = parameters
        self.measurements = measurements
    }

    /// The candidates `allocate` tries when none are given: from 2.3 to 16 bits per parameter: the
    /// 2–8-bit integers, NF4 and FP4 at blocks 32–128 (NF4 and int8 with double quantization too), the GGUF block
    /// formats, MXFP4, NVFP4 and fp16.
    public static let defaultCandidates: [QuantConfig] = {
        let b = { (d: DataType, n: Int) in QuantConfig(dtype: d, block: .elements(n)) }
        let dq = { (d: DataType, n: Int) in QuantConfig(dtype: d, block: .elements(n), doubleQuant: true) }
        let fixed = { (d: DataType) in QuantConfig(dtype: d, block: .elements(d.fixedBlock ?? 64)) }
        return [b(.uint2Asym, 64), b(.uint3Asym, 64), b(.int3, 64),
                b(.nf4, 128), b(.nf4, 64), b(.nf4, 32), dq(.nf4, 64), dq(.nf4, 32), b(.uint4Asym, 128), b(.uint4Asym, 64),
                b(.int4, 128), b(.int4, 64), b(.int4, 32),
                b(.fp4, 128), b(.fp4, 64), b(.fp4, 32), fixed(.q4_0), fixed(.q4_1), fixed(.q5_0), fixed(.q4K),
                fixed(.nvfp4), fixed(.mxfp4), fixed(.q6K), dq(.int8, 64), b(.int8, 64), fixed(.q8_0), QuantConfig(dtype: .fp16, block: .tensor)]
    }()

    /// Measures every tensor of `tensors` with every candidate its shape accepts.
    public static func measure(_ evaluator: Evaluator, tensors: [String], candidates: [QuantConfig],
                               progress: (Int, Int) -> Void = { _, _ in }) throws(InferenceError) -> Allocator {
        let model = evaluator.encoder.model
        var all: [[Measurement]] = [], params: [Int] = []
        let total = tensors.count * candidates.count
        var done = 0
        for name in tensors {
            let cols = model.shapes[name]!.last!
            var row: [Measurement] = []
            for c in candidates {
                done += 1
                guard (try? c.validate(cols: cols)) != nil else { continue }
                let weights = try Recipe(label: "", entries: [.init(tensor: name, config: c)]).quantize(model, threads: evaluator.threads)
                let loss = try evaluator.meanCosineLoss(replacing: weights.replacements)
                row.append(Measurement(config: c, storedBits: weights.tensors[0].storedBits, loss: max(0, loss)))
                progress(done, total)
            }
            guard !row.isEmpty else {
                throw .recipe(file: model.folder, reason: "no candidate fits \(name) (rows of \(cols) values)")
            }
            all.append(row)
            params.append(model.tensors[name]!.count)
        }
        return Allocator(tensors: tensors, parameters: params, measurements: all)
    }

    /// The allocation within `bits` per parameter and its predicted loss (the sum of the measured ones),
    /// or nil when even the cheapest candidates exceed it.
    public func allocate(bitsPerParam bits: Double, label: String? = nil) -> (recipe: Recipe, predictedLoss: Double)? {
        let budget = bits * Double(parameters.reduce(0, +))
        var choice = measurements.map { row in row.indices.min { row[$0].storedBits < row[$1].storedBits }! }
        var used = zip(measurements, choice).reduce(0.0) { $0 + Double($1.0[$1.1].storedBits) }
        guard used <= budget + 1e-9 else { return nil }

        // Along the lower convex hulls first (the Lagrangian path), then any fitting improvement.
        let hulls = measurements.map(Allocator.lowerHull)
        for pass in 0..<2 {
            while true {
                var best: (tensor: Int, candidate: Int, ratio: Double)? = nil
                for t in measurements.indices {
                    let cur = measurements[t][choice[t]]
                    let options = pass == 0 ? hulls[t] : Array(measurements[t].indices)
                    for c in options where c != choice[t] {
                        let m = measurements[t][c]
                        let extra = Double(m.storedBits - cur.storedBits), gain = cur.loss - m.loss
                        guard gain > 0, used + extra <= budget + 1e-9 else { continue }
                        if pass == 0, extra <= 0 { continue }
                        // A free (or cheaper) improvement is always taken first.
                        let ratio = extra <= 0 ? .infinity : gain / extra
                        if pass == 0, let h = hulls[t].firstIndex(of: choice[t]), c != hulls[t][min(h + 1, hulls[t].count - 1)] { continue }
                        if best == nil || ratio > best!.ratio { best = (t, c, ratio) }
                    }
                }
                guard let b = best else { break }
                used += Double(measurements[b.tensor][b.candidate].storedBits - measurements[b.tensor][choice[b.tensor]].storedBits)
                choice[b.tensor] = b.candidate
            }
        }
        let entries = tensors.indices.map { Recipe.Entry(tensor: tensors[$0], config: measurements[$0][choice[$0]].config) }
        let loss = tensors.indices.reduce(0.0) { $0 + measurements[$1][choice[$1]].loss }
        return (Recipe(label: label ?? "allocated \(bits)", entries: entries), loss)
    }

    /// Indices of the lower convex hull of (bits, loss), cheapest first, each step buying less per bit than the last.
    static func lowerHull(_ row: [Measurement]) -> [Int] {
        let order = row.indices.sorted { (row[$0].storedBits, row[$0].loss) < (row[$1].storedBits, row[$1].loss) }
        var hull: [Int] = []
        for i in order {
            // Only points that lower the loss extend the hull.
            if let last = hull.last, row[i].loss >= row[last].loss { continue }
            while hull.count >= 2 {
                let a = row[hull[hull.count - 2]], b = row[hull[hull.count - 1]], c = row[i]
                let slopeAB = (a.loss - b.loss) / Double(b.storedBits - a.storedBits)
                let slopeAC = (a.loss - c.loss) / Double(c.storedBits - a.storedBits)
                if slopeAC >= slopeAB { hull.removeLast() } else { break }
            }
            hull.append(i)
        }
        return hull
    }
}
