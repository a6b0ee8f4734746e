import Foundation
import Testing
@testable import TensorIO

enum IOFixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tensorio")
    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Each fixture's shape and values as float32 bit patterns, computed by NumPy.
    static let expected: [String: (shape: [Int], bits: [UInt32])] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("expected.json"))
        let obj = try! JSONSerialization.jsonObject(with: data) as! [String: [String: [Int]]]
        return obj.mapValues { ($0["shape"]!, $0["bits"]!.map { UInt32($0) }) }
    }()

    static func sameBits(_ a: [Float], _ b: [UInt32]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.bitPattern == y || (x.isNaN && Float(bitPattern: y).isNaN)
        }
    }
}

@Suite("NumPy .npy")
struct NumpyTests {
    @Test(arguments: ["a_le_f4", "a_le_f2", "a_le_f8", "a_i1", "a_u1", "a_le_i2", "a_le_u2", "a_le_i4", "a_le_i8",
                      "a_be_f4", "a_be_i2", "fortran", "scalar", "cube", "bf16_void", "v2", "v3"])
    func convertsLikeNumpy(name: String) throws {
        let f = try TensorFile.open(IOFixtures.path(name + ".npy"))
        #expect(f.format == .npy)
        #expect(f.tensors.map(\.name) == [name])
        let t = try f.load(name)
        let exp = try #require(IOFixtures.expected[name])
        #expect(t.shape == exp.shape)
        #expect(IOFixtures.sameBits(t.values, exp.bits), "\(name)")
    }

    @Test func objectArraysAreRefusedNeverUnpickled() {
        #expect(throws: TensorFileError.self) { try TensorFile.open(IOFixtures.path("objects.npy")) }
    }

    @Test func headerLiteralParser() throws {
        var p = LiteralParser(bytes: Array("{'descr': '<f4', 'fortran_order': False, 'shape': (384, 1536), }   ".utf8))
        let d = try p.parseDict()
        #expect(d["shape"] == .tuple([.int(384), .int(1536)]))
        for bad in ["{'descr': __import__('os')}", "{'shape': ((((((1,),),),),),)}", "{'a': 1", "{'a': 1} trailing"] {
            var q = LiteralParser(bytes: Array(bad.utf8))
            #expect(throws: LiteralParser.Failure.self) { try q.parseDict() }
        }
    }
}

@Suite("safetensors")
struct SafetensorsTests {
    @Test func everyDtypeConvertsLikeNumpy() throws {
        let f = try TensorFile.open(IOFixtures.path("all_dtypes.safetensors"))
        #expect(f.format == .safetensors)
        #expect(f.metadata == ["format": "pt", "note": "qscope fixture"])
        for info in f.tensors where info.isFloatConvertible && info.count > 0 {
            let t = try f.load(info.name)
            let exp = try #require(IOFixtures.expected[info.name], "\(info.name)")
            #expect(t.shape == exp.shape)
            #expect(IOFixtures.sameBits(t.values, exp.bits), "\(info.name)")
        }
        #expect(f.info(named: "t_scalar")?.shape == [])
        #expect(f.info(named: "t_empty")?.count == 0)
        #expect(try f.load("t_empty").values.isEmpty)
        let b = try #require(f.info(named: "t_bool"))
        #expect(!b.isFloatConvertible)
        #expect(throws: TensorFileError.self) { try f.load("t_bool") }
    }

