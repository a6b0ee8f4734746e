import Foundation
import TensorCore
import ZIPFoundation

/// The members of a ZIP archive, read from its central directory through the file's memory map.
///
/// PyTorch checkpoints are ZIP archives whose storages are stored uncompressed (and aligned to 64
/// bytes), so a tensor can be read in place from the map once its member's data offset is known —
/// which the ZIP library does not expose. This reader finds the end-of-central-directory record
/// (ZIP64 included), lists every member with its sizes and the start of its data (read from the
/// member's own local header), and checks each count and offset against the file before using it.
struct ZipDirectory {
    struct Member {
        var name: String
        /// 0 stored, 8 deflated; nothing else is read.
        var method: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        /// Where the member's (stored or deflated) bytes start in the archive.
        var dataOffset: Int

        var isStored: Bool { method == 0 }
        /// The member's bytes in the archive.
        var dataRange: Range<Int> { dataOffset..<(dataOffset + compressedSize) }
    }

    /// Members in central-directory order.
    let members: [Member]
    private let byName: [String: Int]

    /// Members larger than this are refused (16 GiB, as for `.npz`).
    static let maxMemberBytes = 1 << 34

    init(_ file: MappedFile) throws(TensorFileError) {
        let path = file.path
        func fail(_ reason: String, offset: Int? = nil) -> TensorFileError {
            TensorFileError(file: path, offset: offset, reason: reason)
        }
        func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
        func u32(_ b: [UInt8], _ at: Int) -> Int { u16(b, at) | u16(b, at + 2) << 16 }
        func u64(_ b: [UInt8], _ at: Int) -> UInt64 { UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32 }

        // The end record (22 bytes) sits within the last 64 KiB + 22 bytes, after an optional comment.
        let tailStart = max(0, file.size - (22 + 0xFFFF))
        let tail = try file.bytes(tailStart..<file.size, what: "the ZIP end record")
        var end = -1
        var i = tail.count - 22
        while i >= 0 {
            if tail[i] == 0x50, tail[i + 1] == 0x4B, tail[i + 2] == 0x05, tail[i + 3] == 0x06 { end = i; break }
            i -= 1
        }
        guard end >= 0 else { throw fail("a ZIP archive without an end-of-central-directory record (truncated?)") }
        var count = u16(tail, end + 10)
        var directorySize = u32(tail, end + 12)
        var directoryOffset = u32(tail, end + 16)
        let endOffset = tailStart + end
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator (20 bytes) just before the end record points at the ZIP64 end record.
            guard endOffset >= 20 else { throw fail("the ZIP64 end-record locator is missing", offset: endOffset) }
            let locator = try file.bytes((endOffset - 20)..<endOffset, what: "the ZIP64 end-record locator")
            guard u32(locator, 0) == 0x0706_4B50 else { throw fail("the ZIP64 end-record locator is missing", offset: endOffset - 20) }
            let at = u64(locator, 8)
            guard at <= UInt64(endOffset), Int(at) + 56 <= file.size else {
                throw fail("the ZIP64 end record's offset \(at) lies outside the archive", offset: endOffset - 20)
            }
            let record = try file.bytes(Int(at)..<(Int(at) + 56), what: "the ZIP64 end record")
            guard u32(record, 0) == 0x0606_4B50 else { throw fail("the ZIP64 end record has a bad signature", offset: Int(at)) }
            let (n, size, offset) = (u64(record, 32), u64(record, 40), u64(record, 48))
            guard n <= UInt64(file.size), size <= UInt64(file.size), offset <= UInt64(file.size) else {
                throw fail("the ZIP64 end record claims \(n) members in \(size) bytes at \(offset), past the archive's \(file.size) bytes",
                           offset: Int(at))
            }
            (count, directorySize, directoryOffset) = (Int(n), Int(size), Int(offset))
        }
        guard directoryOffset + directorySize <= file.size else {
            throw fail("the central directory (\(directorySize) bytes at \(directoryOffset)) runs past the end of the archive", offset: endOffset)
        }
        // Each entry takes at least 46 bytes: a larger count is a lie, refused before allocating for it.
        guard count <= directorySize / 46 else {
            throw fail("the central directory claims \(count) members but has room for \(directorySize / 46)", offset: endOffset)
        }
        let directory = try file.bytes(directoryOffset..<(directoryOffset + directorySize), what: "the central directory")
        var members: [Member] = []
        members.reserveCapacity(count)
        var byName: [String: Int] = [:]
        var at = 0
        for _ in 0..<count {
            let here = directoryOffset + at
            guard at + 46 <= directory.count, u32(directory, at) == 0x0201_4B50 else {
                throw fail("a central-directory entry is missing or has a bad signature", offset: here)
            }
            let flags = u16(directory, at + 8)
            let method = UInt16(u16(directory, at + 10))
            let crc = UInt32(u32(directory, at + 16))
            var compressed = u32(directory, at + 20)
            var uncompressed = u32(directory, at + 24)
            let nameLength = u16(directory, at + 28), extraLength = u16(directory, at + 30), commentLength = u16(directory, at + 32)
            var localOffset = u32(directory, at + 42)
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else { throw fail("a central-directory entry runs past the directory", offset: here) }
            let name = String(decoding: directory[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            // ZIP64 sizes and offset, in this order, for the fields that hold 0xFFFFFFFF.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(directory, extra), size = u16(directory, extra + 2)
                let body = extra + 4
                guard body + size <= extraEnd else { break }
                if id == 0x0001 {
                    var field = body
                    func next64() throws(TensorFileError) -> Int {
                        guard field + 8 <= body + size else { throw fail("member \(name): its ZIP64 field is too short", offset: here) }
                        let v = u64(directory, field)
                        field += 8
                        guard v <= 1 << 50 else {
                            throw fail("member \(name): its ZIP64 field claims \(v) bytes", offset: here)
                        }
                        return Int(v)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next64() }
                    if compressed == 0xFFFF_FFFF { compressed = try next64() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next64() }
                }
                extra = body + size
            }
            guard flags & 1 == 0 else { throw fail("member \(name) is encrypted", offset: here) }
            guard uncompressed <= Self.maxMemberBytes else {
                throw fail("member \(name) claims \(uncompressed) bytes (more than 16 GiB)", offset: here)
            }
            // The member's local header repeats its name and may carry padding (PyTorch aligns data to 64 bytes).
            guard localOffset + 30 <= file.size else { throw fail("member \(name): its local header lies past the end", offset: here) }
            let local = try file.bytes(localOffset..<(localOffset + 30), what: "member \(name)'s local header")
            guard u32(local, 0) == 0x0403_4B50 else { throw fail("member \(name): its local header has a bad signature", offset: localOffset) }
            let dataOffset = localOffset + 30 + u16(local, 26) + u16(local, 28)
            guard u16(local, 26) == nameLength,
                  try file.bytes((localOffset + 30)..<min(file.size, localOffset + 30 + nameLength), what: "member \(name)'s local name")
                    .elementsEqual(directory[(at + 46)..<(at + 46 + nameLength)]) else {
                throw fail("member \(name): its local header names another file", offset: localOffset)
            }
            guard dataOffset + compressed <= file.size else {
                throw fail("member \(name): its \(compressed) bytes at \(dataOffset) run past the end of the archive (\(file.size) bytes)",
                           offset: dataOffset)
            }
            switch method {
            case 0:
                guard compressed == uncompressed else {
                    throw fail("member \(name) is stored but declares \(compressed) bytes stored and \(uncompressed) bytes in all", offset: here)
                }
            case 8:
                // Deflate expands at most 1032:1.
                guard uncompressed <= compressed * 1032 + 1024 else {
                    throw fail("member \(name) claims \(uncompressed) bytes, more than its \(compressed) deflated bytes can hold", offset: here)
                }
            default:
                throw fail("member \(name) uses compression method \(method) (only stored and deflated members are read)", offset: here)
            }
            guard byName[name] == nil else { throw fail("the archive holds two members named \(name)", offset: here) }
            byName[name] = members.count
            members.append(Member(name: name, method: method, crc32: crc, compressedSize: compressed,
                                  uncompressedSize: uncompressed, dataOffset: dataOffset))
            at = next
        }
        self.members = members
        self.byName = byName
    }

