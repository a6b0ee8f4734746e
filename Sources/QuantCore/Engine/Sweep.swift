import TensorCore

/// Datatypes × block sizes on one tensor: what each costs in bits and what it buys in SQNR.
///
/// This is where Dettmers' finding shows on a user's own tensor: at the same bit
/// budget, small blocks and float or quantile datatypes win. Rows that no other
/// row beats on both bits and SQNR are marked Pareto-optimal.
public struct Sweep: Sendable {
    public struct Row: Sendable, Equatable {
        public var config: QuantConfig
        public var bitsPerParam: Double
        public var sqnrDB: Double
        public var relFroErr: Double
        public var maxAbsErr: Double
        public var paretoOptimal: Bool
    }

    public var rows: [Row]

    /// The rows as people read them, by cost: fewest bits per parameter first, then the best SQNR.
    public var rowsByCost: [Row] {
        rows.sorted { ($0.bitsPerParam, -$0.sqnrDB) < ($1.bitsPerParam, -$1.sqnrDB) }
    }

    /// Datatypes a sweep covers by default: every one.
    public static let defaultDatatypes = DataType.allCases
    /// Block sizes a sweep covers by default (fixed-block formats use their own once).
    public static let defaultBlocks: [BlockSize] = [.elements(32), .elements(64), .elements(128), .elements(256), .row]

    /// The configurations of a sweep: each datatype at each block, or once at its fixed block;
    /// the 16-bit casts once (they have no block).
    public static func configurations(datatypes: [DataType], blocks: [BlockSize]) -> [QuantConfig] {
        var out: [QuantConfig] = []
        for dt in datatypes {
            if let fixed = dt.fixedBlock {
                out.append(QuantConfig(dtype: dt, block: .elements(fixed)))
            } else if !dt.hasCodes {
                out.append(QuantConfig(dtype: dt, block: .tensor))
            } else {
                for b in blocks { out.append(QuantConfig(dtype: dt, block: b)) }
            }
        }
        return out
    }

    /// `configurations` followed by each of them that supports it with double quantization.
    public static func addingDoubleQuant(_ configurations: [QuantConfig]) -> [QuantConfig] {
        configurations + configurations.filter { $0.dtype.supportsDoubleQuant }.map { var c = $0; c.doubleQuant = true; return c }
    }

    /// Runs every configuration on `tensor`.
    public static func run(_ tensor: Tensor, configurations: [QuantConfig],
                           threads: Int = Parallel.defaultThreads) throws(QuantError) -> Sweep {
        try uncancellable("a sweep") { try run(tensor as any TensorReader, configurations: configurations, threads: threads) }
    }

    /// Runs every configuration on the tensor `reader` reads, one streaming pass each (on about
    /// `sampleValues` values spread over the tensor, when given). Configurations a tensor cannot take
    /// because its rows do not hold whole llama.cpp blocks are left out.
    public static func run(_ reader: any TensorReader, configurations: [QuantConfig], threads: Int = Parallel.defaultThreads,
                           sampleValues: Int? = nil, cancellation: Cancellation = .never,
                           progress: Progress? = nil, onRow: (Int, Int) -> Void = { _, _ in }) throws -> Sweep {
        let cols = Analyzer.shape2D(reader.info.shape).cols
        let configurations = configurations.filter { c in
            if case .rowLength = Result(catching: { () throws(QuantError) in try c.validate(cols: cols) }).failure { return false }
            return true
        }
        for c in configurations { try c.validate(cols: cols) }
        var rows: [Row] = []
        for (k, c) in configurations.enumerated() {
            let m = try Analyzer.measure(reader, config: c, sampleValues: sampleValues, threads: threads,
                                         cancellation: cancellation, progress: progress)
            rows.append(Row(config: c, bitsPerParam: m.bitsPerParam, sqnrDB: m.sqnrDB,
                            relFroErr: m.relFroErr, maxAbsErr: m.maxAbsErr, paretoOptimal: false))
            onRow(k + 1, configurations.count)
        }
        return Sweep(rows: markPareto(rows))
    }

    /// Marks rows for which no other row has fewer or equal bits and higher or equal SQNR, one strictly.
    static func markPareto(_ rows: [Row]) -> [Row] {
        rows.map { r in
            var r = r
            let s = r.sqnrDB.isNaN ? -Double.infinity : r.sqnrDB
            r.paretoOptimal = !rows.contains { o in
                let os = o.sqnrDB.isNaN ? -Double.infinity : o.sqnrDB
                return o.bitsPerParam <= r.bitsPerParam && os >= s && (o.bitsPerParam < r.bitsPerParam || os > s)
            }
            return r
        }
    }
}

extension Result {
    /// The error, if this is a failure.
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
