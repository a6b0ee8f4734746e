import TensorCore

/// Parses and validates a NumPy `.npy` header.
///
/// Magic `\x93NUMPY`, a major and minor version byte, a header length (u16 in
/// version 1, u32 in versions 2 and 3), then a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (384, 1536), }`. The dict
/// is parsed as a literal by a small strict parser — never evaluated — and
/// object arrays are refused, never unpickled.
enum NumpyFormat {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// Headers above this size are not written by NumPy and are refused.
    static let maxHeader = 1 << 20

    struct Header {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
        var storage: StorageType
        var bigEndian: Bool
        var dataOffset: Int
        var count: Int
        /// Bytes per element, from the descriptor (also for types qscope cannot convert, such as `<c8`).
        var itemSize: Int
        /// Bytes of data the header describes: `count × itemSize`.
        var byteCount: Int
    }

    /// The keys NumPy writes, and the only ones its reader accepts.
    static let headerKeys: Set<String> = ["descr", "fortran_order", "shape"]

    static func parse(_ file: MappedFile, requireData: Bool = true) throws(TensorFileError) -> Header {
        let path = file.path
        func fail(_ reason: String, offset: Int? = nil) -> TensorFileError {
            TensorFileError(file: path, offset: offset, reason: reason)
        }
        let lead = try file.bytes(0..<min(file.size, 12), what: "the .npy preamble")
        guard lead.count >= 10, Array(lead[0..<6]) == magic else { throw fail("not a NumPy .npy file (bad magic)", offset: 0) }
        let major = lead[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(lead[8]) | Int(lead[9]) << 8
            headerStart = 10
        case 2, 3:
            guard lead.count >= 12 else { throw fail("truncated .npy preamble", offset: 8) }
            headerLength = Int(lead[8]) | Int(lead[9]) << 8 | Int(lead[10]) << 16 | Int(lead[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy version \(major).\(lead[7]) (expected 1.0, 2.0 or 3.0)", offset: 6)
        }
        guard headerLength <= maxHeader else { throw fail("header length \(headerLength) is implausibly large", offset: 8) }
        guard headerStart + headerLength <= file.size else {
            throw fail("header length \(headerLength) runs past the end of the file (\(file.size) bytes)", offset: 8)
        }
        let text = try file.bytes(headerStart..<(headerStart + headerLength), what: "the header")
        var parser = LiteralParser(bytes: text)
        let dict: [String: LiteralParser.Value]
        do { dict = try parser.parseDict() } catch {
            throw fail("the header is not a dict literal: \(error.reason)", offset: headerStart + error.position)
        }
        if let extra = dict.keys.first(where: { !headerKeys.contains($0) }) {
            throw fail("the header has the unexpected key '\(extra)' (expected only 'descr', 'fortran_order' and 'shape')",
                       offset: headerStart)
        }
        guard case .string(let descr)? = dict["descr"] else { throw fail("the header has no 'descr' string", offset: headerStart) }
        guard case .bool(let fortran)? = dict["fortran_order"] else {
            throw fail("the header has no 'fortran_order' True/False", offset: headerStart)
        }
        guard case .tuple(let dims)? = dict["shape"] else { throw fail("the header has no 'shape' tuple", offset: headerStart) }
        var shape: [Int] = []
        var count = 1
        for d in dims {
            guard case .int(let v) = d, v >= 0 else { throw fail("shape holds something other than non-negative integers") }
            let (p, o) = count.multipliedReportingOverflow(by: v)
            guard !o else { throw fail("shape \(dims.count)-D overflows the element count") }
            shape.append(v)
            count = p
        }
        let (storage, bigEndian, itemSize) = try storageType(descr, file: path)
        let dataOffset = headerStart + headerLength
        guard storage.isFloatConvertible || !descr.contains("O") else {
            throw fail("object arrays ('\(descr)') hold pickled Python objects; qscope never unpickles them")
        }
        let (bytes, o) = count.multipliedReportingOverflow(by: itemSize)
        guard !o else { throw fail("shape \(shape) overflows the byte count") }
        let available = file.size - dataOffset
        guard bytes <= available || !requireData else {
            throw fail("the data is truncated: shape \(shape) of \(descr) needs \(bytes) bytes, the file has \(available) after the header",
                       offset: dataOffset)
        }
        return Header(descr: descr, fortranOrder: fortran, shape: shape, storage: storage, bigEndian: bigEndian,
                      dataOffset: dataOffset, count: count, itemSize: itemSize, byteCount: bytes)
    }

    /// Maps a descriptor such as `<f4` or `>i2` to a storage type, byte order and item size.
    static func storageType(_ descr: String, file: String) throws(TensorFileError) -> (StorageType, bigEndian: Bool, itemSize: Int) {
        let chars = Array(descr)
        guard chars.count >= 2 else { throw TensorFileError(file: file, reason: "unknown dtype descriptor '\(descr)'") }
        let order = chars[0]
        let code = String(chars[1...])
        let big = order == ">"
        guard "<>|=".contains(order) else {
            throw TensorFileError(file: file, reason: "unknown dtype descriptor '\(descr)' (expected a byte-order mark <, > or |)")
        }
        let storage: StorageType
        switch code {
        case "f8": storage = .float64
        case "f4": storage = .float32
        case "f2": storage = .float16
        case "V2": storage = .bfloat16 // ml_dtypes saves bfloat16 as a raw two-byte void
        case "f1": storage = .float8E5M2 // ml_dtypes float8_e5m2
        case "i1": storage = .int8
        case "u1": storage = .uint8
        case "i2": storage = .int16
        case "u2": storage = .uint16
        case "i4": storage = .int32
        case "u4": storage = .uint32
        case "i8": storage = .int64
        case "u8": storage = .uint64
        case "b1", "V1": return (.unsupported(descr), big, 1)
        case "c8": return (.unsupported(descr), big, 8)
        case "c16": return (.unsupported(descr), big, 16)
        case "O", "O4", "O8":
            throw TensorFileError(file: file, reason: "object arrays ('\(descr)') hold pickled Python objects; qscope never unpickles them")
        default:
            throw TensorFileError(file: file, reason: "unsupported dtype descriptor '\(descr)' (expected a numeric type such as <f4, <f2, |i1)")
        }
        return (storage, big, storage.byteWidth)
    }
}

/// A strict parser for the Python literals a `.npy` header may contain.
struct LiteralParser {
    enum Value: Equatable {
        case string(String), int(Int), bool(Bool), tuple([Value]), none
    }

    struct Failure: Error {
        var reason: String
        var position: Int
    }

    let bytes: [UInt8]
    var i = 0
    /// Nesting is bounded so a hostile header cannot recurse deeply.
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDict() throws(Failure) -> [String: Value] {
        skipSpace()
        try expect("{")
        var out: [String: Value] = [:]
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "}") { i += 1; break }
            guard case .string(let key) = try parseValue() else { throw Failure(reason: "dict keys must be strings", position: i) }
            skipSpace()
            try expect(":")
            let value = try parseValue()
            if out[key] != nil { throw Failure(reason: "duplicate key '\(key)'", position: i) }
            out[key] = value
            skipSpace()
            if peek() == UInt8(ascii: ",") { i += 1; continue }
            skipSpace()
            try expect("}")
            break
        }
        skipSpace()
        guard i == bytes.count else { throw Failure(reason: "unexpected text after the dict", position: i) }
        return out
    }

