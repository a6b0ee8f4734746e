import TensorCore

/// A tensor that is a strided view of its storage (a PyTorch slice, transpose or column selection), read
/// in place from a mapped file in row-major order of its logical shape.
///
/// Along the innermost dimension a unit stride is one run of bytes converted at once; any other stride
/// gathers the elements' bytes into a small buffer first, then converts that buffer in one pass. The view
/// is checked to lie inside its storage before a reader is made.
struct StridedTensorReader: TensorReader {
    let info: TensorInfo
    let file: MappedFile
    let storage: StorageType
    /// Bytes per element.
    let width: Int
    let bigEndian: Bool
    /// Byte offset of the view's first element (its storage offset included).
    let base: Int
    /// In elements, one per dimension.
    let strides: [Int]

    var granularity: Int { 1 }

    /// Elements gathered per conversion.
    private static let chunk = 4096

    func read(_ range: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(range.count == out.count && range.lowerBound >= 0 && range.upperBound <= info.count)
        guard !range.isEmpty, let dst = out.baseAddress else { return }
        let shape = info.shape
        guard let last = shape.indices.last else {
            file.withBytes(base..<(base + width)) { storage.convert($0, count: 1, bigEndian: bigEndian, into: out) }
            return
        }
        var index = [Int](repeating: 0, count: shape.count)
        var rest = range.lowerBound
        for d in stride(from: last, through: 0, by: -1) {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        let inner = shape[last], innerStride = strides[last]
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunk * width, alignment: 16)
        defer { scratch.deallocate() }
        var done = 0
        while done < range.count {
            var rowStart = base
            for d in 0..<last { rowStart += index[d] * strides[d] * width }
            var j = index[last]
            let runEnd = min(inner, j + (range.count - done))
            if innerStride == 1 {
                let n = runEnd - j
                let first = rowStart + j * width
                file.withBytes(first..<(first + n * width)) { raw in
                    storage.convert(raw, count: n, bigEndian: bigEndian, into: UnsafeMutableBufferPointer(start: dst + done, count: n))
                }
                done += n
            } else {
                while j < runEnd {
                    let n = min(Self.chunk, runEnd - j)
                    let first = rowStart + j * innerStride * width
                    let span = first..<(first + ((n - 1) * innerStride + 1) * width)
                    file.withBytes(span) { raw in gather(raw, count: n, step: innerStride * width, into: scratch) }
                    storage.convert(UnsafeRawBufferPointer(scratch), count: n, bigEndian: bigEndian,
                                    into: UnsafeMutableBufferPointer(start: dst + done, count: n))
                    j += n
                    done += n
                }
            }
            // The next row: the innermost index wraps, the others carry.
            index[last] = 0
            var d = last - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }

    /// Copies `count` elements `step` bytes apart into consecutive slots of `out`.
    private func gather(_ raw: UnsafeRawBufferPointer, count: Int, step: Int, into out: UnsafeMutableRawBufferPointer) {
        guard let src = raw.baseAddress, let dst = out.baseAddress else { return }
        switch width {
        case 1: for k in 0..<count { dst.storeBytes(of: src.load(fromByteOffset: k * step, as: UInt8.self), toByteOffset: k, as: UInt8.self) }
        case 2: for k in 0..<count { dst.storeBytes(of: src.loadUnaligned(fromByteOffset: k * step, as: UInt16.self), toByteOffset: 2 * k, as: UInt16.self) }
        case 4: for k in 0..<count { dst.storeBytes(of: src.loadUnaligned(fromByteOffset: k * step, as: UInt32.self), toByteOffset: 4 * k, as: UInt32.self) }
        case 8: for k in 0..<count { dst.storeBytes(of: src.loadUnaligned(fromByteOffset: k * step, as: UInt64.self), toByteOffset: 8 * k, as: UInt64.self) }
        default: for k in 0..<count { (dst + k * width).copyMemory(from: src + k * step, byteCount: width) }
        }
    }
}
