import Foundation
import Testing
@testable import TensorIO

/// Headers that a lenient reader would half-accept: JSON booleans and fractions where
/// integers belong, names that differ only in their escapes, `.npy` dicts with extra
/// keys. Each must be refused, as the reference readers refuse them, rather than
/// read as something the writer did not mean.
@Suite("strict headers")
struct StrictHeaderTests {
    static let cases: [(String, [UInt8], String)] = [
        ("boolean dimension", MalformedTests.safetensors(header: #"{"w":{"dtype":"U8","shape":[true],"data_offsets":[0,1]}}"#, data: [1]),
         "non-negative integers"),
        ("fractional dimension", MalformedTests.safetensors(header: #"{"w":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}"#, data: [1]),
         "non-negative integers"),
        ("boolean offsets", MalformedTests.safetensors(header: #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[false,true]}}"#, data: [1]),
         "data_offsets"),
        ("fractional offset", MalformedTests.safetensors(header: #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1.5]}}"#, data: [1]),
         "data_offsets"),
        ("offset past Int", MalformedTests.safetensors(header: #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551615]}}"#, data: [1]),
         "data_offsets"),
        ("three offsets", MalformedTests.safetensors(header: #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,1]}}"#, data: [1]),
         "data_offsets"),
        ("missing dtype", MalformedTests.safetensors(header: #"{"w":{"shape":[1],"data_offsets":[0,1]}}"#, data: [1]), "dtype"),
        ("missing shape", MalformedTests.safetensors(header: #"{"w":{"dtype":"U8","data_offsets":[0,1]}}"#, data: [1]), "shape"),
        ("escaped duplicate", MalformedTests.safetensors(
            header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\u0061":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
            data: [1]), "twice"),
        ("header not starting with a brace", MalformedTests.safetensors(header: #"  {"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [1]),
         "not a recognised"),
        ("npy extra key", MalformedTests.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }", data: [0, 0, 0, 0]),
         "unexpected key 'extra'"),
        ("npy parenthesised number is not a tuple", MalformedTests.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1), }", data: [0, 0, 0, 0]),
         "'shape' tuple"),
        ("npy old object descriptor", MalformedTests.npy("{'descr': '|O8', 'fortran_order': False, 'shape': (1,), }", data: [0]),
         "never unpickles"),
        ("npy missing fortran_order", MalformedTests.npy("{'descr': '<f4', 'shape': (1,), }", data: [0, 0, 0, 0]), "fortran_order"),
    ]

    @Test(arguments: cases.indices)
    func isRefused(index: Int) throws {
        let (label, bytes, reason) = Self.cases[index]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-strict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("case.bin")
        try Data(bytes).write(to: url)
        let e = try #require(MalformedTests.firstError(url.path), "\(label): no error")
        #expect(e.description.contains(reason), "\(label): \(e.description)")
        #expect(e.file == url.path)
    }

    @Test func objectArrayFixtureSaysWhy() throws {
        let e = try #require(MalformedTests.firstError(IOFixtures.path("objects.npy")))
        #expect(e.reason.contains("never unpickles"))
    }

    /// Complex numbers are listed with their true size but refused by `load`.
    @Test func complexArraysAreListedButNotConverted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-complex-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("z.npy")
        let bytes = MalformedTests.npy("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", data: [UInt8](repeating: 0, count: 24))
        try Data(bytes).write(to: url)
        let f = try TensorFile.open(url.path)
        let info = try #require(f.info(named: "z"))
        #expect(info.byteCount == 24)
        #expect(!info.isFloatConvertible)
        #expect(throws: TensorFileError.self) { try f.load("z") }
    }

    /// Every file of the shared malformed corpus fails inside the library, not only at the command line.
    @Test func malformedCorpusIsRefused() throws {
        let dir = IOFixtures.dir.deletingLastPathComponent().appendingPathComponent("malformed")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasSuffix(".py") }.sorted()
        #expect(names.count >= 15)
        for name in names {
            let e = MalformedTests.firstError(dir.appendingPathComponent(name).path)
            #expect(e != nil, "\(name) was accepted")
        }
    }

    /// Opening and loading never changes a fixture: same bytes, same modification time.
    @Test func readingLeavesEveryFixtureUnchanged() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: IOFixtures.dir.path)
            .filter { $0.hasSuffix(".npy") || $0.hasSuffix(".safetensors") || $0.hasSuffix(".npz") }
        #expect(!names.isEmpty)
        for name in names {
            let path = IOFixtures.path(name)
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let mtime = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
            _ = MalformedTests.firstError(path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "\(name)")
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == mtime, "\(name)")
        }
    }
}