    mutating func parseValue() throws(Failure) -> Value {
        skipSpace()
        guard let c = peek() else { throw Failure(reason: "unexpected end", position: i) }
        switch c {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            i += 1
            let start = i
            while let d = peek(), d != c {
                if d == UInt8(ascii: "\\") { throw Failure(reason: "escapes are not expected in a header", position: i) }
                i += 1
            }
            guard peek() == c else { throw Failure(reason: "unterminated string", position: start) }
            let s = String(decoding: bytes[start..<i], as: UTF8.self)
            i += 1
            return .string(s)
        case UInt8(ascii: "("):
            depth += 1
            guard depth <= 4 else { throw Failure(reason: "nesting too deep", position: i) }
            defer { depth -= 1 }
            i += 1
            var items: [Value] = []
            var sawComma = false
            while true {
                skipSpace()
                if peek() == UInt8(ascii: ")") { i += 1; break }
                items.append(try parseValue())
                guard items.count <= 64 else { throw Failure(reason: "more than 64 dimensions", position: i) }
                skipSpace()
                if peek() == UInt8(ascii: ",") { i += 1; sawComma = true; continue }
                skipSpace()
                try expect(")")
                break
            }
            // As in Python, `(3)` is the number 3 in parentheses; only `(3,)` is a one-element tuple.
            if items.count == 1 && !sawComma { return items[0] }
            return .tuple(items)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = i
            while let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) { i += 1 }
            if peek() == UInt8(ascii: "L") { i += 1 }
            let digits = String(decoding: bytes[start..<i], as: UTF8.self).replacingOccurrences(of: "L", with: "")
            guard let v = Int(digits) else { throw Failure(reason: "integer \(digits) is too large", position: start) }
            return .int(v)
        default:
            for (word, value) in [("True", Value.bool(true)), ("False", .bool(false)), ("None", .none)] {
                let w = Array(word.utf8)
                if i + w.count <= bytes.count && Array(bytes[i..<(i + w.count)]) == w {
                    i += w.count
                    return value
                }
            }
            throw Failure(reason: "unexpected character '\(Character(Unicode.Scalar(c)))'", position: i)
        }
    }

    func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func skipSpace() {
        while let c = peek(), c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 }
    }

    mutating func expect(_ s: Character) throws(Failure) {
        guard let c = peek(), c == s.asciiValue! else { throw Failure(reason: "expected '\(s)'", position: i) }
        i += 1
    }
}
