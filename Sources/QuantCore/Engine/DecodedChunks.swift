import Synchronization

/// The decoded values and block scales of the first pass's chunks, kept for the second pass up to a
/// fixed budget, so that a tensor of up to `budget` values is encoded once instead of twice; the
/// chunks past the budget are encoded again. The budget bounds the memory whatever the tensor's size.
final class DecodedChunks: Sendable {
    /// One chunk's decoded values (chunk order) and the scale of each block part, in visiting order.
    /// Written by the one worker that encodes its chunk in pass C, read by one worker in pass D.
    final class Slot: @unchecked Sendable {
        let decoded: UnsafeMutablePointer<Float>
        var sides: [BlockSide] = []
        init(count: Int) { decoded = .allocate(capacity: Swift.max(1, count)) }
        deinit { decoded.deallocate() }
    }

    private let budget: Int
    private let state = Mutex<(used: Int, slots: [Int: Slot])>((0, [:]))

    init(budget: Int) { self.budget = budget }

    /// A fresh slot for chunk `item` of `count` values, while the budget lasts (pass C).
    func reserve(_ item: Int, count: Int) -> Slot? {
        state.withLock { s in
            guard s.used + count <= budget else { return nil }
            s.used += count
            let slot = Slot(count: count)
            s.slots[item] = slot
            return slot
        }
    }

    /// The slot pass C filled for chunk `item`, if any (pass D).
    func slot(_ item: Int) -> Slot? { state.withLock { $0.slots[item] } }
}
