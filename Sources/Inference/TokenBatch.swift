/// The token ids of several sentences, packed end to end, with each sentence's range.
///
/// The forward pass works on the packed rows directly: a Linear layer multiplies every token of the
/// batch at once, and attention stays inside each sentence's range. That is what padding the batch to
/// its longest sentence with an attention mask computes for the real tokens, without the padding rows.
public struct TokenBatch: Sendable, Equatable {
    /// Every sentence's ids, one after another.
    public let ids: [Int32]
    /// `offsets[s]..<offsets[s + 1]` are sentence `s`'s tokens; `offsets.count` is one more than the sentences.
    public let offsets: [Int]

    public init(_ sentences: [[Int32]]) {
        var ids: [Int32] = [], offsets = [0]
        ids.reserveCapacity(sentences.reduce(0) { $0 + $1.count })
        for s in sentences {
            ids.append(contentsOf: s)
            offsets.append(ids.count)
        }
        self.ids = ids
        self.offsets = offsets
    }

    public var sentenceCount: Int { offsets.count - 1 }
    public var tokenCount: Int { ids.count }

    /// The rows of sentence `s`.
    public func tokens(of s: Int) -> Range<Int> { offsets[s]..<offsets[s + 1] }

    /// The batch of the sentences at `indices`, in that order.
    public func subset(_ indices: [Int]) -> TokenBatch {
        TokenBatch(indices.map { Array(ids[tokens(of: $0)]) })
    }
}
