import TensorCore

/// Parses a GGUF header: key/value metadata and tensor infos (versions 2 and 3).
///
/// Every count, length and offset read from the file is checked against the
/// bytes that remain before anything is allocated from it, so a hostile header
/// (2^62 tensors, a 2^40-byte string, arrays nested without end) fails at once
/// with a clear message and flat memory.
enum GGUFFormat {
    static let magic: [UInt8] = Array("GGUF".utf8)
    /// Limits from gguf.cpp: dimensions per tensor, and nesting of arrays we accept.
    static let maxDims = 4
    static let maxNesting = 8

    struct TensorEntry {
        var info: TensorInfo
        var type: GGMLType?
        var range: Range<Int>
    }

    struct Parsed {
        var version: UInt32
        var metadata: [String: String]
        var tensors: [TensorEntry]
    }

    /// A bounds-checked little-endian cursor over the mapped file.
    struct Cursor {
        let file: MappedFile
        var offset: Int

        mutating func bytes(_ n: Int, _ what: String) throws(TensorFileError) -> [UInt8] {
            guard n >= 0, n <= file.size - offset else {
                throw TensorFileError(file: file.path, offset: offset,
                                      reason: "\(what) needs \(n) bytes but only \(file.size - offset) remain")
            }
            let b = try file.bytes(offset..<(offset + n), what: what)
            offset += n
            return b
        }

        mutating func u32(_ what: String) throws(TensorFileError) -> UInt32 {
            let b = try bytes(4, what)
            return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
        }

        mutating func u64(_ what: String) throws(TensorFileError) -> UInt64 {
            let b = try bytes(8, what)
            return b.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }

        mutating func string(_ what: String) throws(TensorFileError) -> String {
            let at = offset
            let n = try u64("the length of \(what)")
            guard n <= UInt64(file.size - offset) else {
                throw TensorFileError(file: file.path, offset: at,
                                      reason: "\(what) claims \(n) bytes but only \(file.size - offset) remain")
            }
            return String(decoding: try bytes(Int(n), what), as: UTF8.self)
        }
    }

    static func parse(_ file: MappedFile) throws(TensorFileError) -> Parsed {
        var c = Cursor(file: file, offset: 4)
        func fail(_ reason: String, tensor: String? = nil, offset: Int? = nil) -> TensorFileError {
            TensorFileError(file: file.path, tensor: tensor, offset: offset, reason: reason)
        }
        let version = try c.u32("the version")
        guard version == 2 || version == 3 else {
            throw fail("unsupported GGUF version \(version) (expected 2 or 3; version 1 and big-endian files are not read)", offset: 4)
        }
        let tensorCount = try c.u64("the tensor count")
        let kvCount = try c.u64("the metadata count")
        // Each key/value takes at least 13 bytes and each tensor info at least 24.
        guard kvCount <= UInt64(file.size / 13) else { throw fail("metadata count \(kvCount) cannot fit in \(file.size) bytes", offset: 16) }
        guard tensorCount <= UInt64(file.size / 24) else { throw fail("tensor count \(tensorCount) cannot fit in \(file.size) bytes", offset: 8) }

        var metadata: [String: String] = [:]
        var alignment = 32
        for _ in 0..<Int(kvCount) {
            let at = c.offset
            let key = try c.string("a metadata key")
            guard metadata[key] == nil else { throw fail("the metadata key '\(key)' appears twice", offset: at) }
            let type = try c.u32("the type of '\(key)'")
            let (text, number) = try value(&c, type: type, key: key, depth: 0)
            metadata[key] = text
            if key == "general.alignment" {
                guard type == 4, let a = number, a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                    throw fail("general.alignment must be a u32 power of two", offset: at)
                }
                alignment = Int(a)
            }
        }

