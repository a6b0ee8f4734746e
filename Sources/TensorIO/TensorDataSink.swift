import Foundation

/// Where a streamed writer's caller appends tensor data, chunk by chunk, in the order the header gave.
///
/// The header of a streamed file is written first from sizes known in advance, so the sink counts what
/// arrives: more than the header promised is refused at once, less when the writer finishes; either
/// way the temporary file is removed and nothing is renamed into place.
public final class TensorDataSink {
    private let handle: FileHandle
    private let path: String
    /// Bytes the header promised.
    let expected: Int
    /// Bytes written so far.
    public private(set) var written = 0

    init(handle: FileHandle, path: String, expected: Int) {
        self.handle = handle
        self.path = path
        self.expected = expected
    }

    /// Appends float32 values, little-endian.
    public func write(_ values: UnsafeBufferPointer<Float>) throws {
        #if _endian(big)
        let swapped = values.map { $0.bitPattern.littleEndian }
        try swapped.withUnsafeBytes { try write(bytes: $0) }
        #else
        try write(bytes: UnsafeRawBufferPointer(values))
        #endif
    }

    /// Appends bytes as they are.
    public func write(bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count <= expected - written else {
            throw TensorWriteError.io(path: path, reason: "more data than the header describes (\(written + bytes.count) of \(expected) bytes)")
        }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none))
        written += bytes.count
    }

    /// Fails unless exactly the promised bytes arrived.
    func finish() throws {
        guard written == expected else {
            throw TensorWriteError.io(path: path, reason: "the data stopped at \(written) of the \(expected) bytes the header describes")
        }
    }
}

extension AtomicFile {
    /// Writes `head`, then whatever `body` appends to the sink (exactly `dataBytes`), atomically.
    static func stream(to path: String, force: Bool, head: [UInt8], dataBytes: Int, _ body: (TensorDataSink) throws -> Void) throws {
        try refuseExisting(path, force: force)
        try write(to: path) { handle in
            try handle.write(contentsOf: head)
            let sink = TensorDataSink(handle: handle, path: path, expected: dataBytes)
            try body(sink)
            try sink.finish()
        }
    }
}