    subscript(name: String) -> Member? { byName[name].map { members[$0] } }

    private struct Overrun: Error {}
    private struct Truncated: Error {}

    /// A member's bytes: stored ones straight from the map's copy, deflated ones inflated — never past the
    /// declared size, and with the CRC checked (a zip bomb or a lying header stops at its declared size).
    static func contents(of member: Member, in file: MappedFile) throws(TensorFileError) -> MappedFile {
        let label = "\(file.path)[\(member.name)]"
        if member.isStored {
            return MappedFile(path: label, bytes: try file.bytes(member.dataRange, what: "member \(member.name)"))
        }
        let chunk = 1 << 16
        var out: [UInt8] = []
        out.reserveCapacity(member.uncompressedSize)
        let crc: UInt32
        do {
            // The inflater sets its input length to the chunk size it asked for whatever the chunk holds, so
            // every chunk is exactly that long: the archive's bytes, then zeros, and no chunk after the last.
            crc = try Data.decompress(size: Int64(member.compressedSize), bufferSize: chunk, skipCRC32: false, provider: { position, size in
                let start = Int(position)
                guard start < member.compressedSize else { throw Truncated() }
                let end = min(member.compressedSize, start + size)
                var data = Data(count: size)
                file.withBytes((member.dataOffset + start)..<(member.dataOffset + end)) { raw in
                    data.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
                }
                return data
            }, consumer: { data in
                guard out.count + data.count <= member.uncompressedSize else { throw Overrun() }
                out.append(contentsOf: data)
            })
        } catch is Overrun {
            throw TensorFileError(file: file.path, reason: "member \(member.name) inflates past its declared \(member.uncompressedSize) bytes")
        } catch is Truncated {
            throw TensorFileError(file: file.path, reason: "member \(member.name)'s deflated data ends before its stream does")
        } catch {
            throw TensorFileError(file: file.path, reason: "member \(member.name) cannot be inflated (\(error))")
        }
        guard out.count == member.uncompressedSize else {
            throw TensorFileError(file: file.path, reason: "member \(member.name) inflates to \(out.count) bytes, not the declared \(member.uncompressedSize)")
        }
        guard crc == member.crc32 else {
            throw TensorFileError(file: file.path, reason: "member \(member.name) fails its CRC-32 check")
        }
        return MappedFile(path: label, bytes: out)
    }
}