    @Test func readingNeverModifiesTheFile() throws {
        let path = IOFixtures.path("all_dtypes.safetensors")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let f = try TensorFile.open(path)
        for info in f.tensors where info.isFloatConvertible { _ = try f.load(info.name) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}

/// Hostile and broken files: each must give a `TensorFileError`, quickly, never a crash.
@Suite("malformed files")
struct MalformedTests {
    static func safetensors(header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil, pad: Bool = true) -> [UInt8] {
        var h = Array(header.utf8)
        while pad && h.count % 8 != 0 { h.append(0x20) }
        var n = lengthOverride ?? UInt64(h.count)
        var out = [UInt8]()
        for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: n)); n >>= 8 }
        return out + h + data
    }

    static func npy(_ header: String, data: [UInt8] = [], version: UInt8 = 1) -> [UInt8] {
        var h = Array(header.utf8)
        while (10 + h.count + 1) % 64 != 0 { h.append(0x20) }
        h.append(0x0A)
        return [0x93] + Array("NUMPY".utf8) + [version, 0, UInt8(h.count & 255), UInt8(h.count >> 8)] + h + data
    }

    static let cases: [(String, [UInt8], String)] = [
        ("empty", [], "magic"),
        ("short", [1, 2, 3], "magic"),
        ("garbage", Array("hello world, not a tensor".utf8), "not a recognised"),
        ("header past end", safetensors(header: "{}", lengthOverride: 1 << 40), "exceeds"),
        ("header longer than file", safetensors(header: "{}", lengthOverride: 4096), "past the end"),
        ("bad json", safetensors(header: "{\"a\": [1, 2"), "not valid JSON"),
        ("unknown dtype", safetensors(header: #"{"w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "unknown dtype"),
        ("shape mismatch", safetensors(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "do not match"),
        ("offsets past end", safetensors(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [0, 0, 0, 0]), "past the end"),
        ("overflowing shape", safetensors(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "overflows"),
        ("huge dimension", safetensors(header: #"{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "do not match"),
        ("negative dim", safetensors(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "non-negative"),
        ("overlap", safetensors(header: #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, data: [1, 2, 3]), "overlap"),
        ("gap", safetensors(header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: [1, 2]), "gap"),
        ("trailing bytes", safetensors(header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [1, 2, 3]), "after the last"),
        ("duplicate names", safetensors(header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [1]), "twice"),
        ("not an object", safetensors(header: #"{"a":[1,2]}"#), "not an object"),
        ("metadata not strings", safetensors(header: #"{"__metadata__":{"a":1}}"#), "not a string"),
        ("npy truncated", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", data: [0, 0, 0, 0]), "truncated"),
        ("npy bad version", [0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0], "version"),
        ("npy header past end", [0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0xFF, 0x7B], "past the end"),
        ("npy unknown descr", npy("{'descr': '<q7', 'fortran_order': False, 'shape': (1,), }", data: [0]), "unsupported dtype"),
        ("npy eval attempt", npy("{'descr': __import__('os').system('true'), 'shape': (1,), }"), "not a dict literal"),
        ("npy missing shape", npy("{'descr': '<f4', 'fortran_order': False, }"), "shape"),
        ("npy overflowing shape", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 2), }"), "overflows"),
    ]

    /// Opens the file and loads every tensor; the first error, if any.
    static func firstError(_ path: String) -> TensorFileError? {
        let result = Result { () throws(TensorFileError) -> Void in
            let f = try TensorFile.open(path)
            for t in f.tensors { _ = try f.load(t.name) }
        }
        if case .failure(let e) = result { return e }
        return nil
    }

    @Test(arguments: cases.indices)
    func isRefusedWithAReason(index: Int) throws {
        let (label, bytes, reason) = Self.cases[index]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-malformed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("case.bin")
        try Data(bytes).write(to: url)
        let start = Date()
        if let e = Self.firstError(url.path) {
            #expect(e.description.contains(reason), "\(label): \(e.description)")
            #expect(e.description.hasPrefix(url.path))
        } else {
            Issue.record("\(label): no error")
        }
        #expect(Date().timeIntervalSince(start) < 5, "\(label) took too long")
    }
}

@Suite("writing")
struct WriterTests {
    func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func roundTrip() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.safetensors").path
        let floats: [Float] = [1, -2.5, .pi, 0, -0.0, 1e-40]
        try SafetensorsWriter.write([
            SafetensorsEntry(name: "f", shape: [2, 3], floats: floats),
            SafetensorsEntry(name: "u", shape: [3], uint8: [0, 7, 255]),
            SafetensorsEntry(name: "i", shape: [2], int8: [-128, 127]),
        ], metadata: ["format": "pt", "quote": "a \"b\""], to: path, force: false)
        let f = try TensorFile.open(path)
        #expect(f.metadata["quote"] == "a \"b\"")
        #expect(try f.load("f").values.map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(try f.load("u").values == [0, 7, 255])
        #expect(try f.load("i").values == [-128, 127])
        #expect(try f.load("f").shape == [2, 3])
        // The header is padded to a multiple of 8, as the reference writer does.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Int(bytes[0]) % 8 == 0)
    }

    @Test func refusesToOverwriteWithoutForceAndLeavesNoTemporaryFiles() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.safetensors").path
        try SafetensorsWriter.write([SafetensorsEntry(name: "a", shape: [1], floats: [1])], metadata: nil, to: path, force: false)
        #expect(throws: TensorWriteError.exists(path: path)) {
            try SafetensorsWriter.write([SafetensorsEntry(name: "a", shape: [1], floats: [2])], metadata: nil, to: path, force: false)
        }
        #expect(try TensorFile.open(path).load("a").values == [1])
        try SafetensorsWriter.write([SafetensorsEntry(name: "a", shape: [1], floats: [2])], metadata: nil, to: path, force: true)
        #expect(try TensorFile.open(path).load("a").values == [2])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.safetensors"])
    }

    @Test func failedWriteLeavesNothing() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("no/such/folder/out.safetensors").path
        #expect(throws: TensorWriteError.self) {
            try SafetensorsWriter.write([SafetensorsEntry(name: "a", shape: [1], floats: [1])], metadata: nil, to: missing, force: false)
        }
        #expect(throws: TensorWriteError.self) {
            try SafetensorsWriter.write([SafetensorsEntry(name: "a", shape: [1], floats: [1]),
                                         SafetensorsEntry(name: "a", shape: [1], floats: [1])],
                                        metadata: nil, to: dir.appendingPathComponent("dup.safetensors").path, force: false)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}

@Suite("NumPy .npz")
struct NpzTests {
    @Test(arguments: ["stored.npz", "deflated.npz"])
    func everyMemberConvertsLikeNumpy(file: String) throws {
        let f = try TensorFile.open(IOFixtures.path(file))
        #expect(f.format == .npz)
        #expect(Set(f.tensors.map(\.name)) == ["weights", "half", "counts", "fortran"])
        for info in f.tensors {
            let t = try f.load(info.name)
            let exp = try #require(IOFixtures.expected["npz_" + info.name])
            #expect(t.shape == exp.shape)
            #expect(IOFixtures.sameBits(t.values, exp.bits), "\(file): \(info.name)")
        }
    }

    @Test func brokenArchivesAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-npz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: IOFixtures.path("deflated.npz"))))
        var cases: [(String, [UInt8], String)] = [
            ("truncated archive", Array(good.prefix(good.count / 2)), "not a readable ZIP archive"),
            ("only a local header", [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26), "not a readable ZIP archive"),
        ]
        // The first member's central-directory entry claims a huge uncompressed size.
        var huge = good
        if let cd = (0..<(huge.count - 4)).first(where: { huge[$0] == 0x50 && huge[$0 + 1] == 0x4B && huge[$0 + 2] == 1 && huge[$0 + 3] == 2 }) {
            for k in 0..<4 { huge[cd + 24 + k] = 0xFF }
            cases.append(("huge declared size", huge, "deflated bytes can hold"))
        }
        for (label, bytes, reason) in cases {
            let url = dir.appendingPathComponent("\(label).npz")
            try Data(bytes).write(to: url)
            let e = MalformedTests.firstError(url.path)
            #expect(e != nil, "\(label): no error")
            #expect(e?.description.contains(reason) ?? false, "\(label)")
        }
    }
}
