import Foundation
import TensorCore
import ZIPFoundation

/// An opened tensor file: its index (names, dtypes, shapes) and lazy access to each tensor.
///
/// Opening reads only the header, through a read-only memory map; `load`
/// converts one tensor to `Float`. The format is recognised by its first
/// bytes, never by the file name.
public final class TensorFile: @unchecked Sendable {
    public let path: String
    public let format: TensorFileFormat
    /// safetensors `__metadata__`; empty for `.npy`.
    public let metadata: [String: String]
    /// Tensors in file order. A bitsandbytes-quantized weight is one tensor of its logical shape
    /// (`storedQuantization` says how it is stored); its side tensors are not listed.
    public let tensors: [TensorInfo]

    private let file: MappedFile
    private let locations: [String: Location]
    /// For `.npz`: the archive and its members (reads are serialised: the archive shares one file handle).
    private let npz: (archive: Archive, members: [String: NpzFormat.Member])?
    /// For sharded checkpoints: the shard file holding each tensor.
    private let shards: [String: TensorFile]
    /// bitsandbytes weights read as one tensor each, by name.
    private let quantized: [String: BitsandbytesLayout.Weight]
    /// The file's own tensors that `quantized` absorbed (the packed weights and their side tensors):
    /// unlisted, but a side tensor can still be opened by its name.
    private let absorbed: [String: TensorInfo]
    /// For PyTorch checkpoints: each tensor's view of its storage member.
    private let pytorch: PyTorchFormat.Checkpoint?
    private let lock = NSLock()

    struct Location: Sendable {
        var storage: StorageType
        /// Set for GGUF tensors: the ggml block type to dequantize.
        var ggml: GGMLType? = nil
        var range: Range<Int>
        var bigEndian: Bool
        var fortranOrder: Bool
    }

    private init(path: String, format: TensorFileFormat, metadata: [String: String], tensors: [TensorInfo],
                 file: MappedFile, locations: [String: Location],
                 npz: (archive: Archive, members: [String: NpzFormat.Member])? = nil, shards: [String: TensorFile] = [:],
                 quantized: [String: BitsandbytesLayout.Weight] = [:], absorbed: [String: TensorInfo] = [:],
                 pytorch: PyTorchFormat.Checkpoint? = nil) {
        self.npz = npz
        self.pytorch = pytorch
        self.shards = shards
        self.quantized = quantized
        self.absorbed = absorbed
        self.path = path
        self.format = format
        self.metadata = metadata
        self.tensors = tensors
        self.file = file
        self.locations = locations
    }

    /// Opens `path` read-only and reads its header.
    public static func open(_ path: String) throws(TensorFileError) -> TensorFile {
        try open(path, detectShards: true)
    }

