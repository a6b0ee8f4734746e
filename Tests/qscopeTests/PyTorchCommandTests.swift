import Foundation
import Testing

/// PyTorch checkpoints, model folders and hub repo ids through the real binary.
@Suite("PyTorch checkpoints and model locations on the command line")
struct PyTorchCommandTests {
    static let pytorch = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/pytorch")
    static let malformed = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/malformed")

    /// A ZIP of stored members, as torch.save lays out a checkpoint (CRCs left 0: qscope maps stored members
    /// in place and does not check them).
    static func storedZip(_ members: [(String, [UInt8])]) -> Data {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
        var out: [UInt8] = [], directory: [UInt8] = []
        for (name, data) in members {
            let n = Array(name.utf8)
            let sizes = le32(0) + le32(data.count) + le32(data.count)
            directory += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + sizes
                + le16(n.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(out.count) + n
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + sizes + le16(n.count) + le16(0) + n + data
        }
        let end = le32(0x0605_4B50) + le16(0) + le16(0) + le16(members.count) + le16(members.count)
            + le32(directory.count) + le32(out.count) + le16(0)
        return Data(out + directory + end)
    }

    /// Pickles whose globals would run `touch MARKER` if anything executed them: each is refused, with exit
    /// code 65 and one line, by every command that opens a file, and the marker never appears.
    @Test func nothingInAPickleIsEverRun() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-pickle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let marker = dir.appendingPathComponent("ran").path
        func str(_ s: String) -> [UInt8] { let b = Array(s.utf8); return [0x58, UInt8(b.count), 0, 0, 0] + b }
        func global(_ m: String, _ n: String) -> [UInt8] { [0x63] + Array("\(m)\n\(n)\n".utf8) }
        let touch = str("touch \(marker)")
        let pickles: [String: [UInt8]] = [
            "os_system": [0x80, 0x02] + global("os", "system") + touch + [0x85, 0x52, 0x2E],
            "posix_system": [0x80, 0x02] + global("posix", "system") + touch + [0x85, 0x52, 0x2E],
            "builtins_eval": [0x80, 0x04, 0x8C, 0x08] + Array("builtins".utf8) + [0x8C, 0x04] + Array("eval".utf8) + [0x93]
                + str("__import__('os').system('touch \(marker)')") + [0x85, 0x52, 0x2E],
            "subprocess_popen": [0x80, 0x02] + global("subprocess", "Popen") + [0x28, 0x28] + str("touch") + str(marker) + [0x74, 0x74, 0x52, 0x2E],
            "inside_a_state_dict": [0x80, 0x02, 0x7D, 0x28] + str("w") + global("os", "system") + touch + [0x85, 0x52, 0x75, 0x2E],
            "inst": [0x80, 0x02, 0x28] + touch + [0x69] + Array("os\nsystem\n".utf8) + [0x2E],
        ]
        for (name, pickle) in pickles.sorted(by: { $0.key < $1.key }) {
            let file = dir.appendingPathComponent("\(name).pt")
            try Self.storedZip([("\(name)/data.pkl", pickle), ("\(name)/byteorder", Array("little".utf8))]).write(to: file)
            for args in [["list", file.path], ["report", file.path], ["scan", file.path], ["report", dir.path], ["list", file.path, "--format", "json"]] {
                let r = try CLI.run(args)
                #expect(r.status == 65, "\(name) \(args[0]): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.hasPrefix("qscope: error:"), "\(name): \(r.stderr)")
                if args[1] == dir.path { break }
            }
            #expect(!FileManager.default.fileExists(atPath: marker), "\(name) ran")
            try FileManager.default.removeItem(at: file)
        }
        // The corpus' hostile checkpoints name /tmp/qscope-pickle-ran.
        let ran = "/tmp/qscope-pickle-ran"
        try? FileManager.default.removeItem(atPath: ran)
        let corpus = try FileManager.default.contentsOfDirectory(atPath: Self.malformed.path).filter { $0.hasPrefix("pt_global") || $0 == "pt_inst.pt" || $0 == "pt_bare_pickle.pkl" }
        #expect(corpus.count >= 8)
        for name in corpus { _ = try CLI.run(["report", Self.malformed.appendingPathComponent(name).path]) }
        #expect(!FileManager.default.fileExists(atPath: ran))
    }

