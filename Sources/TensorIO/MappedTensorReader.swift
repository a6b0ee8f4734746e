import TensorCore

/// A tensor read in place from a mapped file: element storage converted range by range, ggml blocks
/// decoded block by block, column-major (Fortran) arrays gathered element by element.
///
/// It keeps its file mapped for as long as it lives, so a reader handed to worker threads stays valid
/// after the `TensorFile` that made it is gone.
struct MappedTensorReader: TensorReader {
    let info: TensorInfo
    let file: MappedFile
    let location: TensorFile.Location

    var granularity: Int { location.ggml?.blockLayout.elements ?? 1 }

    func floats(_ range: Range<Int>) -> UnsafePointer<Float>? {
        guard location.storage == .float32, !location.bigEndian, location.ggml == nil,
              !(location.fortranOrder && info.shape.count > 1), !range.isEmpty,
              range.lowerBound >= 0, range.upperBound <= info.count,
              let p = file.address(location.range.lowerBound + range.lowerBound * 4),
              Int(bitPattern: p) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return p.assumingMemoryBound(to: Float.self)
    }

    func read(_ range: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(range.count == out.count && range.lowerBound >= 0 && range.upperBound <= info.count)
        guard !range.isEmpty, let dst = out.baseAddress else { return }
        if let ggml = location.ggml {
            readBlocks(ggml, range, dst)
        } else if location.fortranOrder && info.shape.count > 1 {
            gather(range, dst)
        } else {
            let width = location.storage.byteWidth
            let bytes = (location.range.lowerBound + range.lowerBound * width)..<(location.range.lowerBound + range.upperBound * width)
            file.withBytes(bytes) { raw in
                location.storage.convert(raw, count: range.count, bigEndian: location.bigEndian, into: out)
            }
        }
    }

    /// Decodes the blocks that cover `range`; the cut blocks at either end go through a small buffer.
    private func readBlocks(_ ggml: GGMLType, _ range: Range<Int>, _ dst: UnsafeMutablePointer<Float>) {
        let (qk, size) = ggml.blockLayout
        let firstBlock = range.lowerBound / qk
        let lastBlock = (range.upperBound + qk - 1) / qk
        var i = range.lowerBound
        var b = firstBlock
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: qk)
        defer { scratch.deallocate() }
        while b < lastBlock {
            let blockStart = b * qk
            // A run of whole blocks decodes straight into the output.
            if i == blockStart && blockStart + qk <= range.upperBound {
                let run = (range.upperBound - blockStart) / qk
                file.withBytes((location.range.lowerBound + b * size)..<(location.range.lowerBound + (b + run) * size)) { raw in
                    ggml.dequantize(raw, blocks: run, into: dst + (i - range.lowerBound))
                }
                i += run * qk
                b += run
                continue
            }
            file.withBytes((location.range.lowerBound + b * size)..<(location.range.lowerBound + (b + 1) * size)) { raw in
                ggml.dequantize(raw, blocks: 1, into: scratch)
            }
            let end = min(blockStart + qk, range.upperBound)
            (dst + (i - range.lowerBound)).update(from: scratch + (i - blockStart), count: end - i)
            i = end
            b += 1
        }
    }

    /// Column-major data: element by element, from each row-major index to its place in the file.
    private func gather(_ range: Range<Int>, _ dst: UnsafeMutablePointer<Float>) {
        let shape = info.shape
        var colStrides = [Int](repeating: 1, count: shape.count)
        for d in 1..<shape.count { colStrides[d] = colStrides[d - 1] * shape[d - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        var rest = range.lowerBound
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        let width = location.storage.byteWidth
        var one: Float = 0
        for k in 0..<range.count {
            var src = 0
            for d in 0..<shape.count { src += index[d] * colStrides[d] }
            let at = location.range.lowerBound + src * width
            file.withBytes(at..<(at + width)) { raw in
                withUnsafeMutablePointer(to: &one) { p in
                    location.storage.convert(raw, count: 1, bigEndian: location.bigEndian,
                                             into: UnsafeMutableBufferPointer(start: p, count: 1))
                }
            }
            dst[k] = one
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }
}
