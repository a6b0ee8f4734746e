/// Reads one tensor's values as `Float`, a range of its row-major flat index at a time.
///
/// Real checkpoints hold tensors of hundreds of millions of values; a reader converts from where the
/// file keeps them (a read-only memory map) into a small buffer of the caller's, so that the engine
/// never holds a whole tensor as floats. Readers are immutable and safe to call from many threads at
/// once, each with its own output buffer.
public protocol TensorReader: Sendable {
    /// What the file says about the tensor.
    var info: TensorInfo { get }
    /// Ranges should start on a multiple of this (a ggml block's elements; 1 for element storage).
    /// Any range works; an unaligned one costs a decode of the blocks it cuts.
    var granularity: Int { get }
    /// Converts the values at flat indices `range` into `out` (`out.count == range.count`).
    func read(_ range: Range<Int>, into out: UnsafeMutableBufferPointer<Float>)

    /// The values at `range` where they already lie as float32 (a little-endian, aligned float32 tensor
    /// in a memory map), so that a pass reads them in place instead of copying them; nil otherwise.
    /// The pointer stays valid while the reader lives.
    func floats(_ range: Range<Int>) -> UnsafePointer<Float>?
}

extension TensorReader {
    public func floats(_ range: Range<Int>) -> UnsafePointer<Float>? { nil }
}

extension TensorReader {
    /// Every value as one array: for small tensors only (tests, activations, the block inspector's
    /// neighbourhood); the engine streams instead.
    public func readAll() -> [Float] {
        let n = info.count
        return [Float](unsafeUninitializedCapacity: n) { buf, count in
            if n > 0 { read(0..<n, into: UnsafeMutableBufferPointer(rebasing: buf[0..<n])) }
            count = n
        }
    }

    /// The tensor materialised (`readAll` with its name and shape).
    public func materialize() -> Tensor {
        Tensor(name: info.name, shape: info.shape, sourceDType: info.dtype, values: readAll())
    }
}

/// An in-memory tensor is its own reader.
extension Tensor: TensorReader {
    public var info: TensorInfo {
        TensorInfo(name: name, dtype: sourceDType, shape: shape, count: count, byteCount: count * 4, isFloatConvertible: true)
    }

    public var granularity: Int { 1 }

    public func read(_ range: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(range.count == out.count && range.lowerBound >= 0 && range.upperBound <= count)
        values.withUnsafeBufferPointer { v in
            guard let src = v.baseAddress, let dst = out.baseAddress else { return }
            dst.update(from: src + range.lowerBound, count: range.count)
        }
    }
}
