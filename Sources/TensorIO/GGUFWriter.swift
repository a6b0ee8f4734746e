import Foundation
import TensorCore

/// A GGUF metadata value: the scalar types of GGUF v3 and arrays of the common ones.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case strings([String]), int32s([Int32]), uint32s([UInt32]), int64s([Int64]), uint64s([UInt64]), float32s([Float])

    /// GGUF's value type code (`gguf_type`).
    var typeCode: UInt32 {
        switch self {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .strings, .int32s, .uint32s, .int64s, .uint64s, .float32s: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }
}

/// One tensor of a GGUF file to be written: its name, row-major shape and ggml type.
public struct GGUFTensorSpec: Sendable, Equatable {
    public var name: String
    /// Row-major (NumPy/PyTorch) dimensions; GGUF stores them reversed (innermost first), so the last
    /// dimension here is GGUF's `ne[0]`, the one blocks run along.
    public var shape: [Int]
    public var type: GGMLType

    public init(name: String, shape: [Int], type: GGMLType) {
        self.name = name
        self.shape = shape
        self.type = type
    }

    public var count: Int { shape.reduce(1, *) }
    /// Bytes of block data: `count / blockLayout.elements · blockLayout.bytes`.
    public var byteCount: Int { count / type.blockLayout.elements * type.blockLayout.bytes }
}

/// Writes GGUF v3 files that llama.cpp, gguf-py's `GGUFReader` and qscope's own reader accept.
///
/// The header (key/values, tensor infos with offsets) is computed from the tensors' sizes first, so a
/// tensor's bytes can then be streamed chunk by chunk: a large tensor is quantized and written a slice
/// at a time, never held whole. Every tensor starts on a multiple of `alignment` (32, written as
/// `general.alignment`) and is padded with zeros to the next one, as gguf-py and gguf.cpp do.
/// `general.quantization_version` = 2 is added when a tensor is quantized and the caller gave none.
///
/// The file is written atomically (a temporary file in the destination's folder, flushed, then renamed),
/// and an existing file is replaced only with `force`.
public enum GGUFWriter {
    public static let alignment = 32
    /// gguf.cpp's limit: names are at most 63 bytes (64 with the terminating NUL of `GGML_MAX_NAME`).
    public static let maxNameBytes = 63

