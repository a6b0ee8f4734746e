import Foundation
import TensorCore
import TensorIO

/// Opens a file and picks a tensor the way every command does.
enum TensorLoading {
    /// Opens `path` — a file, a model folder, or a hub repo id `ORG/NAME` at `revision` — read-only, or fails
    /// naming what is wrong: exit code 1 when nothing is there, 2 for `--revision` with a local path, 65 for a
    /// folder with several model files or a malformed file.
    static func open(_ path: String, revision: String? = nil) throws -> TensorFile {
        let resolved: String
        do {
            resolved = try ModelLocation.resolve(path, revision: revision)
        } catch {
            switch error.kind {
            case .notFound: throw CLIError.runtime(error.description)
            case .unusable: throw CLIError.usage(error.description)
            case .ambiguous: throw CLIError.malformed(error.description)
            }
        }
        return try TensorFile.open(resolved)
    }

    /// The tensor named `name`, or the file's only tensor when `name` is nil.
    static func pick(_ file: TensorFile, name: String?) throws -> TensorInfo {
        if let name {
            guard let info = file.info(named: name) else {
                throw CLIError.usage("\(file.path) has no tensor named '\(name)'; it has \(describe(file.tensors))")
            }
            return info
        }
        guard file.tensors.count == 1 else {
            throw CLIError.usage("\(file.path) holds \(file.tensors.count) tensors; choose one with --tensor: \(describe(file.tensors))")
        }
        return file.tensors[0]
    }

    /// A reader of the tensor's values straight from the file, refusing dtypes that have no float meaning.
    static func reader(_ file: TensorFile, _ info: TensorInfo) throws -> any TensorReader {
        guard info.isFloatConvertible else {
            throw CLIError.malformed("\(file.path): tensor '\(info.name)' has dtype \(info.dtype), which qscope cannot analyse as numbers")
        }
        return try file.reader(info.name)
    }

    /// The whole tensor in memory, for the studies that multiply or rank every value.
    static func load(_ file: TensorFile, _ info: TensorInfo) throws -> Tensor {
        try reader(file, info).materialize()
    }

    /// `FILE` and `--tensor` resolved to a reader.
    static func reader(_ selection: TensorSelection) throws -> (file: TensorFile, reader: any TensorReader) {
        let f = try open(selection.file, revision: selection.model.revision)
        return (f, try reader(f, try pick(f, name: selection.tensor)))
    }

    static func describe(_ tensors: [TensorInfo]) -> String {
        let names = tensors.prefix(8).map(\.name)
        return names.joined(separator: ", ") + (tensors.count > 8 ? ", … (\(tensors.count) in all; see 'qscope list')" : "")
    }

    /// The bundled sample, for `qscope` without a file: next to the working directory or the executable.
    static func bundledSample() -> String? {
        let name = "samples/minilm-l6.safetensors"
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["QSCOPE_SAMPLE"], !env.isEmpty { candidates.append(env) }
        candidates.append(name)
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent(name).path)
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}