        struct RawInfo { var name: String; var dims: [Int]; var type: UInt32; var offset: UInt64; var at: Int }
        var infos: [RawInfo] = []
        var names = Set<String>()
        for _ in 0..<Int(tensorCount) {
            let at = c.offset
            let name = try c.string("a tensor name")
            guard names.insert(name).inserted else { throw fail("the tensor name appears twice", tensor: name, offset: at) }
            let nd = try c.u32("the dimension count")
            guard nd <= UInt32(maxDims) else { throw fail("\(nd) dimensions (at most \(maxDims))", tensor: name, offset: at) }
            var dims: [Int] = []
            for _ in 0..<Int(nd) {
                let d = try c.u64("a dimension")
                guard d <= UInt64(Int32.max) * 64 else { throw fail("dimension \(d) is implausibly large", tensor: name, offset: at) }
                dims.append(Int(d))
            }
            let type = try c.u32("the tensor type")
            let offset = try c.u64("the tensor offset")
            infos.append(RawInfo(name: name, dims: dims, type: type, offset: offset, at: at))
        }
        let dataStart = (c.offset + alignment - 1) / alignment * alignment
        var tensors: [TensorEntry] = []
        for r in infos {
            var count = 1
            for d in r.dims {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw fail("shape \(r.dims) overflows the element count", tensor: r.name) }
                count = p
            }
            let shape = Array(r.dims.reversed()) // GGUF lists the innermost dimension first
            guard let type = GGMLType(rawValue: r.type) else {
                throw fail("unknown ggml type \(r.type)", tensor: r.name, offset: r.at)
            }
            let (qk, bs) = type.blockLayout
            guard (r.dims.first ?? 1) % qk == 0 else {
                throw fail("the row length \(r.dims.first ?? 1) is not a multiple of \(type.name)'s block of \(qk)", tensor: r.name)
            }
            let (bytes, bytesOverflow) = (count / qk).multipliedReportingOverflow(by: bs)
            guard !bytesOverflow else { throw fail("shape \(shape) overflows the byte count", tensor: r.name) }
            guard r.offset % UInt64(alignment) == 0 else {
                throw fail("offset \(r.offset) is not a multiple of the alignment \(alignment)", tensor: r.name)
            }
            guard r.offset <= UInt64(file.size), dataStart + Int(r.offset) + bytes <= file.size else {
                throw fail("the data (\(bytes) bytes at offset \(r.offset)) runs past the end of the file", tensor: r.name,
                           offset: dataStart + Int(min(r.offset, UInt64(file.size))))
            }
            let begin = dataStart + Int(r.offset)
            let info = TensorInfo(name: r.name, dtype: type.name, shape: shape, count: count, byteCount: bytes,
                                  isFloatConvertible: type.isReadable)
            tensors.append(TensorEntry(info: info, type: type, range: begin..<(begin + bytes)))
        }
        return Parsed(version: version, metadata: metadata, tensors: tensors)
    }

    /// Reads one value; returns its text for the metadata map (arrays summarised) and, for
    /// unsigned integers, the number.
    static func value(_ c: inout Cursor, type: UInt32, key: String, depth: Int) throws(TensorFileError) -> (String, UInt64?) {
        switch type {
        case 0: let b = try c.bytes(1, key); return (String(b[0]), UInt64(b[0]))
        case 1: let b = try c.bytes(1, key); return (String(Int8(bitPattern: b[0])), nil)
        case 2: let b = try c.bytes(2, key); let v = UInt16(b[0]) | UInt16(b[1]) << 8; return (String(v), UInt64(v))
        case 3: let b = try c.bytes(2, key); return (String(Int16(bitPattern: UInt16(b[0]) | UInt16(b[1]) << 8)), nil)
        case 4: let v = try c.u32(key); return (String(v), UInt64(v))
        case 5: return (String(Int32(bitPattern: try c.u32(key))), nil)
        case 6: return (String(Float(bitPattern: try c.u32(key))), nil)
        case 7: let b = try c.bytes(1, key); return (b[0] != 0 ? "true" : "false", nil)
        case 8: return (try c.string("the value of '\(key)'"), nil)
        case 10: let v = try c.u64(key); return (String(v), v)
        case 11: return (String(Int64(bitPattern: try c.u64(key))), nil)
        case 12: return (String(Double(bitPattern: try c.u64(key))), nil)
        case 9:
            guard depth < maxNesting else {
                throw TensorFileError(file: c.file.path, offset: c.offset, reason: "arrays nested deeper than \(maxNesting) in '\(key)'")
            }
            let elementType = try c.u32("the element type of '\(key)'")
            let at = c.offset
            let n = try c.u64("the length of '\(key)'")
            // Every element takes at least one byte: a count past the remaining bytes is a lie.
            guard n <= UInt64(c.file.size - c.offset) else {
                throw TensorFileError(file: c.file.path, offset: at,
                                      reason: "array '\(key)' claims \(n) elements but only \(c.file.size - c.offset) bytes remain")
            }
            var preview: [String] = []
            for i in 0..<Int(n) {
                let (t, _) = try value(&c, type: elementType, key: key, depth: depth + 1)
                if i < 4 { preview.append(t) }
            }
            let name = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"][Int(min(elementType, 12))]
            return ("[\(n) × \(name)\(n > 0 ? ": " + preview.joined(separator: ", ") + (n > 4 ? ", …" : "") : "")]", nil)
        default:
            throw TensorFileError(file: c.file.path, offset: c.offset, reason: "unknown value type \(type) for '\(key)'")
        }
    }
}
