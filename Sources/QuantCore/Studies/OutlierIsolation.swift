import TensorCore

/// SpQR-style outlier isolation: keep the top p % of a tensor's weights in 16-bit, with their
/// indices, and quantize the rest.
///
/// The kept weights are set to 0 before quantizing, so they no longer set their block's absmax
/// (or min and max): that is what makes isolation pay, because one outlier otherwise stretches its
/// block's scale and every other value of the block loses resolution. Their positions are then
/// overwritten with their fp16-rounded original values. (Quantizing the tensor as it is and only
/// patching the kept positions would fix the kept values' own error but leave the stretched scales,
/// and with them most of the damage.)
///
/// Ranking: by magnitude |x|, or by the error |x̂ − x| each value has under the plain quantization with
/// the same configuration (SpQR's criterion is a sensitivity; the plain error is its simplest stand-in).
/// Non-finite values are never kept and are left out of the metrics, as everywhere in qscope.
///
/// Cost: `bits_per_param = (storedBits of the quantized tensor + kept × (16 + 32)) / n`, a 16-bit value
/// and a 32-bit flat index per kept weight. p % of the finite values, rounded to the nearest whole
/// count, are kept. The ranking is a partial selection (quickselect for the largest count asked for,
/// then a sort of only those), so a 2 % sweep never sorts the whole tensor.
public struct OutlierIsolation: Sendable {
    /// What decides which weights are kept.
    public enum Ranking: String, Sendable, CaseIterable {
        case magnitude, error
    }

    /// One kept fraction.
    public struct Row: Sendable, Equatable {
        /// The percentage asked for (0…100).
        public var percent: Double
        /// How many weights are kept in 16-bit.
        public var kept: Int
        public var bitsPerParam: Double
        /// 10·log10(Σx² / Σ(x − x̂)²) over the finite values (+∞ when lossless).
        public var sqnrDB: Double
        /// ‖x − x̂‖ / ‖x‖.
        public var relFroErr: Double
        /// max |x − x̂|.
        public var maxAbsErr: Double
    }

    /// Bits stored per kept weight: an fp16 value and a 32-bit index.
    public static let bitsPerKept = 16 + 32
    /// The percentages `qscope isolate` reports when none are given.
    public static let defaultPercents: [Double] = [0, 0.1, 0.25, 0.5, 1, 1.5, 2]

    public let config: QuantConfig
    public let ranking: Ranking
    /// One row per requested percentage, in the order asked.
    public let rows: [Row]

    /// Runs the isolation of `values` (row-major `[rows, cols]`) for every percentage in `percents`.
    ///
    /// - Throws: `OutlierIsolationError` for a percentage outside 0…100, values that do not fit the
    ///   shape, or a configuration the tensor cannot take.
    public init(_ values: [Float], rows: Int, cols: Int, config: QuantConfig, by ranking: Ranking = .magnitude,
                percents: [Double] = OutlierIsolation.defaultPercents,
                threads: Int = Parallel.defaultThreads) throws(OutlierIsolationError) {
        guard values.count == rows * cols else { throw .valueCount(expected: rows * cols, given: values.count) }
        for p in percents where !(p >= 0 && p <= 100) { throw .percent(p) }
        do { try config.validate(cols: cols) } catch { throw .quantization(error) }
        self.config = config
        self.ranking = ranking

        let finite = values.reduce(0) { $0 + ($1.isFinite ? 1 : 0) }
        func keptCount(_ p: Double) -> Int { Swift.min(finite, Int((p / 100 * Double(finite)).rounded())) }
        let maxKept = percents.map(keptCount).max() ?? 0

        // The plain quantization is needed for p = 0 and for the error ranking; make it once.
        let plain = try OutlierIsolation.quantize(values, rows: rows, cols: cols, config: config, threads: threads)
        var order: [Int] = []
        if maxKept > 0 {
            let keys: [Float]
            switch ranking {
            case .magnitude:
                keys = values.map { $0.isFinite ? abs($0) : -1 }
            case .error:
                keys = zip(values, plain.dequantized).map { x, y in x.isFinite ? abs(y - x) : -1 }
            }
            order = OutlierIsolation.largest(maxKept, of: keys)
        }

        var result: [Row] = []
        for p in percents {
            let k = keptCount(p)
            let kept = Array(order.prefix(k))
            if k == 0 {
                result.append(OutlierIsolation.measure(values, dequantized: plain.dequantized, kept: [],
                                                       storedBits: plain.storedBits, percent: p, threads: threads))
                continue
            }
            var masked = values
            for i in kept { masked[i] = 0 }
            let q = try OutlierIsolation.quantize(masked, rows: rows, cols: cols, config: config, threads: threads)
            result.append(OutlierIsolation.measure(values, dequantized: q.dequantized, kept: kept,
                                                   storedBits: q.storedBits, percent: p, threads: threads))
        }
        self.rows = result
    }

