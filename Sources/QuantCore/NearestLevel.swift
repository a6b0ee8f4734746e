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
    }

    /// Index of the nearest level to `v`; NaN gives index 0; values outside clamp to the ends.
    @inlinable
    public func index(of v: Float) -> Int {
        midpoints.withUnsafeBufferPointer { index(of: v, midpoints: $0) }
    }

    /// As `index(of:)`, with the midpoints passed in so hot loops hoist the buffer access.
    @inlinable
    public func index(of v: Float, midpoints mids: UnsafeBufferPointer<Float>) -> Int {
        if v.isNaN { return 0 }
        // Count of midpoints strictly below v (binary search for the first midpoint >= v).
        var lo = 0
        var hi = mids.count
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if mids[mid] < v { lo = mid &+ 1 } else { hi = mid }
        }
        if tie == .even, lo < mids.count, mids[lo] == v, lo & 1 == 1 {
            return lo &+ 1
        }
        return lo
    }
}
