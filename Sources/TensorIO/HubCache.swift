import Foundation

/// The local Hugging Face hub cache, as `huggingface_hub` lays it out:
///
/// ```
/// <cache>/models--ORG--NAME/refs/main            a commit hash (refs/<branch or tag>, refs/pr/<n>)
/// <cache>/models--ORG--NAME/snapshots/<hash>/…   the repo's files at that commit: links into blobs/
/// <cache>/models--ORG--NAME/blobs/<sha256 or sha1>
/// ```
///
/// `<cache>` is `HF_HUB_CACHE` (or the older `HUGGINGFACE_HUB_CACHE`), else `HF_HOME/hub`, else
/// `XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`. Only the file system is read.
enum HubCache {
    /// The cache folder the environment names.
    static func root(_ environment: [String: String]) -> String {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        if let c = value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") { return expand(c, environment) }
        if let h = value("HF_HOME") { return expand(h, environment) + "/hub" }
        if let x = value("XDG_CACHE_HOME") { return expand(x, environment) + "/huggingface/hub" }
        return (value("HOME") ?? NSHomeDirectory()) + "/.cache/huggingface/hub"
    }

    private static func expand(_ path: String, _ environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return (environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
    }

    /// The snapshot folder of `repo` (`ORG/NAME`) at `revision`: a ref's commit, or a commit hash (or an
    /// unambiguous prefix of one, at least 7 characters) naming a snapshot folder.
    static func snapshot(repo: String, revision: String, environment: [String: String], argument: String) throws(ModelLocationError) -> String {
        let cache = root(environment)
        let folder = cache + "/models--" + repo.replacingOccurrences(of: "/", with: "--")
        func fail(_ reason: String) -> ModelLocationError { ModelLocationError(argument: argument, kind: .notFound, reason: reason) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw fail("no such file or folder, and \(repo) is not in the Hugging Face hub cache (looked for \(folder); "
                       + "the cache is HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub; qscope never downloads)")
        }
        guard !revision.isEmpty, !revision.hasPrefix("/"), !revision.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw ModelLocationError(argument: argument, kind: .unusable, reason: "'\(revision)' is not a revision name")
        }
        let snapshots = folder + "/snapshots"
        let ref = folder + "/refs/" + revision
        var commit = revision
        if FileManager.default.fileExists(atPath: ref, isDirectory: &isDirectory), !isDirectory.boolValue {
            guard let text = try? String(contentsOfFile: ref, encoding: .utf8) else { throw fail("cannot read \(ref)") }
            commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !commit.isEmpty, !commit.contains("/"), commit != "..", commit != "." else { throw fail("\(ref) does not hold a commit hash") }
        }
        let direct = snapshots + "/" + commit
        if !commit.contains("/"), FileManager.default.fileExists(atPath: direct, isDirectory: &isDirectory), isDirectory.boolValue {
            return direct
        }
        let available = ((try? FileManager.default.contentsOfDirectory(atPath: snapshots)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        if commit == revision, revision.count >= 7, revision.allSatisfy(\.isHexDigit) {
            let matches = available.filter { $0.hasPrefix(revision.lowercased()) }
            if matches.count == 1 { return snapshots + "/" + matches[0] }
        }
        let refs = refNames(folder + "/refs")
        if commit != revision {
            throw fail("\(ref) names commit \(commit), whose snapshot \(direct) is missing")
        }
        throw fail("the cached \(repo) has no revision '\(revision)' (refs: \(refs.isEmpty ? "none" : refs.joined(separator: ", ")); "
                   + "snapshots: \(available.isEmpty ? "none" : available.joined(separator: ", ")))")
    }

    /// Every ref under `refs/` (`main`, `pr/1`, …).
    private static func refNames(_ refs: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: refs) else { return [] }
        var names: [String] = []
        while let name = e.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: refs + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue { names.append(name) }
            if names.count >= 20 { break }
        }
        return names.sorted()
    }
}