    /// `detectShards: false` opens one shard of a set on its own (used while assembling the set).
    static func open(_ path: String, detectShards: Bool) throws(TensorFileError) -> TensorFile {
        let file = try MappedFile(path: path)
        let head = try file.bytes(0..<min(file.size, 16), what: "the file's magic bytes")
        if head.count >= 6 && Array(head[0..<6]) == NumpyFormat.magic {
            let h = try NumpyFormat.parse(file)
            let name = stem(of: path)
            let info = TensorInfo(name: name, dtype: h.descr, shape: h.shape, count: h.count,
                                  byteCount: h.byteCount, isFloatConvertible: h.storage.isFloatConvertible)
            let loc = Location(storage: h.storage, range: h.dataOffset..<(h.dataOffset + info.byteCount),
                               bigEndian: h.bigEndian, fortranOrder: h.fortranOrder)
            return TensorFile(path: path, format: .npy, metadata: [:], tensors: [info], file: file, locations: [name: loc])
        }
        if head.count >= 4 && head[0..<4].elementsEqual(GGUFFormat.magic) {
            let parsed = try GGUFFormat.parse(file)
            var locations: [String: Location] = [:]
            for t in parsed.tensors {
                locations[t.info.name] = Location(storage: .float32, ggml: t.type, range: t.range, bigEndian: false, fortranOrder: false)
            }
            var metadata = parsed.metadata
            metadata["gguf.version"] = String(parsed.version)
            return TensorFile(path: path, format: .gguf, metadata: metadata, tensors: parsed.tensors.map(\.info),
                              file: file, locations: locations)
        }
        if head.count >= 4 && head[0..<4].elementsEqual([0x50, 0x4B, 0x03, 0x04]) {
            // A ZIP holding `<archive>/data.pkl` is a PyTorch checkpoint; any other is read as .npz.
            // A broken archive whose first member is a data.pkl (torch writes it first) is a broken checkpoint.
            let zip: ZipDirectory?
            do { zip = try ZipDirectory(file) } catch {
                if PyTorchFormat.firstMemberIsPickle(file) { throw error }
                zip = nil
            }
            if let zip, let record = PyTorchFormat.record(in: zip) {
                if detectShards, let set = ShardSet.siblings(of: path), set.count > 1 {
                    return try openShards(path, shardPaths: set, metadata: [:], file: file)
                }
                let checkpoint = try PyTorchFormat.parse(file, zip: zip, record: record, stem: stem(of: path))
                return TensorFile(path: path, format: .pytorch, metadata: checkpoint.metadata, tensors: checkpoint.entries.map(\.info),
                                  file: file, locations: [:], pytorch: checkpoint)
            }
            let (archive, members) = try NpzFormat.open(path)
            guard !members.isEmpty else {
                throw TensorFileError(file: path, reason: "a ZIP archive with neither .npy members nor a PyTorch <archive>/data.pkl")
            }
            var locations: [String: Location] = [:]
            var byName: [String: NpzFormat.Member] = [:]
            for m in members {
                let h = m.header
                locations[m.info.name] = Location(storage: h.storage, range: h.dataOffset..<(h.dataOffset + m.info.byteCount),
                                                  bigEndian: h.bigEndian, fortranOrder: h.fortranOrder)
                byName[m.info.name] = m
            }
            return TensorFile(path: path, format: .npz, metadata: [:], tensors: members.map(\.info), file: file,
                              locations: locations, npz: (archive, byName))
        }
        // A safetensors header of 128 + 256k bytes also starts with 0x80: its ninth byte, '{', tells them apart.
        let safetensorsLike = head.count >= 9 && head[8] == UInt8(ascii: "{")
        if !safetensorsLike && PyTorchFormat.isLegacy(head) {
            throw TensorFileError(file: path, offset: 0, reason: PyTorchFormat.legacyMessage)
        }
        if !safetensorsLike && head.count >= 2 && head[0] == 0x80 && (2...5).contains(head[1]) {
            throw TensorFileError(file: path, offset: 0, reason: "a bare Python pickle, not a tensor file (pickles are never run; "
                                  + "PyTorch checkpoints are read from torch.save's ZIP format)")
        }
        if head.first == UInt8(ascii: "{") {
            return try openIndex(path, file: file)
        }
        if head.count >= 9 && head[8] == UInt8(ascii: "{") {
            if detectShards, let set = ShardSet.siblings(of: path), set.count > 1 {
                return try openShards(path, shardPaths: set, metadata: [:], file: file)
            }
            let (entries, metadata) = try SafetensorsFormat.parse(file)
            var locations: [String: Location] = [:]
            for e in entries {
                locations[e.info.name] = Location(storage: e.storage, range: e.range, bigEndian: false, fortranOrder: false)
            }
            let raw = TensorFile(path: path, format: .safetensors, metadata: metadata, tensors: entries.map(\.info),
                                 file: file, locations: locations)
            // One shard of a set is grouped with the whole set: a weight's side tensors may sit in another shard.
            return detectShards ? try raw.groupingBitsandbytes() : raw
        }
        throw TensorFileError(file: path, offset: 0,
                              reason: "not a recognised tensor file (expected safetensors: a length then '{'; the .npy magic \\x93NUMPY; GGUF; or a PyTorch ZIP checkpoint)")
    }

