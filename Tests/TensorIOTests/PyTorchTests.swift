import Foundation
import Testing
@testable import TensorIO

/// PyTorch checkpoints written by torch 2.13 (`Tests/Fixtures/pytorch/make_pytorch_fixtures.py`), compared
/// value by value with what `torch.load(weights_only=True)` reads from the same files.
@Suite("PyTorch checkpoints")
struct PyTorchTests {
    static let dir = IOFixtures.dir.deletingLastPathComponent().appendingPathComponent("pytorch")
    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    struct Expected {
        var order: [String]
        var tensors: [String: (dtype: String, shape: [Int], bits: [UInt32]?)]
    }

    static let expected: [String: Expected] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("expected.json"))
        let obj = try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        return obj.mapValues { file in
            let tensors = (file["tensors"] as! [String: [String: Any]]).mapValues { t in
                (dtype: t["dtype"] as! String, shape: t["shape"] as! [Int], bits: (t["bits"] as? [Int])?.map { UInt32($0) })
            }
            return Expected(order: file["order"] as! [String], tensors: tensors)
        }
    }()

    @Test(arguments: ["state_dict.pt", "checkpoint.pt", "protocol4.pt", "bare.pt", "deflated.pt", "bigendian.pt", "small.pt"])
    func everyTensorMatchesTorch(file: String) throws {
        let f = try TensorFile.open(Self.path(file))
        let want = try #require(Self.expected[file])
        #expect(f.format == .pytorch)
        #expect(f.tensors.map(\.name) == want.order)
        for info in f.tensors {
            let e = try #require(want.tensors[info.name])
            #expect(info.dtype == e.dtype, "\(file) \(info.name)")
            #expect(info.shape == e.shape, "\(file) \(info.name)")
            #expect(info.count == e.shape.reduce(1, *))
            guard let bits = e.bits else {
                #expect(!info.isFloatConvertible)
                #expect(throws: TensorFileError.self) { try f.reader(info.name) }
                continue
            }
            let values = try f.load(info.name).values
            #expect(values.map(\.bitPattern) == bits, "\(file) \(info.name)")
        }
    }

    /// Strided views read in odd pieces give the same values as read whole (runs cut mid-row, chunk edges).
    @Test func viewsReadInPiecesAgree() throws {
        let f = try TensorFile.open(Self.path("state_dict.pt"))
        for name in ["views.slice_cols", "views.transposed", "views.every_other", "views.permuted", "views.expanded",
                     "dtypes.bf16_transposed", "views.slice_rows", "tied.b"] {
            let r = try f.reader(name)
            let whole = r.readAll()
            for piece in [1, 3, 7] {
                var got: [Float] = []
                var i = 0
                while i < whole.count {
                    let n = min(piece, whole.count - i)
                    var buf = [Float](repeating: .nan, count: n)
                    buf.withUnsafeMutableBufferPointer { r.read(i..<(i + n), into: $0) }
                    got += buf
                    i += n
                }
                #expect(got.map(\.bitPattern) == whole.map(\.bitPattern), "\(name) in pieces of \(piece)")
            }
        }
    }

    @Test func contiguousTensorsReadInPlaceAndViewsGather() throws {
        let f = try TensorFile.open(Self.path("state_dict.pt"))
        #expect(try f.reader("fc.weight") is MappedTensorReader)
        #expect(try f.reader("views.slice_rows") is MappedTensorReader)
        #expect(try f.reader("views.transposed") is StridedTensorReader)
        #expect(try f.reader("views.slice_cols") is StridedTensorReader)
        #expect(f.metadata["pytorch.archive"] == "state_dict")
        #expect(f.metadata["pytorch.byteorder"] == "little")
        #expect(f.metadata["pytorch.version"] == "3")
    }

    @Test(arguments: ["pytorch_model.bin.index.json", "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"])
    func shardedCheckpointsOpenAsOneModel(entry: String) throws {
        let f = try TensorFile.open(Self.path(entry))
        #expect(f.format == .sharded)
        #expect(f.tensors.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.1.weight"])
        let shard = try #require(Self.expected["pytorch_model-00002-of-00002.bin"]?.tensors["layers.1.weight"]?.bits)
        #expect(try f.load("layers.1.weight").values.map(\.bitPattern) == shard)
    }

    /// A safetensors header of 128 bytes makes the file start with 0x80, as a pickle does.
    @Test func aSafetensorsFileStartingLikeAPickleIsStillSafetensors() throws {
        var header = Array(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8)
        header += [UInt8](repeating: 0x20, count: 128 - header.count)
        let bytes = [0x80, 0, 0, 0, 0, 0, 0, 0] + header + [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-\(UUID().uuidString).safetensors")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let f = try TensorFile.open(url.path)
        #expect(f.format == .safetensors)
        #expect(try f.load("w").values == [1, 2])
    }

    @Test func theLegacyFormatIsRefusedWithAWayOut() throws {
        let e = try #require(MalformedTests.firstError(Self.path("legacy.pt")))
        #expect(e.reason.contains("legacy PyTorch format"))
        #expect(e.reason.contains("_use_new_zipfile_serialization=True"))
        #expect(e.reason.contains("safetensors"))
    }
}
