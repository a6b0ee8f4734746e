import Foundation
import TensorCore

/// PyTorch checkpoints (`torch.save`, PyTorch ≥ 1.6): a ZIP archive of `<archive>/data.pkl` (the pickled
/// state dict), `<archive>/data/<key>` (one raw storage per key), `<archive>/byteorder` and
/// `<archive>/version`.
///
/// The pickle is read by `PickleMachine`, which runs nothing; the state dict it describes is walked into
/// named tensor views (storage, element offset, shape, strides), each checked to lie inside its storage
/// member. Storages are stored uncompressed, so a tensor is read in place from the archive's map; a
/// deflated member (a re-packed archive) is inflated on demand, never past its declared size.
enum PyTorchFormat {
    /// A `data.pkl` declaring more is refused (a state dict of 100 000 tensors pickles to a few MiB).
    static let maxPickleBytes = 256 << 20
    static let maxNameBytes = 1024
    static let maxTotalNameBytes = 64 << 20
    static let maxTensors = 1 << 20
    static let maxDepth = 32

    /// The start of the pre-1.6 format: PROTO 2, then LONG1 of the magic number 0x1950a86a20f9469cfc6c.
    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// One named tensor: a view of a storage member.
    struct Entry {
        var info: TensorInfo
        var dtype: PyTorchDType
        var member: ZipDirectory.Member
        /// In elements, from the start of the storage.
        var offset: Int
        var strides: [Int]

        /// Whether the view is the row-major run `offset ..< offset + count` (sizes of 1 may have any stride).
        var isContiguous: Bool {
            var expected = 1
            for (size, stride) in zip(info.shape, strides).reversed() {
                if size != 1 && stride != expected { return false }
                expected *= size
            }
            return true
        }
    }

    /// A parsed checkpoint: its tensors by name, in the state dict's order.
    struct Checkpoint {
        var entries: [Entry]
        var byName: [String: Int]
        var metadata: [String: String]
        var bigEndian: Bool

        /// A reader of one tensor: in place from the archive's map when its storage is stored (always, as
        /// torch writes it); otherwise the storage member is inflated first.
        func reader(_ name: String, file: MappedFile) throws(TensorFileError) -> (any TensorReader)? {
            guard let i = byName[name] else { return nil }
            let e = entries[i]
            guard e.info.isFloatConvertible else {
                throw TensorFileError(file: file.path, tensor: name, reason: "dtype \(e.info.dtype) cannot be read as numbers")
            }
            let source = e.member.isStored ? file : try ZipDirectory.contents(of: e.member, in: file)
            let base = (e.member.isStored ? e.member.dataOffset : 0) + e.offset * e.dtype.width
            if e.isContiguous {
                let location = TensorFile.Location(storage: e.dtype.storage, range: base..<(base + e.info.count * e.dtype.width),
                                                   bigEndian: bigEndian, fortranOrder: false)
                return MappedTensorReader(info: e.info, file: source, location: location)
            }
            return StridedTensorReader(info: e.info, file: source, storage: e.dtype.storage, width: e.dtype.width,
                                       bigEndian: bigEndian, base: base, strides: e.strides)
        }
    }

    /// The archive folder holding `data.pkl` (`archive`, or the file's stem), or nil when the ZIP is not
    /// a PyTorch checkpoint.
    static func record(in zip: ZipDirectory) -> String? {
        let candidates = zip.members.compactMap { m -> String? in
            let parts = m.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty ? String(parts[0]) : nil
        }
        return candidates.first
    }

    /// Whether the archive's first local header names `<folder>/data.pkl`, as torch's writer always does.
    static func firstMemberIsPickle(_ file: MappedFile) -> Bool {
        guard let head = try? file.bytes(0..<min(file.size, 30), what: "a ZIP local header"), head.count == 30 else { return false }
        let n = Int(head[26]) | Int(head[27]) << 8
        guard let name = try? file.bytes(30..<min(file.size, 30 + n), what: "a member name") else { return false }
        return String(decoding: name, as: UTF8.self).hasSuffix("/data.pkl")
    }

    static func isLegacy(_ head: [UInt8]) -> Bool {
        head.count >= legacyMagic.count && head[0..<legacyMagic.count].elementsEqual(legacyMagic)
    }

    static let legacyMessage = "the legacy PyTorch format (before 1.6, a bare pickle stream) is not read: re-save it with "
        + "torch.save(obj, path, _use_new_zipfile_serialization=True) or convert it to safetensors"