    @Test func checkpointsListAndAnalyse() throws {
        let file = Self.pytorch.appendingPathComponent("state_dict.pt").path
        let j = try CLI.json(["list", file, "--format", "json"])
        #expect(j["format"] as? String == "pytorch")
        let tensors = try #require(j["tensors"] as? [[String: Any]])
        let transposed = try #require(tensors.first { $0["name"] as? String == "views.transposed" })
        #expect(transposed["dtype"] as? String == "F32" && transposed["shape"] as? [Int] == [10, 6])
        #expect(tensors.contains { $0["name"] as? String == "dtypes.bfloat16" && $0["dtype"] as? String == "BF16" })
        let report = try CLI.json(["report", file, "--tensor", "views.transposed", "--format", "json"])
        #expect(report["count"] as? Int == 60)
        let scan = try CLI.run(["scan", file, "--format", "json"])
        #expect(scan.status == 0, "\(scan.stderr)")
        let legacy = try CLI.run(["list", Self.pytorch.appendingPathComponent("legacy.pt").path])
        #expect(legacy.status == 65 && legacy.stderr.contains("_use_new_zipfile_serialization=True"))
    }

    @Test func foldersAndHubReposOpenFromTheCommandLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-hubcli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let repo = dir.appendingPathComponent("hub/models--acme--tiny")
        let commit = "89abcdef0123456789abcdef0123456789abcdef"
        let fm = FileManager.default
        try fm.createDirectory(at: repo.appendingPathComponent("snapshots/\(commit)"), withIntermediateDirectories: true)
        try fm.createDirectory(at: repo.appendingPathComponent("blobs"), withIntermediateDirectories: true)
        try fm.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try fm.copyItem(at: Self.pytorch.appendingPathComponent("small.pt"), to: repo.appendingPathComponent("blobs/0a1b"))
        try fm.createSymbolicLink(atPath: repo.appendingPathComponent("snapshots/\(commit)/pytorch_model.bin").path, withDestinationPath: "../../blobs/0a1b")
        try commit.write(to: repo.appendingPathComponent("refs/main"), atomically: true, encoding: .utf8)
        let env = ["HF_HUB_CACHE": dir.appendingPathComponent("hub").path]

        for args in [["list", "acme/tiny"], ["list", "acme/tiny", "--revision", "main"], ["list", "acme/tiny", "--revision", commit],
                     ["report", "acme/tiny", "--tensor", "b"], ["scan", "acme/tiny"], ["sweep", "acme/tiny", "--tensor", "a", "--revision", "main"],
                     ["inspect", "acme/tiny", "--tensor", "a"], ["explain", "acme/tiny", "--tensor", "a"], ["isolate", "acme/tiny", "--tensor", "a"]] {
            let r = try CLI.run(args, environment: env)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        let missing = try CLI.run(["list", "acme/absent"], environment: env)
        #expect(missing.status == 1 && missing.stderr.contains("models--acme--absent") && missing.stderr.split(separator: "\n").count == 1)
        let badRevision = try CLI.run(["list", "acme/tiny", "--revision", "v9"], environment: env)
        #expect(badRevision.status == 1 && badRevision.stderr.contains("refs: main"))
        let local = try CLI.run(["list", Self.pytorch.appendingPathComponent("small.pt").path, "--revision", "main"])
        #expect(local.status == 2)
        // A folder with several candidates: exit 65, one line listing them.
        let several = try CLI.run(["list", CLI.repoRoot.appendingPathComponent("Tests/Fixtures/malformed").path])
        #expect(several.status == 65 && several.stderr.split(separator: "\n").count == 1 && several.stderr.contains("name one:"))
        let folder = try CLI.run(["list", CLI.repoRoot.appendingPathComponent("samples").path])
        #expect(folder.status == 0 && folder.stdout.contains("encoder.layer.0"))
    }
}
