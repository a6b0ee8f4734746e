import TensorCore

/// Where a set of named tensors comes from: an opened file (`TensorFile`), or tensors held in memory
/// (the benchmark, tests). The workbench reads tensors only through this.
public protocol TensorCatalog: Sendable {
    /// The file's path, or a label for tensors in memory.
    var path: String { get }
    var tensors: [TensorInfo] { get }
    /// A reader of one tensor's values.
    func reader(_ name: String) throws(TensorFileError) -> any TensorReader
}

extension TensorFile: TensorCatalog {}

/// Tensors in memory, as a catalog.
public struct InMemoryCatalog: TensorCatalog {
    public let path: String
    private let byName: [String: Tensor]
    public let tensors: [TensorInfo]

    public init(path: String, tensors: [Tensor]) {
        self.path = path
        var d: [String: Tensor] = [:]
        for t in tensors { d[t.name] = t }
        byName = d
        self.tensors = tensors.map(\.info)
    }

    public func reader(_ name: String) throws(TensorFileError) -> any TensorReader {
        guard let t = byName[name] else { throw TensorFileError(file: path, tensor: name, reason: "no such tensor") }
        return t
    }
}
