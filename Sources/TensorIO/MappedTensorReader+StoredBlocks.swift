import TensorCore

/// A GGUF tensor's blocks straight from the memory map.
extension MappedTensorReader: StoredBlocksReader {
    var storedBlockType: GGMLType? { location.ggml }

    func withStoredBlocks(_ blocks: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Void) {
        guard let ggml = location.ggml else { preconditionFailure("\(info.name) is not stored in ggml blocks") }
        let (qk, size) = ggml.blockLayout
        precondition(blocks.lowerBound >= 0 && blocks.upperBound * qk <= info.count + qk - 1, "blocks \(blocks) of \(info.name)")
        let start = location.range.lowerBound + blocks.lowerBound * size
        file.withBytes(start..<(start + blocks.count * size), body)
    }
}
