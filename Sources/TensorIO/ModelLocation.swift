import Foundation

/// Turns what a user types where a file is expected — a file, a model folder, or a Hugging Face repo id
/// such as `sentence-transformers/all-MiniLM-L6-v2` — into the one file to open.
///
/// A repo id is looked up in the local Hugging Face hub cache only (the network is never touched):
/// `models--ORG--NAME/refs/<revision>` holds a commit hash, `snapshots/<hash>/` holds the repo's files
/// as symbolic links into `blobs/`. A folder (a snapshot, or a model saved by `save_pretrained`) opens
/// its model file by the rules of `modelFile(in:)`.
public enum ModelLocation {
    /// The file `argument` stands for.
    ///
    /// - An existing file is itself (then `revision` must be nil).
    /// - An existing folder opens its model file (`modelFile(in:)`).
    /// - Otherwise `ORG/NAME` (or `ORG/NAME/PATH`, a file or folder inside the repo) is looked up in the hub
    ///   cache at `revision` (a branch or tag under `refs/`, or a commit hash naming a snapshot; default
    ///   `main`).
    public static func resolve(_ argument: String, revision: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelLocationError) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
            if let revision {
                throw ModelLocationError(argument: argument, kind: .unusable,
                                         reason: "--revision \(revision) applies to a hub repo id (ORG/NAME), not to a local \(isDirectory.boolValue ? "folder" : "file")")
            }
            return isDirectory.boolValue ? try modelFile(in: argument) : argument
        }
        guard let (repo, inner) = repoID(argument) else {
            throw ModelLocationError(argument: argument, kind: .notFound, reason: "no such file or folder")
        }
        let snapshot = try HubCache.snapshot(repo: repo, revision: revision ?? "main", environment: environment, argument: argument)
        guard let inner else { return try modelFile(in: snapshot) }
        let path = snapshot + "/" + inner
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelLocationError(argument: argument, kind: .notFound, reason: "the snapshot \(snapshot) holds no \(inner)")
        }
        return isDirectory.boolValue ? try modelFile(in: path) : path
    }

    /// `ORG/NAME` and an optional path inside the repo, when `argument` has the shape of a repo id.
    static func repoID(_ argument: String) -> (repo: String, inner: String?)? {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, !argument.hasPrefix("/"), !argument.hasPrefix("~") else { return nil }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        for part in parts.prefix(2) {
            guard !part.isEmpty, part.count <= 96, part.allSatisfy(allowed.contains), part.first != ".", part.first != "-",
                  !part.contains("--"), !part.contains("..") else { return nil }
        }
        let rest = parts.dropFirst(2)
        guard rest.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { return nil }
        return (parts[0] + "/" + parts[1], rest.isEmpty ? nil : rest.joined(separator: "/"))
    }

    /// The model file of a folder, by the first rule that finds any file:
    ///
    /// 1. `model.safetensors.index.json`;
    /// 2. `*.safetensors` (one file, or the shards of one complete set; a `NAME-activations.safetensors`
    ///    beside `NAME.safetensors` is its companion, not a candidate);
    /// 3. `*.gguf`;
    /// 4. `pytorch_model.bin.index.json`;
    /// 5. `pytorch_model.bin`, else `*.bin`, `*.pt`, `*.pth` (one file, or one complete shard set).
    ///
    /// Several candidates under the first rule that finds any are an error that lists them.
    public static func modelFile(in folder: String) throws(ModelLocationError) -> String {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw ModelLocationError(argument: folder, kind: .notFound, reason: "cannot list the folder (\(error.localizedDescription))")
        }
        let dir = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        func path(_ name: String) -> String { dir + "/" + name }
        func isFile(_ name: String) -> Bool {
            var isDirectory: ObjCBool = false
            // Follows links, as the hub's snapshots are links into blobs/; a dangling link is kept, to be named.
            let exists = FileManager.default.fileExists(atPath: path(name), isDirectory: &isDirectory)
            return exists ? !isDirectory.boolValue : (try? FileManager.default.destinationOfSymbolicLink(atPath: path(name))) != nil
        }
        let files = names.filter(isFile)
        func pick(_ candidates: [String], rule: String) throws(ModelLocationError) -> String? {
            guard !candidates.isEmpty else { return nil }
            let chosen: String
            if candidates.count == 1 {
                chosen = candidates[0]
            } else if let set = ShardSet.siblings(of: path(candidates[0])), set.map({ URL(fileURLWithPath: $0).lastPathComponent }) == candidates {
                chosen = candidates[0]
            } else {
                throw ModelLocationError(argument: folder, kind: .ambiguous,
                                         reason: "the folder holds \(candidates.count) \(rule) files; name one: \(candidates.joined(separator: ", "))")
            }
            let p = path(chosen)
            guard FileManager.default.fileExists(atPath: p) else {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: p)) ?? "?"
                throw ModelLocationError(argument: folder, kind: .notFound,
                                         reason: "\(chosen) links to \(target), which is missing (an interrupted download?)")
            }
            return p
        }
        if files.contains("model.safetensors.index.json") { return try pick(["model.safetensors.index.json"], rule: "index")! }
        let safetensors = files.filter { $0.hasSuffix(".safetensors") }
        let companions = Set(safetensors.filter { name in
            name.hasSuffix("-activations.safetensors") && safetensors.contains(String(name.dropLast("-activations.safetensors".count)) + ".safetensors")
        })
        if let p = try pick(safetensors.filter { !companions.contains($0) }, rule: "safetensors") { return p }
        if let p = try pick(files.filter { $0.hasSuffix(".gguf") }, rule: "GGUF") { return p }
        if files.contains("pytorch_model.bin.index.json") { return try pick(["pytorch_model.bin.index.json"], rule: "index")! }
        if files.contains("pytorch_model.bin") { return try pick(["pytorch_model.bin"], rule: "PyTorch")! }
        if let p = try pick(files.filter { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") }, rule: "PyTorch") { return p }
        throw ModelLocationError(argument: folder, kind: .notFound,
                                 reason: "the folder holds no model file (looked for model.safetensors.index.json, *.safetensors, *.gguf, "
                                    + "pytorch_model.bin.index.json, *.bin, *.pt, *.pth)")
    }
}

/// A file, folder or repo id that does not lead to one model file.
public struct ModelLocationError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Nothing there: no file, folder, cached repo, revision or model file.
        case notFound
        /// A folder with several model files under the rule that applies.
        case ambiguous
        /// Something there that cannot be used as asked (`--revision` with a local file).
        case unusable
    }

    public let argument: String
    public let kind: Kind
    public let reason: String

    public var description: String { "\(argument): \(reason)" }
}
