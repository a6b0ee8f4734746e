import Foundation
import TensorCore

/// Parses and validates a safetensors header.
///
/// Layout: u64 little-endian header length N, N bytes of JSON, then the data
/// buffer. Every rule of the reference reader is checked before any tensor is
/// touched: offsets tile the buffer without gaps or overlaps, each tensor's byte
/// count equals its shape times its element size, and the buffer ends exactly
/// at the end of the file.
enum SafetensorsFormat {
    /// The reference reader's cap on the header length.
    static let maxHeader = 100_000_000

    struct Entry {
        var info: TensorInfo
        var storage: StorageType
        /// Absolute byte range in the file.
        var range: Range<Int>
    }

    static func storage(named dtype: String) -> StorageType? {
        switch dtype {
        case "F64": .float64
        case "F32": .float32
        case "F16": .float16
        case "BF16": .bfloat16
        case "F8_E4M3": .float8E4M3
        case "F8_E5M2": .float8E5M2
        case "I8": .int8
        case "U8": .uint8
        case "I16": .int16
        case "U16": .uint16
        case "I32": .int32
        case "U32": .uint32
        case "I64": .int64
        case "U64": .uint64
        case "BOOL", "C64", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2": .unsupported(dtype)
        default: nil
        }
    }

    /// Bits per element of every dtype the format defines.
    static func bits(of dtype: String) -> Int? {
        switch dtype {
        case "F64", "I64", "U64", "C64": 64
        case "F32", "I32", "U32": 32
        case "F16", "BF16", "I16", "U16": 16
        case "F8_E4M3", "F8_E5M2", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F8_E8M0", "I8", "U8", "BOOL": 8
        case "F6_E2M3", "F6_E3M2": 6
        case "F4": 4
        default: nil
        }
    }

    static func parse(_ file: MappedFile) throws(TensorFileError) -> (entries: [Entry], metadata: [String: String]) {
        let path = file.path
        func fail(_ reason: String, tensor: String? = nil, offset: Int? = nil) -> TensorFileError {
            TensorFileError(file: path, tensor: tensor, offset: offset, reason: reason)
        }
        guard file.size >= 8 else { throw fail("too short for a safetensors header (\(file.size) bytes, need at least 8)") }
        let lenBytes = try file.bytes(0..<8, what: "the header length")
        let n = lenBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(maxHeader) else { throw fail("header length \(n) exceeds the 100000000-byte limit", offset: 0) }
        guard 8 + Int(n) <= file.size else {
            throw fail("header length \(n) runs past the end of the file (\(file.size) bytes)", offset: 0)
        }
        let headerBytes = try file.bytes(8..<(8 + Int(n)), what: "the JSON header")
        guard headerBytes.first == UInt8(ascii: "{") else { throw fail("the header does not start with '{'", offset: 8) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [])
        } catch {
            throw fail("the header is not valid JSON", offset: 8)
        }
        guard let object = json as? [String: Any] else { throw fail("the header is not a JSON object", offset: 8) }
        try checkNoDuplicateKeys(headerBytes, file: path)

