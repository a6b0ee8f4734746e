import Foundation

/// One tensor of a streamed safetensors file, described before its data exists.
public struct SafetensorsTensorHeader: Sendable {
    public var name: String
    /// A safetensors dtype (`F32`, `BF16`, `U8`, ...).
    public var dtype: String
    public var shape: [Int]

    public init(name: String, dtype: String = "F32", shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }
}

extension SafetensorsWriter {
    /// Writes a safetensors file whose data arrives chunk by chunk: the header first, from the tensors'
    /// shapes, then `body` appends every tensor's bytes in order, so a tensor larger than memory can be
    /// written as it is computed. Atomic like `write`; too few or too many bytes fail and leave nothing.
    public static func stream(_ tensors: [SafetensorsTensorHeader], metadata: [String: String]?, to path: String, force: Bool,
                              _ body: (TensorDataSink) throws -> Void) throws {
        var sized: [(name: String, dtype: String, shape: [Int], byteCount: Int)] = []
        var total = 0
        for t in tensors {
            guard let bits = SafetensorsFormat.bits(of: t.dtype) else {
                throw TensorWriteError.io(path: path, reason: "unknown safetensors dtype \(t.dtype) for \(t.name)")
            }
            var count = 1
            for d in t.shape {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard d >= 0, !o else { throw TensorWriteError.io(path: path, reason: "shape \(t.shape) of \(t.name) overflows") }
                count = p
            }
            let (b, o) = count.multipliedReportingOverflow(by: bits)
            guard !o, b % 8 == 0 else { throw TensorWriteError.io(path: path, reason: "\(t.name) is not a whole number of bytes") }
            sized.append((t.name, t.dtype, t.shape, b / 8))
            total += b / 8
        }
        let head = try header(sized, metadata: metadata, path: path)
        try AtomicFile.stream(to: path, force: force, head: head, dataBytes: total, body)
    }
}
