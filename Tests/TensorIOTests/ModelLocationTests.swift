import Foundation
import Testing
@testable import TensorIO

/// Model folders and the Hugging Face hub cache, on layouts built here in a temporary folder.
@Suite("model folders and the hub cache")
struct ModelLocationTests {
    static let fixtures = IOFixtures.dir.deletingLastPathComponent()
    static let commitA = "0123456789abcdef0123456789abcdef01234567"
    static let commitB = "fedcba9876543210fedcba9876543210fedcba98"

    /// A scratch folder removed when the test ends.
    final class Scratch {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-hub-\(UUID().uuidString)")
        var path: String { url.path }
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }

        func folder(_ names: [String: String]) throws -> String {
            let dir = url.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for (name, source) in names {
                try FileManager.default.copyItem(at: fixtures.appendingPathComponent(source), to: dir.appendingPathComponent(name))
            }
            return dir.path
        }
    }

    /// `models--acme--tiny`: main → commit A (a safetensors file), the tag v2 → commit B (a PyTorch
    /// checkpoint), every file a relative link into blobs/ as huggingface_hub writes them.
    static func makeHub(in scratch: Scratch) throws -> String {
        let fm = FileManager.default
        let repo = scratch.url.appendingPathComponent("hub/models--acme--tiny")
        for sub in ["refs", "blobs", "snapshots/\(commitA)", "snapshots/\(commitB)/nested"] {
            try fm.createDirectory(at: repo.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try fm.copyItem(at: fixtures.appendingPathComponent("cli/model.safetensors"), to: repo.appendingPathComponent("blobs/aaaa"))
        try fm.copyItem(at: fixtures.appendingPathComponent("pytorch/small.pt"), to: repo.appendingPathComponent("blobs/bbbb"))
        try "{}".write(to: repo.appendingPathComponent("blobs/cccc"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: repo.appendingPathComponent("snapshots/\(commitA)/model.safetensors").path, withDestinationPath: "../../blobs/aaaa")
        try fm.createSymbolicLink(atPath: repo.appendingPathComponent("snapshots/\(commitA)/config.json").path, withDestinationPath: "../../blobs/cccc")
        try fm.createSymbolicLink(atPath: repo.appendingPathComponent("snapshots/\(commitB)/pytorch_model.bin").path, withDestinationPath: "../../blobs/bbbb")
        try fm.createSymbolicLink(atPath: repo.appendingPathComponent("snapshots/\(commitB)/nested/weights.pt").path, withDestinationPath: "../../../blobs/bbbb")
        try (commitA + "\n").write(to: repo.appendingPathComponent("refs/main"), atomically: true, encoding: .utf8)
        try commitB.write(to: repo.appendingPathComponent("refs/v2"), atomically: true, encoding: .utf8)
        return scratch.url.appendingPathComponent("hub").path
    }

    @Test func repoIdsResolveThroughRefsAndSnapshots() throws {
        let scratch = try Scratch()
        let hub = try Self.makeHub(in: scratch)
        let env = ["HF_HUB_CACHE": hub]
        let snapshots = hub + "/models--acme--tiny/snapshots/"
        #expect(try ModelLocation.resolve("acme/tiny", environment: env) == snapshots + Self.commitA + "/model.safetensors")
        #expect(try ModelLocation.resolve("acme/tiny", revision: "main", environment: env) == snapshots + Self.commitA + "/model.safetensors")
        #expect(try ModelLocation.resolve("acme/tiny", revision: "v2", environment: env) == snapshots + Self.commitB + "/pytorch_model.bin")
        #expect(try ModelLocation.resolve("acme/tiny", revision: Self.commitB, environment: env) == snapshots + Self.commitB + "/pytorch_model.bin")
        #expect(try ModelLocation.resolve("acme/tiny", revision: "fedcba9", environment: env) == snapshots + Self.commitB + "/pytorch_model.bin")
        #expect(try ModelLocation.resolve("acme/tiny/nested/weights.pt", revision: "v2", environment: env)
                == snapshots + Self.commitB + "/nested/weights.pt")
        // The links lead to real checkpoints.
        let f = try TensorFile.open(try ModelLocation.resolve("acme/tiny", revision: "v2", environment: env))
        #expect(f.format == .pytorch && f.tensors.map(\.name) == ["a", "b"])
        // HF_HOME/hub and XDG_CACHE_HOME/huggingface/hub lead to the same place.
        let home = scratch.url.appendingPathComponent("home").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: home + "/hub", withDestinationPath: hub)
        #expect(try ModelLocation.resolve("acme/tiny", environment: ["HF_HOME": home]).hasSuffix("/model.safetensors"))
        #expect(HubCache.root(["XDG_CACHE_HOME": "/x"]) == "/x/huggingface/hub")
        #expect(HubCache.root(["HOME": "/home/u"]) == "/home/u/.cache/huggingface/hub")
        #expect(HubCache.root(["HF_HUB_CACHE": "/a", "HF_HOME": "/b"]) == "/a")
    }

    @Test func missingReposAndRevisionsSayWhereQscopeLooked() throws {
        let scratch = try Scratch()
        let hub = try Self.makeHub(in: scratch)
        let env = ["HF_HUB_CACHE": hub]
        let missing = #expect(throws: ModelLocationError.self) { try ModelLocation.resolve("acme/huge", environment: env) }
        #expect(missing?.kind == .notFound)
        #expect(missing?.reason.contains(hub + "/models--acme--huge") == true)
        let noRevision = #expect(throws: ModelLocationError.self) { try ModelLocation.resolve("acme/tiny", revision: "v9", environment: env) }
        #expect(noRevision?.reason.contains("refs: main, v2") == true)
        #expect(noRevision?.reason.contains(Self.commitA) == true)
        let escape = #expect(throws: ModelLocationError.self) { try ModelLocation.resolve("acme/tiny", revision: "../../x", environment: env) }
        #expect(escape?.kind == .unusable)
        // Not repo-shaped: just a missing file.
        let plain = #expect(throws: ModelLocationError.self) { try ModelLocation.resolve("/no/such/file.safetensors", environment: env) }
        #expect(plain?.reason == "no such file or folder")
        #expect(ModelLocation.repoID("a/b")?.repo == "a/b")
        #expect(ModelLocation.repoID("a/b/c/d.bin")?.inner == "c/d.bin")
        for bad in ["a", "../b", "a/..", "a/b/../c", "/a/b", "~/a", "a--b/c", ".a/b"] { #expect(ModelLocation.repoID(bad) == nil, "\(bad)") }
    }

    @Test func aMissingBlobIsNamed() throws {
        let scratch = try Scratch()
        let hub = try Self.makeHub(in: scratch)
        try FileManager.default.removeItem(atPath: hub + "/models--acme--tiny/blobs/aaaa")
        let e = #expect(throws: ModelLocationError.self) { try ModelLocation.resolve("acme/tiny", environment: ["HF_HUB_CACHE": hub]) }
        #expect(e?.reason.contains("interrupted download") == true)
    }

    @Test func revisionIsOnlyForRepoIds() throws {
        let e = #expect(throws: ModelLocationError.self) {
            try ModelLocation.resolve(Self.fixtures.appendingPathComponent("cli/model.safetensors").path, revision: "main")
        }
        #expect(e?.kind == .unusable)
    }

    @Test func foldersOpenTheirModelFileByRule() throws {
        let scratch = try Scratch()
        func resolved(_ names: [String: String]) throws -> String {
            URL(fileURLWithPath: try ModelLocation.resolve(try scratch.folder(names))).lastPathComponent
        }
        // 1. the safetensors index wins over everything.
        #expect(try resolved(["model.safetensors.index.json": "sharded/model.safetensors.index.json",
                              "model-00001-of-00002.safetensors": "sharded/model-00001-of-00002.safetensors",
                              "model-00002-of-00002.safetensors": "sharded/model-00002-of-00002.safetensors",
                              "pytorch_model.bin": "pytorch/small.pt"]) == "model.safetensors.index.json")
        // 2. one safetensors file, or one complete shard set, or a file and its activations companion.
        #expect(try resolved(["weights.safetensors": "cli/model.safetensors", "model.gguf": "gguf/blocks.gguf"]) == "weights.safetensors")
        #expect(try resolved(["model-00001-of-00002.safetensors": "sharded/model-00001-of-00002.safetensors",
                              "model-00002-of-00002.safetensors": "sharded/model-00002-of-00002.safetensors"]) == "model-00001-of-00002.safetensors")
        #expect(try resolved(["m.safetensors": "cli/model.safetensors", "m-activations.safetensors": "cli/model.safetensors"]) == "m.safetensors")
        // 3. GGUF before PyTorch.
        #expect(try resolved(["model.gguf": "gguf/blocks.gguf", "pytorch_model.bin": "pytorch/small.pt"]) == "model.gguf")
        // 4. the PyTorch index, 5. pytorch_model.bin before other .bin files, else the one .pt/.pth/.bin.
        #expect(try resolved(["pytorch_model.bin.index.json": "pytorch/pytorch_model.bin.index.json",
                              "pytorch_model-00001-of-00002.bin": "pytorch/pytorch_model-00001-of-00002.bin",
                              "pytorch_model-00002-of-00002.bin": "pytorch/pytorch_model-00002-of-00002.bin"]) == "pytorch_model.bin.index.json")
        #expect(try resolved(["pytorch_model.bin": "pytorch/small.pt", "training_args.bin": "pytorch/bare.pt"]) == "pytorch_model.bin")
        #expect(try resolved(["weights.pth": "pytorch/small.pt", "notes.txt": "pytorch/expected.json"]) == "weights.pth")
    }

    @Test func severalCandidatesAreListed() throws {
        let scratch = try Scratch()
        let ggufs = try scratch.folder(["a-q4_k.gguf": "gguf/blocks.gguf", "a-q8_0.gguf": "gguf/blocks.gguf"])
        let e = #expect(throws: ModelLocationError.self) { try ModelLocation.resolve(ggufs) }
        #expect(e?.kind == .ambiguous)
        #expect(e?.reason == "the folder holds 2 GGUF files; name one: a-q4_k.gguf, a-q8_0.gguf")
        let pts = try scratch.folder(["one.pt": "pytorch/small.pt", "two.pth": "pytorch/small.pt"])
        #expect((#expect(throws: ModelLocationError.self) { try ModelLocation.resolve(pts) })?.reason.contains("one.pt, two.pth") == true)
        let empty = try scratch.folder(["readme.txt": "pytorch/expected.json"])
        let none = #expect(throws: ModelLocationError.self) { try ModelLocation.resolve(empty) }
        #expect(none?.kind == .notFound && none?.reason.contains("no model file") == true)
    }
}