    /// Reads the checkpoint's pickle and places every tensor it names in its storage member.
    static func parse(_ file: MappedFile, zip: ZipDirectory, record: String, stem: String) throws(TensorFileError) -> Checkpoint {
        let path = file.path
        func fail(_ reason: String, tensor: String? = nil) -> TensorFileError {
            TensorFileError(file: path, tensor: tensor, reason: reason)
        }
        let pickles = zip.members.filter { $0.name.hasSuffix("/data.pkl") && $0.name.split(separator: "/").count == 2 }
        guard pickles.count == 1 else { throw fail("the archive holds \(pickles.count) PyTorch pickles (\(pickles.map(\.name).joined(separator: ", ")))") }
        let pickleMember = pickles[0]
        guard pickleMember.uncompressedSize <= maxPickleBytes else {
            throw fail("\(pickleMember.name) declares \(pickleMember.uncompressedSize) bytes (more than \(maxPickleBytes >> 20) MiB)")
        }
        var metadata: [String: String] = ["pytorch.archive": record]
        var bigEndian = false
        if let m = zip["\(record)/byteorder"] {
            guard m.uncompressedSize <= 16 else { throw fail("\(m.name) is not 'little' or 'big'") }
            let order = try ZipDirectory.contents(of: m, in: file).bytes(0..<m.uncompressedSize, what: m.name)
            switch String(decoding: order, as: UTF8.self) {
            case "little": bigEndian = false
            case "big": bigEndian = true
            default: throw fail("\(m.name) is not 'little' or 'big'")
            }
            metadata["pytorch.byteorder"] = bigEndian ? "big" : "little"
        }
        if let m = zip["\(record)/version"], m.uncompressedSize <= 16 {
            let v = try ZipDirectory.contents(of: m, in: file).bytes(0..<m.uncompressedSize, what: m.name)
            let text = String(decoding: v, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty, text.allSatisfy(\.isNumber) { metadata["pytorch.version"] = text }
        }

        let pickle = try ZipDirectory.contents(of: pickleMember, in: file).bytes(0..<pickleMember.uncompressedSize, what: pickleMember.name)
        var machine = PickleMachine()
        let root: PickleValue
        do {
            root = try machine.run(pickle)
        } catch {
            throw fail("\(pickleMember.name): \(error.description)")
        }
        let named: [(name: String, tensor: Int)]
        do {
            named = try walk(root, in: machine, stem: stem)
        } catch {
            throw fail("\(pickleMember.name): \(error.reason)")
        }

        var entries: [Entry] = []
        entries.reserveCapacity(named.count)
        var byName: [String: Int] = [:]
        for (name, index) in named {
            let t = machine.tensors[index]
            let storage = machine.storages[t.storage]
            let memberName = "\(record)/data/\(storage.key)"
            guard let member = zip[memberName] else {
                throw fail("its storage \(memberName) is missing from the archive", tensor: name)
            }
            guard member.uncompressedSize >= storage.byteCount else {
                throw fail("its storage \(memberName) holds \(member.uncompressedSize) bytes but is described as \(storage.byteCount)", tensor: name)
            }
            let info = TensorInfo(name: name, dtype: t.dtype.name, shape: t.shape, count: t.count, byteCount: t.count * t.dtype.width,
                                  isFloatConvertible: t.dtype.storage.isFloatConvertible)
            byName[name] = entries.count
            entries.append(Entry(info: info, dtype: t.dtype, member: member, offset: t.offset, strides: t.strides))
        }
        return Checkpoint(entries: entries, byName: byName, metadata: metadata, bigEndian: bigEndian)
    }

    /// A name-shaped failure of the walk.
    struct WalkError: Error {
        var reason: String
    }

    /// Every tensor reachable from the pickle's result, named by its path of keys joined with dots
    /// (`{"model": {"fc.weight": t}}` → `model.fc.weight`; list items by index; a bare tensor by the file's
    /// stem). Other values (step counts, hyper-parameters, strings) are skipped. Each container is walked
    /// once, so a container referenced twice or holding itself costs nothing more.
    static func walk(_ root: PickleValue, in machine: PickleMachine, stem: String) throws(WalkError) -> [(name: String, tensor: Int)] {
        var out: [(name: String, tensor: Int)] = []
        var seenNames = Set<String>()
        var nameBytes = 0
        var visited = Set<PickleValue>()
        // An explicit stack: (value, name, depth).
        var work: [(PickleValue, String, Int)] = [(root, "", 0)]
        // Every name built counts against one budget, so a pickle of millions of references stays cheap to walk.
        func join(_ prefix: String, _ key: String) throws(WalkError) -> String {
            let name = prefix.isEmpty ? key : prefix + "." + key
            guard name.utf8.count <= maxNameBytes else { throw WalkError(reason: "a name of \(name.utf8.count) bytes (at most \(maxNameBytes))") }
            nameBytes += name.utf8.count
            guard nameBytes <= maxTotalNameBytes else { throw WalkError(reason: "more than \(maxTotalNameBytes >> 20) MiB of names") }
            return name
        }
        while let (value, name, depth) = work.popLast() {
            switch value {
            case .tensor(let i):
                let label = name.isEmpty ? stem : name
                guard seenNames.insert(label).inserted else { throw WalkError(reason: "the name \(label) appears twice") }
                guard out.count < maxTensors else { throw WalkError(reason: "more than \(maxTensors) tensors") }
                out.append((label, i))
            case .dict, .list, .tuple:
                guard visited.insert(value).inserted else { continue }
                guard depth < maxDepth else { throw WalkError(reason: "containers nested more than \(maxDepth) deep") }
                var children: [(PickleValue, String, Int)] = []
                switch value {
                case .dict(let d):
                    let dict = machine.dicts[d]
                    for (key, child) in zip(dict.keys, dict.values) {
                        guard child.holdsTensors else { continue }
                        let k: String
                        switch key {
                        case .string(let s): k = s
                        case .int(let n): k = String(n)
                        default: continue
                        }
                        children.append((child, try join(name, k), depth + 1))
                    }
                case .list(let l):
                    for (k, child) in machine.lists[l].enumerated() where child.holdsTensors { children.append((child, try join(name, String(k)), depth + 1)) }
                case .tuple(let t):
                    for (k, child) in machine.tuple(t).enumerated() where child.holdsTensors { children.append((child, try join(name, String(k)), depth + 1)) }
                default: break
                }
                // Reversed onto the stack, so that tensors come out in the pickle's order.
                work.append(contentsOf: children.reversed())
            default:
                continue
            }
        }
        return out
    }
}

extension PickleValue {
    /// Whether the walk looks inside (a tensor, or a container that may hold some).
    fileprivate var holdsTensors: Bool {
        switch self {
        case .tensor, .dict, .list, .tuple: true
        default: false
        }
    }
}