    /// A `model.safetensors.index.json`: its `weight_map` names the shard of every tensor.
    private static func openIndex(_ path: String, file: MappedFile) throws(TensorFileError) -> TensorFile {
        guard file.size <= 64 << 20 else { throw TensorFileError(file: path, reason: "a JSON file over 64 MiB is not a checkpoint index") }
        let bytes = try file.bytes(0..<file.size, what: "the index")
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let map = json["weight_map"] as? [String: Any] else {
            throw TensorFileError(file: path, reason: "not a sharded-checkpoint index (expected a JSON object with \"weight_map\")")
        }
        var shardNames: [String] = []
        for (tensor, shard) in map {
            guard let s = shard as? String, !s.contains("/"), !s.hasPrefix(".") else {
                throw TensorFileError(file: path, tensor: tensor, reason: "the shard name must be a file name in the index's folder")
            }
            if !shardNames.contains(s) { shardNames.append(s) }
        }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        var metadata: [String: String] = [:]
        if let m = json["metadata"] as? [String: Any] { for (k, v) in m { metadata[k] = "\(v)" } }
        let sub = try openShards(path, shardPaths: shardNames.sorted().map { dir.appendingPathComponent($0).path },
                                 metadata: metadata, file: file)
        for (tensor, shard) in map where sub.shards[tensor]?.path != dir.appendingPathComponent(shard as! String).path {
            throw TensorFileError(file: path, tensor: tensor, reason: "the index places it in \(shard), which does not hold it")
        }
        return sub
    }

    /// Every tensor of every shard as one model.
    private static func openShards(_ path: String, shardPaths: [String], metadata: [String: String],
                                   file: MappedFile) throws(TensorFileError) -> TensorFile {
        var tensors: [TensorInfo] = []
        var owner: [String: TensorFile] = [:]
        var meta = metadata
        for p in shardPaths {
            guard FileManager.default.fileExists(atPath: p) else {
                throw TensorFileError(file: path, reason: "the shard \(p) is missing")
            }
            let shard = try TensorFile.open(p, detectShards: false)
            guard shard.format == .safetensors || shard.format == .pytorch else {
                throw TensorFileError(file: p, reason: "a shard must be a safetensors file or a PyTorch checkpoint")
            }
            for t in shard.tensors {
                guard owner[t.name] == nil else { throw TensorFileError(file: p, tensor: t.name, reason: "the tensor appears in two shards") }
                owner[t.name] = shard
                tensors.append(t)
            }
            for (k, v) in shard.metadata where meta[k] == nil { meta[k] = v }
        }
        meta["shards"] = String(shardPaths.count)
        return try TensorFile(path: path, format: .sharded, metadata: meta, tensors: tensors, file: file, locations: [:], shards: owner)
            .groupingBitsandbytes()
    }

    /// A listed tensor, or a side tensor of a quantized weight by its own name.
    public func info(named name: String) -> TensorInfo? {
        tensors.first { $0.name == name } ?? absorbed[name]
    }

    /// A reader of one tensor's values, straight from the file (the tensor's data is checked to lie
    /// inside the file first). `.npz` members are inflated into memory here, once.
    public func reader(_ name: String) throws(TensorFileError) -> any TensorReader {
        if let weight = quantized[name] { return try reader(weight) }
        if let shard = shards[name] { return try shard.reader(name) }
        if let pytorch {
            guard let reader = try pytorch.reader(name, file: file) else {
                throw TensorFileError(file: path, tensor: name, reason: "no such tensor")
            }
            return reader
        }
        guard let info = info(named: name), let loc = locations[name] else {
            throw TensorFileError(file: path, tensor: name, reason: "no such tensor")
        }
        guard info.isFloatConvertible else {
            let what = format == .gguf ? "ggml type \(info.dtype) is not supported for analysis (readable: \(GGMLType.readableNames))"
                                       : "dtype \(info.dtype) cannot be read as numbers"
            throw TensorFileError(file: path, tensor: name, reason: what)
        }
        var source = file
        if let npz, let member = npz.members[name] {
            lock.lock()
            defer { lock.unlock() }
            source = try NpzFormat.extract(npz.archive, path: path, member: member)
        }
        guard loc.range.upperBound <= source.size else {
            throw TensorFileError(file: path, tensor: name, offset: loc.range.lowerBound, reason: "the data is truncated")
        }
        return MappedTensorReader(info: info, file: source, location: loc)
    }

