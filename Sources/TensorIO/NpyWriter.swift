import Foundation

/// Writes NumPy `.npy` files of float32 (`<f4`, C order, format version 1.0), streamed and atomically.
///
/// The header is `\x93NUMPY`, version 1.0, a little-endian u16 length, and a Python dict literal padded
/// with spaces and a newline so that the data starts on a multiple of 64 bytes, as NumPy writes it.
public enum NpyWriter {
    /// The header for a float32 array of `shape`.
    static func header(shape: [Int], path: String) throws -> [UInt8] {
        let dims = shape.map(String.init)
        let tuple = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
        var dict = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }".utf8)
        let preamble = 10
        let total = (preamble + dict.count + 1 + 63) / 64 * 64
        dict += [UInt8](repeating: 0x20, count: total - preamble - dict.count - 1) + [0x0A]
        guard dict.count <= Int(UInt16.max) else {
            throw TensorWriteError.io(path: path, reason: "a shape of \(shape.count) dimensions does not fit a version 1.0 .npy header")
        }
        let n = UInt16(dict.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + dict
    }

    /// Writes a float32 array of `shape` whose values `body` appends to the sink in row-major order.
    public static func stream(shape: [Int], to path: String, force: Bool, _ body: (TensorDataSink) throws -> Void) throws {
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !o, p <= Int.max / 4 else { throw TensorWriteError.io(path: path, reason: "shape \(shape) overflows") }
            count = p
        }
        try AtomicFile.stream(to: path, force: force, head: try header(shape: shape, path: path), dataBytes: count * 4, body)
    }

    /// Writes `values` (row-major, `shape`'s element count) at once.
    public static func write(_ values: [Float], shape: [Int], to path: String, force: Bool) throws {
        try stream(shape: shape, to: path, force: force) { sink in
            try values.withUnsafeBufferPointer { try sink.write($0) }
        }
    }
}