    /// Writes `tensors`, asking `data(i, write)` for tensor i's bytes: it calls `write` with consecutive
    /// chunks (any sizes) that together are exactly `tensors[i].byteCount` bytes.
    public static func write(to path: String, metadata: [(key: String, value: GGUFValue)], tensors: [GGUFTensorSpec], force: Bool,
                             data: (_ tensor: Int, _ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        if !force && FileManager.default.fileExists(atPath: path) { throw TensorWriteError.exists(path: path) }
        let (header, offsets) = try header(path: path, metadata: metadata, tensors: tensors)
        try AtomicFile.write(to: path) { handle in
            let sink = BufferedSink(handle: handle)
            try sink.append(header)
            for (i, t) in tensors.enumerated() {
                let start = sink.written
                precondition(start == header.count + offsets[i], "tensor offsets are computed from the same sizes")
                try data(i) { chunk in
                    guard sink.written - start + chunk.count <= t.byteCount else {
                        throw TensorWriteError.io(path: path, reason: "tensor '\(t.name)' was given more than its \(t.byteCount) bytes")
                    }
                    try sink.append(chunk)
                }
                guard sink.written - start == t.byteCount else {
                    throw TensorWriteError.io(path: path, reason: "tensor '\(t.name)' was given \(sink.written - start) of its \(t.byteCount) bytes")
                }
                try sink.append([UInt8](repeating: 0, count: padding(t.byteCount)))
            }
            try sink.flush()
        }
    }

    /// Writes tensors whose bytes are in memory.
    public static func write(to path: String, metadata: [(key: String, value: GGUFValue)], tensors: [(spec: GGUFTensorSpec, bytes: [UInt8])],
                             force: Bool) throws {
        try write(to: path, metadata: metadata, tensors: tensors.map(\.spec), force: force) { i, sink in
            try tensors[i].bytes.withUnsafeBytes { try sink($0) }
        }
    }

    /// Zero bytes that bring `n` to a multiple of the alignment.
    static func padding(_ n: Int) -> Int { (alignment - n % alignment) % alignment }

    /// The header (magic … tensor infos, padded to the alignment) and each tensor's offset in the data
    /// section. Checks every name, shape and size first.
    static func header(path: String, metadata: [(key: String, value: GGUFValue)], tensors: [GGUFTensorSpec]) throws -> ([UInt8], [Int]) {
        func fail(_ reason: String) -> TensorWriteError { .io(path: path, reason: reason) }
        var kvs = metadata
        var keys = Set<String>()
        for (key, value) in metadata {
            guard !key.isEmpty, key.utf8.count <= 65535 else { throw fail("metadata key '\(key.prefix(40))' must be 1…65535 bytes") }
            guard keys.insert(key).inserted else { throw fail("metadata key '\(key)' appears twice") }
            if key == "general.alignment" && value != .uint32(UInt32(alignment)) {
                throw fail("general.alignment must be the u32 \(alignment) (qscope writes only that alignment)")
            }
        }
        if !keys.contains("general.alignment") { kvs.append(("general.alignment", .uint32(UInt32(alignment)))) }
        if !keys.contains("general.quantization_version") && tensors.contains(where: \.type.isQuantized) {
            kvs.append(("general.quantization_version", .uint32(2))) // GGML_QNT_VERSION
        }

        var out = ByteWriter()
        out.bytes(Array("GGUF".utf8))
        out.u32(3)
        out.u64(UInt64(tensors.count))
        out.u64(UInt64(kvs.count))
        for (key, value) in kvs {
            out.string(key)
            out.u32(value.typeCode)
            out.value(value)
        }
        var names = Set<String>()
        var offsets: [Int] = []
        var offset = 0
        for t in tensors {
            guard !t.name.isEmpty, t.name.utf8.count <= maxNameBytes else {
                throw fail("tensor name '\(t.name.prefix(80))' must be 1…\(maxNameBytes) bytes")
            }
            guard names.insert(t.name).inserted else { throw fail("tensor name '\(t.name)' appears twice") }
            guard (1...4).contains(t.shape.count), t.shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(t.name)': shape \(t.shape) must have 1 to 4 dimensions, none negative")
            }
            var count = 1
            for d in t.shape {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw fail("tensor '\(t.name)': shape \(t.shape) overflows") }
                count = p
            }
            let qk = t.type.blockLayout.elements
            guard t.shape.last! % qk == 0 else {
                throw fail("tensor '\(t.name)': the row length \(t.shape.last!) is not a multiple of \(t.type.name)'s block of \(qk)")
            }
            let (bytes, bytesOverflow) = (count / qk).multipliedReportingOverflow(by: t.type.blockLayout.bytes)
            guard !bytesOverflow, bytes <= Int.max / 2 - offset else { throw fail("tensor '\(t.name)': the file would be too large") }
            out.string(t.name)
            out.u32(UInt32(t.shape.count))
            for d in t.shape.reversed() { out.u64(UInt64(d)) } // innermost first
            out.u32(t.type.rawValue)
            out.u64(UInt64(offset))
            offsets.append(offset)
            offset += bytes + padding(bytes)
        }
        out.bytes([UInt8](repeating: 0, count: padding(out.data.count)))
        return (out.data, offsets)
    }

    /// Little-endian GGUF encoding into memory (the header only: it is small).
    struct ByteWriter {
        var data: [UInt8] = []
        mutating func bytes(_ b: [UInt8]) { data.append(contentsOf: b) }
        mutating func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        mutating func u32(_ v: UInt32) { le(v) }
        mutating func u64(_ v: UInt64) { le(v) }
        mutating func string(_ s: String) {
            u64(UInt64(s.utf8.count))
            data.append(contentsOf: s.utf8)
        }
        mutating func array<T>(_ type: UInt32, _ items: [T], _ each: (inout ByteWriter, T) -> Void) {
            u32(type)
            u64(UInt64(items.count))
            for item in items { each(&self, item) }
        }
        mutating func value(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): le(x)
            case .int8(let x): le(x)
            case .uint16(let x): le(x)
            case .int16(let x): le(x)
            case .uint32(let x): le(x)
            case .int32(let x): le(x)
            case .uint64(let x): le(x)
            case .int64(let x): le(x)
            case .float32(let x): le(x.bitPattern)
            case .float64(let x): le(x.bitPattern)
            case .bool(let x): le(UInt8(x ? 1 : 0))
            case .string(let s): string(s)
            case .strings(let a): array(8, a) { $0.string($1) }
            case .int32s(let a): array(5, a) { $0.le($1) }
            case .uint32s(let a): array(4, a) { $0.le($1) }
            case .int64s(let a): array(11, a) { $0.le($1) }
            case .uint64s(let a): array(10, a) { $0.le($1) }
            case .float32s(let a): array(6, a) { $0.le($1.bitPattern) }
            }
        }
    }

    /// Collects small chunks into 4 MiB writes.
    final class BufferedSink {
        let handle: FileHandle
        var buffer: [UInt8] = []
        private(set) var written = 0
        static let capacity = 4 << 20

        init(handle: FileHandle) {
            self.handle = handle
            buffer.reserveCapacity(Self.capacity)
        }

        func append(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try append($0) } }

        func append(_ chunk: UnsafeRawBufferPointer) throws {
            written += chunk.count
            if buffer.count + chunk.count > Self.capacity { try flush() }
            if chunk.count >= Self.capacity {
                try handle.write(contentsOf: Data(chunk))
            } else {
                buffer.append(contentsOf: chunk)
            }
        }

        func flush() throws {
            guard !buffer.isEmpty else { return }
            try handle.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }
}
