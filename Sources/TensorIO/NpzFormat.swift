import Foundation
import TensorCore
import ZIPFoundation

/// NumPy `.npz` archives: a ZIP of `NAME.npy` members, stored or deflated.
///
/// Listing reads only the start of each member (its `.npy` header). Loading a
/// tensor inflates one member, refusing a member whose declared size is absurd
/// and stopping as soon as more bytes arrive than it declared (a zip bomb cannot
/// grow memory past the declared size).
enum NpzFormat {
    /// Members larger than this are refused.
    static let maxMemberBytes: UInt64 = 1 << 34

    struct Member {
        var info: TensorInfo
        var entryPath: String
        var header: NumpyFormat.Header
    }

    private struct Stop: Error {}
    private struct Truncated: Error {}

    static func open(_ path: String) throws(TensorFileError) -> (archive: Archive, members: [Member]) {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw TensorFileError(file: path, reason: "not a readable ZIP archive (\(error))")
        }
        var members: [Member] = []
        // A member's compressed bytes lie inside the archive: a larger claim is refused before reading,
        // because the reader would otherwise keep asking for the missing bytes, one empty read per
        // 4 KiB of the claim (a 4 GiB claim: a million reads, seconds of work; found by fuzzing).
        let archiveBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? UInt64.max
        for entry in archive where entry.type == .file {
            guard entry.path.hasSuffix(".npy") else { continue }
            let name = String(entry.path.dropLast(4))
            guard UInt64(entry.uncompressedSize) <= maxMemberBytes else {
                throw TensorFileError(file: path, tensor: name, reason: "the member claims \(entry.uncompressedSize) bytes (more than 16 GiB)")
            }
            guard UInt64(entry.compressedSize) <= archiveBytes else {
                throw TensorFileError(file: path, tensor: name,
                                      reason: "the member claims \(entry.compressedSize) compressed bytes, more than the archive's \(archiveBytes)")
            }
            // Stored bytes are the file's own; deflate expands at most 1032:1.
            let most = entry.isCompressed ? UInt64(entry.compressedSize).multipliedReportingOverflow(by: 1032).partialValue + 1024
                                          : archiveBytes
            guard UInt64(entry.uncompressedSize) <= most else {
                throw TensorFileError(file: path, tensor: name,
                                      reason: "the member claims \(entry.uncompressedSize) bytes, more than its \(entry.compressedSize) "
                                        + (entry.isCompressed ? "deflated bytes can hold" : "stored bytes in a \(archiveBytes)-byte archive"))
            }

            // The .npy header sits in the first bytes; inflate only those.
            var head: [UInt8] = []
            do {
                _ = try archive.extract(entry, bufferSize: 4096, skipCRC32: true) { chunk in
                    // An empty chunk is a read past the end: the reader would go on asking until the claim is met.
                    if chunk.isEmpty { throw Truncated() }
                    head.append(contentsOf: chunk)
                    if head.count >= 16 {
                        let lengthBytes = head[6] == 1 ? 2 : 4
                        let start = 8 + lengthBytes
                        var n = 0
                        for k in 0..<lengthBytes { n |= Int(head[8 + k]) << (8 * k) }
                        if head.count >= start + n || head.count > NumpyFormat.maxHeader + 16 { throw Stop() }
                    }
                }
            } catch is Stop {
            } catch is Truncated {
                throw TensorFileError(file: path, tensor: name, reason: "the member's data ends before its .npy header does")
            } catch {
                throw TensorFileError(file: path, tensor: name, reason: "the member cannot be inflated (\(error))")
            }
            let header = try NumpyFormat.parse(MappedFile(path: "\(path)[\(entry.path)]", bytes: head), requireData: false)
            let bytes = header.byteCount
            // NumPy writes exactly header + data; any other declared size is a broken or hostile archive.
            guard header.dataOffset + bytes == entry.uncompressedSize else {
                throw TensorFileError(file: path, tensor: name,
                                      reason: "the member declares \(entry.uncompressedSize) bytes but its .npy header describes \(header.dataOffset + bytes)")
            }
            let info = TensorInfo(name: name, dtype: header.descr, shape: header.shape, count: header.count,
                                  byteCount: bytes, isFloatConvertible: header.storage.isFloatConvertible)
            members.append(Member(info: info, entryPath: entry.path, header: header))
        }
        return (archive, members)
    }

    /// Inflates one member into memory, never past its declared size.
    static func extract(_ archive: Archive, path: String, member: Member) throws(TensorFileError) -> MappedFile {
        guard let entry = archive[member.entryPath] else {
            throw TensorFileError(file: path, tensor: member.info.name, reason: "the member disappeared from the archive")
        }
        let declared = member.header.dataOffset + member.info.byteCount
        var bytes: [UInt8] = []
        bytes.reserveCapacity(declared)
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 16, skipCRC32: false) { chunk in
                if chunk.isEmpty { throw Truncated() }
                guard bytes.count + chunk.count <= declared else { throw Stop() }
                bytes.append(contentsOf: chunk)
            }
        } catch is Stop {
            throw TensorFileError(file: path, tensor: member.info.name, reason: "the member inflates past its declared \(declared) bytes")
        } catch is Truncated {
            throw TensorFileError(file: path, tensor: member.info.name, reason: "the member's data ends after \(bytes.count) of its \(declared) bytes")
        } catch let e as TensorFileError {
            throw e
        } catch {
            throw TensorFileError(file: path, tensor: member.info.name, reason: "the member cannot be inflated (\(error))")
        }
        guard bytes.count == declared else {
            throw TensorFileError(file: path, tensor: member.info.name, reason: "the member inflates to \(bytes.count) bytes, not the declared \(declared)")
        }
        return MappedFile(path: "\(path)[\(member.entryPath)]", bytes: bytes)
    }
}
