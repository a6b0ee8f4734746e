import Foundation
import Testing
import TensorCore
@testable import TensorIO

/// The reference quantizers' bytes and the GGUF writer, against gguf-py.
@Suite("GGUF writer and quantizers")
struct GGUFWriterTests {
    static let dir = GGMLBlockTests.dir
    static let writtenTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_NL, .f16, .bf16]

    /// The F32 input of `legacy_quant.gguf` (9 rows of 256).
    static func input() throws -> Tensor { try TensorFile.open(GGMLBlockTests.path("legacy_quant.gguf")).load("input") }

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
    func legacyQuantizersWriteTheGGUFPackagesBytes(type: GGMLType) throws {
        let raw = try GGMLBlockTests.rawTensors("legacy_quant.gguf")
        let want = try #require(raw["t_\(type.name)"])
        let got = type.quantize(try Self.input().values)
        #expect(got.count == want.bytes.count)
        let size = type.blockLayout.bytes
        let differ = (0..<(got.count / size)).filter { got[($0 * size)..<(($0 + 1) * size)] != want.bytes[($0 * size)..<(($0 + 1) * size)] }
        #expect(differ.isEmpty, "\(type.name): blocks \(differ.prefix(8)) of \(got.count / size) differ")
    }

    /// The file qscope writes from the fixture input: every quantizer qscope has, metadata of several kinds.
    static func writeSample(to path: String, force: Bool) throws {
        let x = try input()
        var tensors: [(GGUFTensorSpec, [UInt8])] = [(GGUFTensorSpec(name: "input", shape: x.shape, type: .f32), GGMLType.f32.quantize(x.values))]
        for type in writtenTypes {
            tensors.append((GGUFTensorSpec(name: "t_\(type.name)", shape: x.shape, type: type), type.quantize(x.values)))
        }
        // What llama-quantize writes for IQ4_NL (a 15-scale search), unlike quantize_row_iq4_nl_ref.
        tensors.append((GGUFTensorSpec(name: "t_IQ4_NL_llama", shape: x.shape, type: .iq4_NL), GGMLType.iq4_NL.quantize(x.values, quantizer: .llamaQuantize)))
        try GGUFWriter.write(to: path, metadata: [
            ("general.architecture", .string("qscope-test")),
            ("general.name", .string("qscope GGUF writer fixture")),
            ("test.u32", .uint32(7)), ("test.i32", .int32(-7)), ("test.f32", .float32(0.5)), ("test.bool", .bool(true)),
            ("test.u64", .uint64(1 << 40)), ("test.strings", .strings(["a", "bc", "héllo"])), ("test.ints", .int32s([1, -2, 3])),
        ], tensors: tensors.map { (spec: $0.0, bytes: $0.1) }, force: force)
    }

    static func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("qscope-\(UUID().uuidString)-\(name)").path
    }

    /// qscope still writes byte for byte the file gguf-py read (`qscope_written.gguf`); gguf-py's decode
    /// of it equals qscope's. `QSCOPE_RECORD_FIXTURES=1` rewrites the fixture (then run
    /// `make_block_fixtures.py --check-written`).
    @Test func writtenFileMatchesTheFixtureAndTheGGUFPackagesDecode() throws {
        let fixture = GGMLBlockTests.path("qscope_written.gguf")
        if ProcessInfo.processInfo.environment["QSCOPE_RECORD_FIXTURES"] == "1" {
            try Self.writeSample(to: fixture, force: true)
        }
        let path = Self.tempPath("written.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.writeSample(to: path, force: false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: fixture)))

        let file = try TensorFile.open(path)
        let expected = try TensorFile.open(GGMLBlockTests.path("qscope_written_expected.npz"))
        #expect(file.tensors.map(\.name) == ["input"] + Self.writtenTypes.map { "t_\($0.name)" } + ["t_IQ4_NL_llama"])
        #expect(file.metadata["general.alignment"] == "32" && file.metadata["general.quantization_version"] == "2")
        #expect(file.metadata["test.strings"] == "[3 × string: a, bc, héllo]")
        for info in file.tensors {
            #expect(info.shape == [9, 256])
            let got = try file.load(info.name).values, want = try expected.load(info.name).values
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(info.name)")
        }
    }

    /// A tensor streamed in uneven chunks gives the same file as one written whole.
    @Test func streamingInChunksWritesTheSameBytes() throws {
        let x = try Self.input().values
        let spec = GGUFTensorSpec(name: "w", shape: [9, 256], type: .q4_K)
        let whole = Self.tempPath("whole.gguf"), streamed = Self.tempPath("streamed.gguf")
        defer { try? FileManager.default.removeItem(atPath: whole); try? FileManager.default.removeItem(atPath: streamed) }
        let bytes = GGMLType.q4_K.quantize(x)
        try GGUFWriter.write(to: whole, metadata: [], tensors: [(spec: spec, bytes: bytes)], force: false)
        try GGUFWriter.write(to: streamed, metadata: [], tensors: [spec], force: false) { _, write in
            // One super-block at a time, quantized as it goes.
            var block = [UInt8](repeating: 0, count: 144)
            for b in 0..<9 {
                x.withUnsafeBufferPointer { v in block.withUnsafeMutableBytes { GGMLType.q4_K.quantize(v.baseAddress! + 256 * b, count: 256, into: $0.baseAddress!) } }
                try block.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<100])) }
                try block.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[100...])) }
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: whole)) == Data(contentsOf: URL(fileURLWithPath: streamed)))
        let t = try TensorFile.open(streamed).load("w")
        var want = [Float](repeating: 0, count: x.count)
        bytes.withUnsafeBytes { raw in want.withUnsafeMutableBufferPointer { GGMLType.q4_K.dequantize(raw, blocks: 9, into: $0.baseAddress!) } }
        #expect(t.values == want)
    }

    @Test func layoutIsAlignedAndInnermostFirst() throws {
        let path = Self.tempPath("layout.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = GGUFTensorSpec(name: "a", shape: [3], type: .f32)          // 12 bytes: padded to 32
        let b = GGUFTensorSpec(name: "b", shape: [2, 1, 64], type: .q8_0)  // 4 blocks, 136 bytes
        try GGUFWriter.write(to: path, metadata: [("general.architecture", .string("x"))],
                             tensors: [(spec: a, bytes: GGMLType.f32.quantize([1, 2, 3])), (spec: b, bytes: GGMLType.q8_0.quantize([Float](repeating: 0.5, count: 128)))],
                             force: false)
        let parsed = try GGUFFormat.parse(MappedFile(path: path))
        #expect(parsed.tensors.map(\.info.shape) == [[3], [2, 1, 64]])
        #expect(parsed.tensors[1].range.lowerBound - parsed.tensors[0].range.lowerBound == 32)
        #expect(parsed.tensors.allSatisfy { $0.range.lowerBound % 32 == 0 })
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size == parsed.tensors[1].range.lowerBound + 160, "the last tensor is padded too")
        #expect(try TensorFile.open(path).load("b").values.allSatisfy { abs($0 - 0.5) < 1e-3 })
    }

    /// `general.file_type` reads back as its number, and llama.cpp's name for it is the one the Hub
    /// puts in file names (what `list` shows beside the number).
    @Test func fileTypeNamesFollowLlamaCpp() throws {
        let path = Self.tempPath("ftype.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = GGUFTensorSpec(name: "a", shape: [32], type: .q8_0)
        try GGUFWriter.write(to: path, metadata: [("general.architecture", .string("llama")), ("general.file_type", .uint32(15))],
                             tensors: [(spec: a, bytes: GGMLType.q8_0.quantize([Float](repeating: 1, count: 32)))], force: false)
        let stored = try TensorFile.open(path).metadata["general.file_type"]
        let value = try #require(stored.flatMap { Int($0) })
        #expect(GGUFFileType.name(value) == "Q4_K_M")
        #expect(GGUFFileType.name(2) == "Q4_0" && GGUFFileType.name(30) == "IQ4_XS" && GGUFFileType.name(38) == "MXFP4_MOE")
        #expect(GGUFFileType.name(4) == nil, "4 (Q4_1 with F16 output) was removed from llama.cpp")
    }

    @Test func refusals() throws {
        let path = Self.tempPath("refused.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        func reason(_ tensors: [GGUFTensorSpec], metadata: [(key: String, value: GGUFValue)] = [], give: Int? = nil, force: Bool = false) -> String {
            do {
                try GGUFWriter.write(to: path, metadata: metadata, tensors: tensors, force: force) { i, write in
                    try [UInt8](repeating: 0, count: give ?? tensors[i].byteCount).withUnsafeBytes { try write($0) }
                }
                return "written"
            } catch { return "\(error)" }
        }
        let ok = GGUFTensorSpec(name: "w", shape: [32], type: .q4_0)
        #expect(reason([GGUFTensorSpec(name: "w", shape: [33], type: .q4_0)]).contains("multiple of Q4_0's block"))
        #expect(reason([ok, ok]).contains("appears twice"))
        #expect(reason([GGUFTensorSpec(name: String(repeating: "n", count: 64), shape: [32], type: .q4_0)]).contains("1…63 bytes"))
        #expect(reason([GGUFTensorSpec(name: "w", shape: [1, 1, 1, 1, 32], type: .q4_0)]).contains("1 to 4 dimensions"))
        #expect(reason([ok], metadata: [("a", .uint32(1)), ("a", .uint32(2))]).contains("appears twice"))
        #expect(reason([ok], metadata: [("general.alignment", .uint32(64))]).contains("general.alignment"))
        #expect(reason([GGUFTensorSpec(name: "w", shape: [1 << 31, 1 << 31], type: .f32)]).contains("too large"))
        #expect(reason([ok], give: 17).contains("17 of its 18 bytes"))
        #expect(reason([ok], give: 19).contains("more than its 18 bytes"))
        #expect(!FileManager.default.fileExists(atPath: path), "a failed write leaves nothing behind")
        #expect(reason([ok]) == "written")
        #expect(reason([ok]).contains("exists"))
        #expect(reason([ok], force: true) == "written")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).filter { $0.hasPrefix(".qscope-") && $0.contains("refused.gguf.tmp") }
        #expect(leftovers.isEmpty)
    }
}
