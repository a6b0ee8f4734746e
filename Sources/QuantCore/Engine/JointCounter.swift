/// The normalised and error bins of contiguous, all-finite blocks counted as one joint
/// (normalised × error) bin, four values at a time: one increment per element instead of two, in a
/// table of at most 8192 cells that stays in the first-level cache. Folded into plain counts by
/// `counts()`; a worker owns one and frees it with `release()`.
struct JointCounter {
    let n: BinCounter
    let e: BinCounter
    private let joint: UnsafeMutablePointer<UInt32>
    private let pending: UnsafeMutablePointer<Int>
    private let folded: UnsafeMutablePointer<Int>

    init(normalized: BinCounter, error: BinCounter) {
        n = normalized
        e = error
        let cells = normalized.bins * error.bins
        joint = .allocate(capacity: cells)
        joint.initialize(repeating: 0, count: cells)
        pending = .allocate(capacity: 1)
        pending.initialize(to: 0)
        folded = .allocate(capacity: normalized.bins + error.bins)
        folded.initialize(repeating: 0, count: normalized.bins + error.bins)
    }

    func release() {
        joint.deallocate()
        pending.deallocate()
        folded.deallocate()
    }

    /// Moves the joint cells into the folded counts (before the 32-bit cells could overflow).
    private func flush() {
        let bins = n.bins, eb = e.bins
        for k in 0..<bins {
            for j in 0..<eb {
                let c = Int(joint[k &* eb &+ j])
                folded[k] &+= c; folded[bins + j] &+= c
            }
        }
        joint.update(repeating: 0, count: bins * eb)
        pending.pointee = 0
    }

    /// The normalised and error counts so far.
    func counts() -> ([Int], [Int]) {
        flush()
        return (Array(UnsafeBufferPointer(start: folded, count: n.bins)),
                Array(UnsafeBufferPointer(start: folded + n.bins, count: e.bins)))
    }

    /// Counts one contiguous block: x at `x`, its decoded values at `y`.
    func add(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count length: Int, inverse: Float, zero: Float) {
        let bins = n.bins, eb = e.bins
        let nLower = SIMD4<Float>(repeating: n.lower), nMult = SIMD4<Float>(repeating: n.mult)
        let eLower = SIMD4<Float>(repeating: e.lower), eMult = SIMD4<Float>(repeating: e.mult)
        let nTop = SIMD4<Float>(repeating: Float(bins) - 0.5), eTop = SIMD4<Float>(repeating: Float(eb) - 0.5)
        let ebF = SIMD4<Float>(repeating: Float(eb))
        let inv4 = SIMD4<Float>(repeating: inverse), zero4 = SIMD4<Float>(repeating: zero)
        var i = 0
        while i &+ 4 <= length {
            let xv = SIMDKernels.load4(x + i)
            let yv = SIMDKernels.load4(y + i)
            let nf = SIMDKernels.binFloor(xv * inv4 + zero4, lower: nLower, mult: nMult, top: nTop)
            let ef = SIMDKernels.binFloor(yv - xv, lower: eLower, mult: eMult, top: eTop)
            let cell = SIMDKernels.integers(nf * ebF + ef)
            joint[Int(cell[0])] &+= 1; joint[Int(cell[1])] &+= 1
            joint[Int(cell[2])] &+= 1; joint[Int(cell[3])] &+= 1
            i &+= 4
        }
        while i < length {
            let nb = BinCounter.clampedBin(x[i] * inverse + zero, lower: n.lower, mult: n.mult, bins: bins)
            let eBin = BinCounter.clampedBin(y[i] - x[i], lower: e.lower, mult: e.mult, bins: eb)
            joint[nb &* eb &+ eBin] &+= 1
            i &+= 1
        }
        pending.pointee &+= length
        if pending.pointee >= 1 << 31 { flush() }
    }
}
