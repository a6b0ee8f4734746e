import TensorCore
import TensorIO

extension TensorMatching.Pair {
    /// Readers of the two tensors with their elements lined up: in the original's (Hugging Face) row
    /// order, or — `inQuantizedOrder`, for the stored view, which reads the quantized file's blocks in
    /// place — in the quantized file's order. Nil when the permutation cannot be undone (the rows do not
    /// split into the heads).
    public func alignedReaders(original: any TensorCatalog, quantized: any TensorCatalog, inQuantizedOrder: Bool = false)
        throws -> (original: any TensorReader, quantized: any TensorReader)? {
        var o = try original.reader(self.original.name)
        var q = try quantized.reader(self.quantized.name)
        guard let u = unpermute else { return (o, q) }
        guard let order = LlamaCppNames.rowOrder(rows: self.original.shape.first ?? 1, heads: u.heads) else { return nil }
        // `order` reads the llama.cpp side in Hugging Face order; its inverse reads the other side in llama.cpp's.
        var inverse = [Int](repeating: 0, count: order.count)
        for (r, source) in order.enumerated() { inverse[source] = r }
        switch (u.quantizedSide, inQuantizedOrder) {
        case (true, false):
            guard let p = RowPermutedReader(q, sourceRow: order) else { return nil }
            q = p
        case (true, true):
            guard let p = RowPermutedReader(o, sourceRow: inverse) else { return nil }
            o = p
        case (false, _):
            guard let p = RowPermutedReader(o, sourceRow: order) else { return nil }
            o = p
        }
        return (o, q)
    }

    /// Why the pair cannot be read side by side, or nil when it can: the matching's problem, a shape
    /// difference, a dtype without numbers.
    public var obstacle: String? {
        if let problem { return problem }
        guard original.shape == quantized.shape else {
            return "shape \(NumberFormat.shape(original.shape)) in the original, \(NumberFormat.shape(quantized.shape)) in the quantized file"
        }
        return nil
    }
}
