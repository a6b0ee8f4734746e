import Foundation
import Testing
@testable import TensorIO

@Suite("GGUF")
struct GGUFTests {
    static let dir = IOFixtures.dir.deletingLastPathComponent().appendingPathComponent("gguf")

    /// gguf-py's own dequantization of each tensor, as float32 bit patterns.
    static let expected: [String: (type: String, shape: [Int], bits: [UInt32])] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("expected.json"))
        let obj = try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        return obj.mapValues { ($0["type"] as! String, $0["shape"] as! [Int], ($0["bits"] as! [Int]).map { UInt32($0) }) }
    }()

    @Test func everyBlockTypeDequantizesLikeTheGGUFPackage() throws {
        let f = try TensorFile.open(Self.dir.appendingPathComponent("blocks.gguf").path)
        #expect(f.format == .gguf)
        #expect(Set(f.tensors.map(\.name)) == Set(Self.expected.keys))
        for info in f.tensors {
            let exp = try #require(Self.expected[info.name])
            #expect(info.dtype == exp.type)
            #expect(info.shape == exp.shape, "GGUF dims are innermost first; shapes are reported row-major")
            let t = try f.load(info.name)
            let mismatches = zip(t.values, exp.bits).filter { $0.bitPattern != $1 }.count
            #expect(mismatches == 0, "\(info.name): \(mismatches) of \(t.count) values differ")
        }
    }

    @Test func versionTwoReadsTheSame() throws {
        var bytes = try [UInt8](Data(contentsOf: Self.dir.appendingPathComponent("blocks.gguf")))
        bytes[4] = 2 // version 2 has the same layout (64-bit counts)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-v2-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let f = try TensorFile.open(url.path)
        #expect(f.metadata["gguf.version"] == "2")
        let t = try f.load("t_Q6_K")
        #expect(t.values.map(\.bitPattern) == Self.expected["t_Q6_K"]!.bits)
    }

    @Test func metadataOfEveryValueType() throws {
        let m = try TensorFile.open(Self.dir.appendingPathComponent("blocks.gguf").path).metadata
        #expect(m["general.architecture"] == "qscope-test")
        #expect(m["test.u32"] == "7" && m["test.i32"] == "-7" && m["test.f32"] == "0.5")
        #expect(m["test.u64"] == "1099511627776" && m["test.i64"] == "-1099511627776" && m["test.f64"] == "0.25")
        #expect(m["test.bool"] == "true" && m["test.u8"] == "255" && m["test.i8"] == "-128")
        #expect(m["test.u16"] == "65535" && m["test.i16"] == "-32768")
        #expect(m["test.string"] == "héllo")
        #expect(m["test.array"] == "[3 × i32: 1, 2, 3]")
        #expect(m["test.strings"] == "[2 × string: a, bc]")
        #expect(m["gguf.version"] == "3")
    }

    /// A minimal GGUF v3 file: header, key/values, tensor infos, aligned data.
    static func gguf(tensorCount: UInt64 = 1, kvs: [UInt8] = [], kvCount: UInt64 = 0, infos: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = Array("GGUF".utf8) + le(UInt32(3)) + le(tensorCount) + le(kvCount) + kvs + infos
        while out.count % 32 != 0 { out.append(0) }
        return out + data
    }

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func str(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }
    static func info(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64 = 0) -> [UInt8] {
        str(name) + le(UInt32(dims.count)) + dims.flatMap { le($0) } + le(type) + le(offset)
    }

    static let cases: [(String, [UInt8], String)] = [
        ("bad version", Array("GGUF".utf8) + le(UInt32(1)) + [UInt8](repeating: 0, count: 16), "version 1"),
        ("2^62 tensors", Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(1) << 62) + le(UInt64(0)), "cannot fit"),
        ("2^62 key/values", Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(0)) + le(UInt64(1) << 62), "cannot fit"),
        ("2^40-byte string", gguf(tensorCount: 0, kvs: le(UInt64(1) << 40) + [1, 2, 3], kvCount: 1, infos: [], data: []), "claims"),
        ("huge array", gguf(tensorCount: 0, kvs: str("a") + le(UInt32(9)) + le(UInt32(4)) + le(UInt64(1) << 50), kvCount: 1, infos: [], data: []), "claims"),
        ("unknown value type", gguf(tensorCount: 0, kvs: str("a") + le(UInt32(99)) + [0, 0, 0, 0], kvCount: 1, infos: [], data: []), "unknown value type"),
        ("unknown ggml type", gguf(infos: info("w", dims: [32], type: 99), data: [UInt8](repeating: 0, count: 128)), "unknown ggml type"),
        ("truncated data", gguf(infos: info("w", dims: [64], type: 0), data: [UInt8](repeating: 0, count: 100)), "past the end"),
        ("row not a block multiple", gguf(infos: info("w", dims: [33], type: 8), data: [UInt8](repeating: 0, count: 64)), "multiple"),
        ("misaligned offset", gguf(infos: info("w", dims: [1], type: 0, offset: 3), data: [UInt8](repeating: 0, count: 64)), "alignment"),
        ("too many dims", gguf(infos: info("w", dims: [1, 1, 1, 1, 1], type: 0), data: [0, 0, 0, 0]), "dimensions"),
        ("retired ggml type 4 (Q4_2)", gguf(infos: info("w", dims: [32], type: 4), data: [UInt8](repeating: 0, count: 32)), "unknown ggml type"),
        ("duplicate tensor", gguf(tensorCount: 2, infos: info("w", dims: [1], type: 0) + info("w", dims: [1], type: 0), data: [0, 0, 0, 0]), "twice"),
        ("cut in the header", Array("GGUF".utf8) + le(UInt32(3)) + [1, 0], "remain"),
    ]

    @Test(arguments: cases.indices)
    func malformedFilesAreRefused(index: Int) throws {
        let (label, bytes, reason) = Self.cases[index]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-gguf-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let start = Date()
        let e = MalformedTests.firstError(url.path)
        #expect(e?.description.contains(reason) == true, "\(label): \(e?.description ?? "no error")")
        #expect(Date().timeIntervalSince(start) < 5, "refused in bounded time (a hang would take minutes)")
    }
}
