import TensorCore

/// Which tensor of a quantized file stands for which tensor of its original (`qscope compare`).
///
/// Tensors match by name first; what is left matches by llama.cpp's names (a GGUF written by
/// `convert_hf_to_gguf.py` names `model.layers.0.self_attn.q_proj.weight` `blk.0.attn_q.weight`), in
/// either direction, and a Llama's Q and K projections are then read in the original's row order.
/// Shapes are not checked here: a pair whose shapes differ is reported by the comparison, per tensor.
public struct TensorMatching: Sendable {
    /// One side of a comparison: its tensors and its metadata (GGUF key/values, safetensors `__metadata__`).
    public struct Side: Sendable {
        public var tensors: [TensorInfo]
        public var metadata: [String: String]

        public init(tensors: [TensorInfo], metadata: [String: String]) {
            self.tensors = tensors
            self.metadata = metadata
        }
    }

    /// Two tensors that stand for each other.
    public struct Pair: Sendable, Equatable {
        public enum Rule: String, Sendable {
            /// The same name in both files.
            case name
            /// A llama.cpp name on one side, the Hugging Face name it comes from on the other.
            case llamaCpp = "llama.cpp"
        }

        public var original: TensorInfo
        public var quantized: TensorInfo
        public var rule: Rule
        /// When one side stores the rows permuted by llama.cpp's converter: which side, and by how many heads.
        public var unpermute: Unpermute?
        /// Why the pair cannot be compared although it matched (the permutation cannot be undone).
        public var problem: String?
    }

    /// The side of a pair whose rows are read back in the other's order, and the converter's head count.
    public struct Unpermute: Sendable, Equatable {
        public var quantizedSide: Bool
        public var heads: Int
    }

    public var pairs: [Pair]
    /// Names of either file that stand for nothing in the other, in file order.
    public var unmatchedOriginal: [String]
    public var unmatchedQuantized: [String]

    /// Matches the tensors of `quantized` to those of `original`; pairs come in the original's order.
    public static func match(original: Side, quantized: Side) -> TensorMatching {
        var quantizedByName: [String: TensorInfo] = [:]
        for t in quantized.tensors where quantizedByName[t.name] == nil { quantizedByName[t.name] = t }
        var originalByName: [String: TensorInfo] = [:]
        for t in original.tensors where originalByName[t.name] == nil { originalByName[t.name] = t }
        var partner: [String: Pair] = [:]  // by original name
        var takenQuantized = Set<String>()

        // 1. The same name.
        for t in original.tensors where partner[t.name] == nil {
            if let q = quantizedByName[t.name] {
                partner[t.name] = Pair(original: t, quantized: q, rule: .name)
                takenQuantized.insert(q.name)
            }
        }
        // 2. A llama.cpp name in the quantized file, its Hugging Face name in the original.
        for q in quantized.tensors where !takenQuantized.contains(q.name) {
            for candidate in LlamaCppNames.huggingFaceCandidates(for: q.name) {
                guard let o = originalByName[candidate], partner[o.name] == nil else { continue }
                partner[o.name] = pair(o, q, llamaCppSide: q, metadata: quantized.metadata, quantizedSide: true)
                takenQuantized.insert(q.name)
                break
            }
        }
        // 3. The other way round (a GGUF original, a file of Hugging Face names quantized from it).
        for o in original.tensors where partner[o.name] == nil {
            for candidate in LlamaCppNames.huggingFaceCandidates(for: o.name) {
                guard let q = quantizedByName[candidate], !takenQuantized.contains(q.name) else { continue }
                partner[o.name] = pair(o, q, llamaCppSide: o, metadata: original.metadata, quantizedSide: false)
                takenQuantized.insert(q.name)
                break
            }
        }
        var seen = Set<String>()
        let pairs = original.tensors.compactMap { t -> Pair? in seen.insert(t.name).inserted ? partner[t.name] : nil }
        return TensorMatching(pairs: pairs,
                              unmatchedOriginal: original.tensors.map(\.name).filter { partner[$0] == nil },
                              unmatchedQuantized: quantized.tensors.map(\.name).filter { !takenQuantized.contains($0) })
    }

    private static func pair(_ o: TensorInfo, _ q: TensorInfo, llamaCppSide: TensorInfo, metadata: [String: String],
                             quantizedSide: Bool) -> Pair {
        var p = Pair(original: o, quantized: q, rule: .llamaCpp)
        switch LlamaCppNames.permutationHeads(for: llamaCppSide.name, metadata: metadata) {
        case nil: break
        case .success(let heads): p.unpermute = Unpermute(quantizedSide: quantizedSide, heads: heads)
        case .failure(let e): p.problem = e.reason
        }
        return p
    }

    /// The pairs (and unmatched names) that involve one of `names`, in either naming; the names that
    /// are in neither file come back as `unknown`.
    public func selecting(_ names: [String]) -> (matching: TensorMatching, unknown: [String]) {
        let wanted = Set(names)
        let pairs = self.pairs.filter { wanted.contains($0.original.name) || wanted.contains($0.quantized.name) }
        let uo = unmatchedOriginal.filter(wanted.contains), uq = unmatchedQuantized.filter(wanted.contains)
        let known = Set(pairs.flatMap { [$0.original.name, $0.quantized.name] } + uo + uq)
        return (TensorMatching(pairs: pairs, unmatchedOriginal: uo, unmatchedQuantized: uq), names.filter { !known.contains($0) })
    }
}
