/// A reader that can also hand out the bytes its file stores the tensor in, when those are ggml blocks.
///
/// The values a reader gives are the blocks decoded; the workbench's stored view and `report --stored`
/// also want what the file holds itself — each element's code, the lattice points, the scales — which
/// only the bytes tell.
public protocol StoredBlocksReader: TensorReader {
    /// The ggml type of the stored blocks, or nil when the file stores plain elements (then there are
    /// no blocks to hand out).
    var storedBlockType: GGMLType? { get }
    /// Calls `body` with the stored bytes of the whole blocks `blocks` (block `b` holds the elements
    /// `b · qk ..< (b + 1) · qk` of the row-major tensor), `blocks.count · blockLayout.bytes` of them.
    func withStoredBlocks(_ blocks: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Void)
}

extension TensorReader {
    /// The ggml type this reader's file stores the tensor in, when it stores blocks of codes (a
    /// quantized GGUF tensor); nil for plain floats and for every other file.
    public var storedGGMLType: GGMLType? {
        guard let r = self as? any StoredBlocksReader, let t = r.storedBlockType, t.isQuantized else { return nil }
        return t
    }
}