    private static func quantize(_ values: [Float], rows: Int, cols: Int, config: QuantConfig,
                                 threads: Int) throws(OutlierIsolationError) -> QuantizedTensor {
        do { return try Quantizer.quantize(values, rows: rows, cols: cols, config: config, threads: threads) }
        catch { throw .quantization(error) }
    }

    /// The metrics of the quantized values with the kept positions replaced by their fp16 values.
    static func measure(_ x: [Float], dequantized y: [Float], kept: [Int], storedBits: Int, percent: Double,
                        threads: Int) -> Row {
        var isKept = [Bool](repeating: false, count: kept.isEmpty ? 0 : x.count)
        for i in kept { isKept[i] = true }
        struct Sums: Sendable { var sx2 = 0.0, se2 = 0.0, maxErr = 0.0 }
        let parts: [Sums] = x.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                isKept.withUnsafeBufferPointer { kb in
                    guard let xp = xb.baseAddress, let yp = yb.baseAddress else { return [] }
                    let xs = SharedPointer(xp), ys = SharedPointer(yp)
                    let ks = kb.isEmpty ? nil : kb.baseAddress.map(SharedPointer.init)
                    return Parallel.mapChunks(count: xb.count, threads: threads, minimumPerChunk: 1 << 16) { r -> Sums in
                        var s = Sums()
                        for i in r {
                            let xv = xs.base[i]
                            guard xv.isFinite else { continue }
                            let yv = (ks?.base[i] ?? false) ? HalfPrecision.roundToHalf(xv) : ys.base[i]
                            let xd = Double(xv), e = Double(yv) - xd
                            s.sx2 += xd * xd
                            s.se2 += e * e
                            if !(abs(e) <= s.maxErr) { s.maxErr = abs(e) }
                        }
                        return s
                    }
                }
            }
        }
        var s = Sums()
        for p in parts { s.sx2 += p.sx2; s.se2 += p.se2; s.maxErr = Swift.max(s.maxErr, p.maxErr) }
        let n = x.count
        let bits = n == 0 ? 0 : Double(storedBits + kept.count * bitsPerKept) / Double(n)
        let rel = s.sx2 > 0 ? (s.se2 / s.sx2).squareRoot() : (s.se2 == 0 ? 0 : .nan)
        return Row(percent: percent, kept: kept.count, bitsPerParam: bits,
                   sqnrDB: 10 * Foundation.log10(s.sx2 / s.se2), relFroErr: rel, maxAbsErr: s.maxErr)
    }

    /// The indices of the `k` largest keys, largest first (ties: lower index first). Keys below 0 are
    /// never chosen. A quickselect finds the k-th largest key; only the keys at or above it are sorted.
    static func largest(_ k: Int, of keys: [Float]) -> [Int] {
        let eligible = keys.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        let k = Swift.min(k, eligible)
        guard k > 0 else { return [] }
        var work = keys
        let threshold = kthLargest(&work, k)
        var above: [Int] = [], equal: [Int] = []
        above.reserveCapacity(k)
        for (i, v) in keys.enumerated() {
            if v > threshold { above.append(i) } else if v == threshold { equal.append(i) }
        }
        above.sort { keys[$0] != keys[$1] ? keys[$0] > keys[$1] : $0 < $1 }
        return above + equal.prefix(k - above.count)
    }

    /// The k-th largest value of `a` (1-based), reordering `a`: an iterative three-way quickselect,
    /// so runs of equal keys (zeros, repeated errors) do not make it quadratic.
    static func kthLargest(_ a: inout [Float], _ k: Int) -> Float {
        precondition(k >= 1 && k <= a.count)
        let target = a.count - k // position in ascending order
        return a.withUnsafeMutableBufferPointer { b -> Float in
            var lo = 0, hi = b.count - 1
            var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
            while lo < hi {
                // A pseudo-random pivot: sorted or adversarial inputs stay linear on average.
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
                let pivot = b[lo + Int(seed % UInt64(hi - lo + 1))]
                var lt = lo, i = lo, gt = hi
                while i <= gt {
                    let v = b[i]
                    if v < pivot { b.swapAt(lt, i); lt += 1; i += 1 }
                    else if v > pivot { b.swapAt(i, gt); gt -= 1 }
                    else { i += 1 }
                }
                if target < lt { hi = lt - 1 } else if target > gt { lo = gt + 1 } else { return pivot }
            }
            return b[target]
        }
    }
}

/// Why an isolation cannot be run.
public enum OutlierIsolationError: Error, Sendable, Equatable, CustomStringConvertible {
    case percent(Double)
    case valueCount(expected: Int, given: Int)
    case quantization(QuantError)

    public var description: String {
        switch self {
        case .percent(let p): "a kept percentage must be between 0 and 100 (got \(p))"
        case .valueCount(let e, let g): "the values (\(g)) do not fit the shape (\(e) values)"
        case .quantization(let e): e.description
        }
    }
}

import Foundation
