import Synchronization
/// Nearest-level search in a sorted table, with an explicit rule for exact ties.
///
/// Every table-driven datatype reduces to "which level is nearest", but the
/// references differ on a tie: bitsandbytes' NF4 and its CPU bucketize send a
/// value exactly on a midpoint to the lower level; its CUDA 8-bit kernel and IEEE
/// rounding send it to the even index. The midpoints are float32 values
/// `f32(f32(a + b) * 0.5)`, the numbers the reference kernels compare against.
public struct NearestLevel: Sendable {
    /// How an exact tie between two neighbouring levels is broken.
    public enum TieRule: Sendable {
        /// To the lower index (NF4, quantile maps).
        case lower
        /// To the even index of the pair (bitsandbytes' CUDA 8-bit kernel; IEEE round-to-nearest-even
        /// when levels are the magnitudes of a float format in bit-pattern order).
        case even
    }

    /// Sorted ascending levels.
    public let levels: [Float]
    /// `midpoints[i]` lies between `levels[i]` and `levels[i + 1]`.
    public let midpoints: [Float]
    public let tie: TieRule
    /// The midpoints padded with +∞ to a power-of-two length, for a fixed-step branchless search.
    @usableFromInline let padded: [Float]
    /// Half the padded length: the first step of the search.
    @usableFromInline let firstStep: Int
    /// For large tables and IEEE-style ties: for each value of a float's upper 16 bits (sign, exponent,
    /// 7 mantissa bits), the count of midpoints below every float with those bits, with bit 15 set
    /// when some midpoint falls among them. One load replaces the 8-step search for almost every
    /// value; the data-dependent branches of the search cost more than the loads (measured: 47 ns
    /// per value for the 256-level dynamic map with the search alone).
    @usableFromInline let buckets: [UInt16]
    /// Whether no bucket holds more than one midpoint: then the walk from a bucket's count is at
    /// most one step, and `k += mids[k] < v ? 1 : 0` replaces it (also for a bucket without a
    /// midpoint, whose next midpoint lies above all its values).
    let singleStep: Bool

    public init(levels: [Float], tie: TieRule) {
        precondition(!levels.isEmpty)
        self.levels = levels
        self.tie = tie
        var mids: [Float] = []
        mids.reserveCapacity(levels.count - 1)
        for i in 0..<(levels.count - 1) {
            mids.append((levels[i] + levels[i + 1]) * 0.5)
        }
        self.midpoints = mids
        var size = 1
        while size < mids.count + 1 { size <<= 1 }
        self.padded = mids + [Float](repeating: .infinity, count: size - mids.count)
        self.firstStep = size >> 1
        // Small tables with ties down are searched by vector compare-counting instead (TableKernels), and
        // by the branchless search where a block is strided: the 64 K-entry bucket table (a millisecond
        // to build) serves only the large tables and the element formats.
        if tie == .lower && mids.count <= 16 {
            (self.buckets, self.singleStep) = ([], false)
        } else {
            (self.buckets, self.singleStep) = NearestLevel.makeBuckets(mids)
        }
    }

    /// Count of midpoints strictly below `v` (binary search, for building the buckets).
    private static func countBelow(_ mids: [Float], _ v: Float) -> Int {
        var lo = 0, hi = mids.count
        while lo < hi {
            let m = (lo + hi) / 2
            if mids[m] < v { lo = m + 1 } else { hi = m }
        }
        return lo
    }

    private static func makeBuckets(_ mids: [Float]) -> ([UInt16], Bool) {
        precondition(mids.count < 0x8000)
        var out = [UInt16](repeating: 0, count: 1 << 16)
        var widest = 0
        for p in 0..<(1 << 16) {
            let a = Float(bitPattern: UInt32(p) << 16), b = Float(bitPattern: UInt32(p) << 16 | 0xFFFF)
            // Positive bits grow with the value, negative ones shrink; NaN patterns stand for ±∞.
            var lowest = p < 0x8000 ? a : b, highest = p < 0x8000 ? b : a
            if lowest.isNaN { lowest = p < 0x8000 ? .infinity : -.infinity }
            if highest.isNaN { highest = p < 0x8000 ? .infinity : -.infinity }
            let start = countBelow(mids, lowest), end = countBelow(mids, highest)
            out[p] = UInt16(start) | (end != start ? 0x8000 : 0)
            widest = Swift.max(widest, end - start)
        }
        return (out, widest <= 1)
    }

    /// Index of the nearest level to `v`; NaN gives index 0; values outside clamp to the ends.
    @inlinable
    public func index(of v: Float) -> Int {
        padded.withUnsafeBufferPointer { index(of: v, padded: $0) }
    }

    /// As `index(of:)`, with the padded midpoints passed in so hot loops hoist the buffer access.
    ///
    /// The count of midpoints strictly below `v`, found in log2(size) steps without branches on the
    /// data; NaN compares false everywhere and lands on 0.
    @inlinable @inline(__always)
    public func index(of v: Float, padded mids: UnsafeBufferPointer<Float>) -> Int {
        if !buckets.isEmpty {
            guard !v.isNaN else { return 0 }
            let e = buckets.withUnsafeBufferPointer { $0[Int(v.bitPattern >> 16)] }
            var k = Int(e & 0x7FFF)
            if e & 0x8000 != 0 {
                // The padding ends the table with +∞, so the walk stops inside it.
                while mids[k] < v { k &+= 1 }
            }
            if tie == .even, k < midpoints.count, mids[k] == v, k & 1 == 1 { return k &+ 1 }
            return k
        }
        var lo = 0
        var step = firstStep
        while step > 0 {
            lo &+= mids[lo &+ step &- 1] < v ? step : 0
            step >>= 1
        }
        // The padding's +∞ equals an infinite v: only a real midpoint is a tie.
        if tie == .even, lo < midpoints.count, mids[lo] == v, lo & 1 == 1 {
            return lo &+ 1
        }
        return lo
    }
}

/// A nearest-level search built on first use: the registry lists every datatype when it is first
/// touched, and building every format's search then would cost every command a few milliseconds.
public final class LazySearch: Sendable {
    private let make: @Sendable () -> NearestLevel
    private let built = Mutex<NearestLevel?>(nil)

    public init(_ make: @escaping @Sendable () -> NearestLevel) { self.make = make }

    /// The search, built the first time it is asked for.
    public var search: NearestLevel {
        built.withLock { s in
            if let s { return s }
            let n = make()
            s = n
            return n
        }
    }
}
