import Foundation
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// One tensor to write into a safetensors file.
public struct SafetensorsEntry: Sendable {
    public var name: String
    public var dtype: String
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(name: String, dtype: String, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// F32, little-endian.
    public init(name: String, shape: [Int], floats: [Float]) {
        var b = [UInt8]()
        b.reserveCapacity(floats.count * 4)
        for f in floats {
            let u = f.bitPattern.littleEndian
            b.append(UInt8(truncatingIfNeeded: u)); b.append(UInt8(truncatingIfNeeded: u >> 8))
            b.append(UInt8(truncatingIfNeeded: u >> 16)); b.append(UInt8(truncatingIfNeeded: u >> 24))
        }
        self.init(name: name, dtype: "F32", shape: shape, bytes: b)
    }

    public init(name: String, shape: [Int], uint8: [UInt8]) {
        self.init(name: name, dtype: "U8", shape: shape, bytes: uint8)
    }

    public init(name: String, shape: [Int], int8: [Int8]) {
        self.init(name: name, dtype: "I8", shape: shape, bytes: int8.map { UInt8(bitPattern: $0) })
    }
}

/// Writes safetensors files atomically.
///
/// The file is written to a temporary name in the destination's folder, flushed
/// to disk, then renamed into place, so a reader never sees half a file and a
/// failure leaves nothing behind. The header is padded with spaces to a multiple
/// of 8 bytes, as the reference writer does.
public enum SafetensorsWriter {
    public static func write(_ entries: [SafetensorsEntry], metadata: [String: String]?, to path: String, force: Bool) throws {
        try AtomicFile.refuseExisting(path, force: force)
        let head = try header(entries.map { ($0.name, $0.dtype, $0.shape, $0.bytes.count) }, metadata: metadata, path: path)
        try AtomicFile.write(to: path) { handle in
            try handle.write(contentsOf: head)
            for e in entries { try handle.write(contentsOf: e.bytes) }
        }
    }

    /// The length prefix and the JSON header for tensors of the given sizes, laid out in order.
    static func header(_ tensors: [(name: String, dtype: String, shape: [Int], byteCount: Int)], metadata: [String: String]?,
                       path: String) throws -> [UInt8] {
        var header = "{"
        var parts: [String] = []
        if let metadata, !metadata.isEmpty {
            let items = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            parts.append("\"__metadata__\":{" + items.joined(separator: ",") + "}")
        }
        var offset = 0
        var names = Set<String>()
        for e in tensors {
            guard names.insert(e.name).inserted else { throw TensorWriteError.io(path: path, reason: "duplicate tensor name \(e.name)") }
            parts.append("\(jsonString(e.name)):{\"dtype\":\"\(e.dtype)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + e.byteCount)]}")
            offset += e.byteCount
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var prefix = [UInt8](repeating: 0, count: 8)
        var n = UInt64(headerBytes.count)
        for i in 0..<8 { prefix[i] = UInt8(truncatingIfNeeded: n); n >>= 8 }
        return prefix + headerBytes
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

/// Temporary file in the destination folder + fsync + rename.
enum AtomicFile {
    /// An existing output is replaced only when the user said so.
    static func refuseExisting(_ path: String, force: Bool) throws {
        if !force && FileManager.default.fileExists(atPath: path) { throw TensorWriteError.exists(path: path) }
    }

    static func write(to path: String, _ body: (FileHandle) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw TensorWriteError.io(path: path, reason: "the folder \(dir.path) does not exist")
        }
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
            throw TensorWriteError.io(path: path, reason: "cannot create a file in \(dir.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: tmp)
            do {
                try body(handle)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(tmp.path, path) == 0 else {
                throw TensorWriteError.io(path: path, reason: "cannot rename into place (\(String(cString: strerror(errno))))")
            }
        } catch let e as TensorWriteError {
            try? FileManager.default.removeItem(at: tmp)
            throw e
        } catch let e as TensorFileError {
            // An input that fails while its data streams out is the input's fault, not the output's.
            try? FileManager.default.removeItem(at: tmp)
            throw e
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw TensorWriteError.io(path: path, reason: "write failed (\(error.localizedDescription))")
        }
    }
}
