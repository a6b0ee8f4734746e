import Foundation
import Testing
@testable import TensorIO

@Suite("sharded checkpoints")
struct ShardedTests {
    static let dir = IOFixtures.dir.deletingLastPathComponent().appendingPathComponent("sharded")

    @Test(arguments: ["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
    func theIndexOrAnyShardOpensTheWholeModel(entry: String) throws {
        let f = try TensorFile.open(Self.dir.appendingPathComponent(entry).path)
        #expect(f.format == .sharded)
        #expect(f.tensors.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.1.weight"])
        #expect(f.metadata["shards"] == "2")
        let t = try f.load("layers.1.weight")
        let expected = try TensorFile.open(Self.dir.appendingPathComponent("expected_layers_1_weight.npy").path)
        #expect(t.values == (try expected.load(expected.tensors[0].name)).values)
    }

    @Test func brokenSetsAreRefused() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        for f in ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
            try FileManager.default.copyItem(at: Self.dir.appendingPathComponent(f), to: tmp.appendingPathComponent(f))
        }
        let index = tmp.appendingPathComponent("model.safetensors.index.json")
        try #"{"weight_map": {"layers.0.weight": "model-00002-of-00002.safetensors"}}"#.write(to: index, atomically: true, encoding: .utf8)
        #expect(MalformedTests.firstError(index.path)?.reason.contains("does not hold it") == true)
        try #"{"weight_map": {"x": "../escape.safetensors"}}"#.write(to: index, atomically: true, encoding: .utf8)
        #expect(MalformedTests.firstError(index.path)?.reason.contains("file name") == true)
        try #"{"weight_map": {"x": "model-00009-of-00009.safetensors"}}"#.write(to: index, atomically: true, encoding: .utf8)
        #expect(MalformedTests.firstError(index.path)?.reason.contains("missing") == true)
        try #"{"not": "an index"}"#.write(to: index, atomically: true, encoding: .utf8)
        #expect(MalformedTests.firstError(index.path)?.reason.contains("weight_map") == true)
        // A lone shard whose sibling is missing opens on its own.
        try FileManager.default.removeItem(at: tmp.appendingPathComponent("model-00002-of-00002.safetensors"))
        let lone = try TensorFile.open(tmp.appendingPathComponent("model-00001-of-00002.safetensors").path)
        #expect(lone.format == .safetensors && lone.tensors.count == 2)
    }
}