    /// Reads every byte of a tensor's data once, in parallel chunks, as fast as memory allows, and
    /// returns their xor (so the reads cannot be skipped): the floor any pass over the tensor pays,
    /// against which `qscope bench` measures its passes.
    public func touchBytes(of name: String, threads: Int) throws(TensorFileError) -> UInt64 {
        if let shard = shards[name] { return try shard.touchBytes(of: name, threads: threads) }
        guard let loc = locations[name], npz == nil else {
            throw TensorFileError(file: path, tensor: name, reason: "no data of its own in the file to read")
        }
        let range = loc.range
        let chunk = 1 << 20
        let chunks = (range.count + chunk - 1) / chunk
        let workers = max(1, min(threads, chunks))
        let parts = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: workers)
        parts.initialize(repeating: 0)
        defer { parts.deallocate() }
        nonisolated(unsafe) let out = parts
        let file = self.file
        // Worker w reads chunks w, w + workers, …: every worker streams through the whole range.
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var x: UInt64 = 0
            for k in stride(from: w, to: chunks, by: workers) {
                let lo = range.lowerBound + k * chunk, hi = min(range.upperBound, lo + chunk)
                file.withBytes(lo..<hi) { raw in
                    var acc = SIMD4<UInt64>()
                    let words = raw.count / 32
                    for i in 0..<words { acc ^= raw.loadUnaligned(fromByteOffset: i * 32, as: SIMD4<UInt64>.self) }
                    x ^= acc[0] ^ acc[1] ^ acc[2] ^ acc[3]
                    for i in (words * 32)..<raw.count { x ^= UInt64(raw[i]) }
                }
            }
            out[w] = x
        }
        return parts.reduce(0, ^)
    }

    /// Where one of the file's own tensors lies (through its shard), before any grouping; nil for `.npz`
    /// members and unknown names.
    func rawPart(_ name: String) -> (file: MappedFile, location: Location, info: TensorInfo)? {
        if let shard = shards[name] { return shard.rawPart(name) }
        guard npz == nil, let loc = locations[name],
              let info = absorbed[name] ?? tensors.first(where: { $0.name == name }) else { return nil }
        return (file, loc, info)
    }

    /// The same file with its bitsandbytes weights read as one tensor each (see `BitsandbytesLayout`).
    private func groupingBitsandbytes() throws(TensorFileError) -> TensorFile {
        let (listed, weights, hidden) = try BitsandbytesLayout.group(tensors, file: path) { (name: String) throws(TensorFileError) in
            try self.rawBytes(name)
        }
        guard !weights.isEmpty else { return self }
        return TensorFile(path: path, format: format, metadata: metadata, tensors: listed, file: file, locations: locations,
                          npz: npz, shards: shards, quantized: weights, absorbed: hidden)
    }

    /// Converts one tensor to `Float`, row-major: the whole tensor in memory, for small tensors.
    public func load(_ name: String) throws(TensorFileError) -> Tensor {
        try reader(name).materialize()
    }

    /// `weights.npy` → `weights`.
    static func stem(of path: String) -> String {
        let last = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = last.lastIndex(of: "."), dot != last.startIndex { return String(last[..<dot]) }
        return last
    }
}

/// The container formats qscope reads.
public enum TensorFileFormat: String, Sendable {
    case safetensors, npy, npz, gguf, sharded, pytorch
}