        var metadata: [String: String] = [:]
        if let meta = object["__metadata__"] {
            guard let m = meta as? [String: Any] else { throw fail("__metadata__ is not an object of strings", offset: 8) }
            for (k, v) in m {
                guard let s = v as? String else { throw fail("__metadata__ value of '\(k)' is not a string", offset: 8) }
                metadata[k] = s
            }
        }
        let dataStart = 8 + Int(n)
        let bufferSize = file.size - dataStart
        var entries: [Entry] = []
        for (name, value) in object where name != "__metadata__" {
            guard let t = value as? [String: Any] else { throw fail("the entry is not an object", tensor: name) }
            guard let dtype = t["dtype"] as? String else { throw fail("missing or non-string \"dtype\"", tensor: name) }
            guard let storage = storage(named: dtype), let bits = bits(of: dtype) else {
                throw fail("unknown dtype \"\(dtype)\" (expected one of F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I8, U8, I16, U16, I32, U32, I64, U64, BOOL, ...)", tensor: name)
            }
            guard let shapeAny = t["shape"] as? [Any] else { throw fail("missing or non-array \"shape\"", tensor: name) }
            var shape: [Int] = []
            var count = 1
            for d in shapeAny {
                guard let dim = jsonInteger(d), dim >= 0 else {
                    throw fail("shape \(shapeAny) holds something other than non-negative integers", tensor: name)
                }
                let (p, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw fail("shape \(shapeAny) overflows the element count", tensor: name) }
                shape.append(dim)
                count = p
            }
            guard let offsets = t["data_offsets"] as? [Any], offsets.count == 2,
                  let b = jsonInteger(offsets[0]), let e = jsonInteger(offsets[1]), b >= 0, e >= b else {
                throw fail("\"data_offsets\" must be two integers [begin, end] with begin <= end", tensor: name)
            }
            let (totalBits, o1) = count.multipliedReportingOverflow(by: bits)
            guard !o1, totalBits % 8 == 0 else { throw fail("shape \(shape) of \(dtype) is not a whole number of bytes", tensor: name) }
            let expected = totalBits / 8
            guard e - b == expected else {
                throw fail("data_offsets [\(b), \(e)] do not match shape \(shape) of \(dtype) (expected \(expected) bytes)", tensor: name)
            }
            guard e <= bufferSize else {
                throw fail("data_offsets [\(b), \(e)] run past the end of the data (\(bufferSize) bytes)", tensor: name,
                           offset: dataStart + min(b, bufferSize))
            }
            let info = TensorInfo(name: name, dtype: dtype, shape: shape, count: count, byteCount: expected,
                                  isFloatConvertible: storage.isFloatConvertible)
            entries.append(Entry(info: info, storage: storage, range: (dataStart + b)..<(dataStart + e)))
        }
        entries.sort { ($0.range.lowerBound, $0.range.upperBound, $0.info.name) < ($1.range.lowerBound, $1.range.upperBound, $1.info.name) }
        var cursor = dataStart
        for entry in entries {
            if entry.range.lowerBound > cursor {
                throw fail("a gap of \(entry.range.lowerBound - cursor) bytes before this tensor: tensors must tile the data buffer",
                           tensor: entry.info.name, offset: cursor)
            }
            if entry.range.lowerBound < cursor {
                throw fail("its bytes overlap the previous tensor's", tensor: entry.info.name, offset: entry.range.lowerBound)
            }
            cursor = entry.range.upperBound
        }
        guard cursor == file.size else {
            throw fail("\(file.size - cursor) bytes after the last tensor are not described by the header", offset: cursor)
        }
        return (entries, metadata)
    }

    /// The value of a JSON integer literal, or nil for anything else.
    ///
    /// The reference reader deserialises shapes and offsets as unsigned integers, so
    /// `true`, `1.0`, `1.5` and `1e2` are refused rather than read as numbers, and so
    /// is an integer outside `Int`'s range (JSONSerialization returns those as
    /// unsigned or decimal numbers, which `as? Int` does not convert).
    static func jsonInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !(value is NSDecimalNumber) else { return nil }
        // Booleans report "c"; literals with a fraction or exponent report "d".
        let kind = String(cString: number.objCType)
        guard kind != "c", kind != "d", kind != "f" else { return nil }
        return value as? Int
    }

    /// JSONSerialization keeps the last of duplicate keys; the format forbids them. Scan the
    /// top-level keys of the header text (strings directly inside the outer object).
    private static func checkNoDuplicateKeys(_ bytes: [UInt8], file: String) throws(TensorFileError) {
        var seen = Set<String>()
        var depth = 0
        var i = 0
        var expectKey = false
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                var j = i + 1
                while j < bytes.count && bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
                if depth == 1 && expectKey {
                    let key = decodedKey(Array(bytes[(i + 1)..<min(j, bytes.count)]))
                    if !seen.insert(key).inserted {
                        throw TensorFileError(file: file, tensor: key, offset: 8 + i,
                                              reason: "the name appears twice in the header")
                    }
                    expectKey = false
                }
                i = j + 1
                continue
            }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth == 1 { expectKey = true }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ","): if depth == 1 { expectKey = true }
            default: break
            }
            i += 1
        }
    }

    /// A key's text with its JSON escapes resolved, so `"a"` and `"\u0061"` count as the same name.
    private static func decodedKey(_ raw: [UInt8]) -> String {
        guard raw.contains(UInt8(ascii: "\\")),
              let s = try? JSONSerialization.jsonObject(with: Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]),
                                                        options: .fragmentsAllowed) as? String else {
            return String(decoding: raw, as: UTF8.self)
        }
        return s
    }
}
