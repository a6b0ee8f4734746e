import Foundation
import Testing
@testable import TensorIO

/// The streamed writers: the same bytes as writing at once, NumPy's own `.npy` header, and nothing
/// left behind when the data does not match the header.
@Suite("streamed writers")
struct StreamingWriterTests {
    func withFolder(_ body: (URL) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir)
    }

    @Test func streamingWritesWhatWritingAtOnceWrites() throws {
        try withFolder { dir in
            let a: [Float] = (0..<300).map { Float($0) * 0.25 - 3 }
            let b: [UInt8] = [1, 2, 3, 4, 5]
            let whole = dir.appendingPathComponent("whole.safetensors"), streamed = dir.appendingPathComponent("streamed.safetensors")
            try SafetensorsWriter.write([SafetensorsEntry(name: "a", shape: [3, 100], floats: a), SafetensorsEntry(name: "b", shape: [5], uint8: b)],
                                        metadata: ["format": "pt"], to: whole.path, force: false)
            try SafetensorsWriter.stream([SafetensorsTensorHeader(name: "a", shape: [3, 100]), SafetensorsTensorHeader(name: "b", dtype: "U8", shape: [5])],
                                         metadata: ["format": "pt"], to: streamed.path, force: false) { sink in
                try a.withUnsafeBufferPointer { p in
                    try sink.write(UnsafeBufferPointer(rebasing: p[0..<7]))
                    try sink.write(UnsafeBufferPointer(rebasing: p[7...]))
                }
                try b.withUnsafeBytes { try sink.write(bytes: $0) }
            }
            #expect(try Data(contentsOf: whole) == Data(contentsOf: streamed))
        }
    }

    @Test(arguments: [([Int](), "()"), ([5], "(5,)"), ([2, 3], "(2, 3)"), ([1, 2, 3, 4], "(1, 2, 3, 4)"), ([0, 7], "(0, 7)")])
    func npyHeadersAreNumpys(shape: [Int], tuple: String) throws {
        try withFolder { dir in
            let out = dir.appendingPathComponent("a.npy")
            let n = shape.reduce(1, *)
            let values = (0..<n).map { Float($0) - 1.5 }
            try NpyWriter.write(values, shape: shape, to: out.path, force: false)
            let data = try Data(contentsOf: out)
            // np.save: version 1.0, the dict padded with spaces and a newline to 128 bytes in all.
            let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"
            #expect(Array(data.prefix(10)) == [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0])
            #expect(String(decoding: data[10..<128], as: UTF8.self) == dict + String(repeating: " ", count: 117 - dict.count) + "\n")
            #expect(data.count == 128 + 4 * n)
            let f = try TensorFile.open(out.path)
            #expect(f.tensors[0].shape == shape)
            #expect(try f.load(f.tensors[0].name).values == values)
        }
    }

    @Test func dataThatDoesNotMatchTheHeaderLeavesNothing() throws {
        try withFolder { dir in
            let out = dir.appendingPathComponent("short.npy")
            let three: [Float] = [1, 2, 3]
            #expect(throws: TensorWriteError.self) {
                try NpyWriter.stream(shape: [4], to: out.path, force: false) { sink in
                    try three.withUnsafeBufferPointer { try sink.write($0) }
                }
            }
            #expect(throws: TensorWriteError.self) {
                try NpyWriter.stream(shape: [2], to: out.path, force: false) { sink in
                    try three.withUnsafeBufferPointer { try sink.write($0) }
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
            try NpyWriter.write(three, shape: [3], to: out.path, force: false)
            #expect(throws: TensorWriteError.exists(path: out.path)) { try NpyWriter.write(three, shape: [3], to: out.path, force: false) }
            try NpyWriter.write([9], shape: [1], to: out.path, force: true)
            #expect(try TensorFile.open(out.path).load("short").values == [9])
        }
    }
}
