#if canImport(Glibc)
import TensorCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory.
///
/// Tensor files can be gigabytes; mapping lets `list` read only the header and
/// `load` touch only the bytes of one tensor. The file is opened `O_RDONLY` and
/// mapped `PROT_READ`, so qscope cannot modify an input even by mistake.
final class MappedFile: @unchecked Sendable {
    let path: String
    let size: Int
    private let base: UnsafeRawPointer?
    /// True when `base` is memory this object allocated (an in-memory member of an archive).
    private let owned: Bool

    /// Bytes held in memory under a name (an `.npz` member), read through the same checked API.
    init(path: String, bytes: [UInt8]) {
        self.path = path
        size = bytes.count
        owned = true
        if bytes.isEmpty {
            base = nil
        } else {
            let p = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 16)
            bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            base = UnsafeRawPointer(p)
        }
    }

    init(path: String) throws(TensorFileError) {
        self.path = path
        owned = false
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw TensorFileError(file: path, reason: "cannot open for reading (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw TensorFileError(file: path, reason: "cannot stat (\(String(cString: strerror(errno))))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw TensorFileError(file: path, reason: "not a regular file")
        }
        size = Int(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw TensorFileError(file: path, reason: "cannot map into memory (\(String(cString: strerror(errno))))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit {
        guard let base else { return }
        if owned { UnsafeMutableRawPointer(mutating: base).deallocate() } else { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// The bytes `range` (already checked to lie inside the file).
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= size)
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// The address of byte `offset` (inside the file), valid while this object lives; nil for an empty file.
    func address(_ offset: Int) -> UnsafeRawPointer? {
        precondition(offset >= 0 && offset <= size)
        return base.map { $0 + offset }
    }

    /// A copy of the bytes `range`, or a truncation error naming what was expected there.
    func bytes(_ range: Range<Int>, what: String) throws(TensorFileError) -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= size, range.lowerBound <= range.upperBound else {
            throw TensorFileError(file: path, offset: range.lowerBound,
                                  reason: "the file ends at byte \(size) but \(what) needs bytes \(range.lowerBound)..<\(range.upperBound)")
        }
        return withBytes(range) { Array($0) }
    }
}
