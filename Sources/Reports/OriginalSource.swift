import QuantCore
import TensorCore
import TensorIO

/// The file a quantized file was made from (`--original FILE`), and which of its tensors stands for
/// each quantized one (by name or llama.cpp's names, `TensorMatching`), so that a stored quantization's
/// error can be measured against its source.
public struct OriginalSource: Sendable {
    public let catalog: any TensorCatalog
    public let matching: TensorMatching

    /// Matches `original`'s tensors to those of `quantized` (the file being looked at).
    public init(original: TensorFile, quantized: TensorFile) {
        catalog = original
        matching = TensorMatching.match(original: TensorMatching.Side(tensors: original.tensors, metadata: original.metadata),
                                        quantized: TensorMatching.Side(tensors: quantized.tensors, metadata: quantized.metadata))
    }

    public init(catalog: any TensorCatalog, matching: TensorMatching) {
        self.catalog = catalog
        self.matching = matching
    }

    /// The original of quantized tensor `name`, read in the quantized tensor's element order, with a
    /// label (`FILE ▸ TENSOR`) for the figures.
    public func reader(for name: String, quantized: any TensorCatalog) throws -> (reader: any TensorReader, label: String) {
        guard let pair = matching.pairs.first(where: { $0.quantized.name == name }) else {
            throw OriginalSourceError(file: catalog.path, tensor: name, reason: "has no tensor that matches it, by name or by llama.cpp's names")
        }
        if let obstacle = pair.obstacle {
            throw OriginalSourceError(file: catalog.path, tensor: name, reason: "holds \(pair.original.name), which does not fit: \(obstacle)")
        }
        guard pair.original.isFloatConvertible else {
            throw OriginalSourceError(file: catalog.path, tensor: name, reason: "holds \(pair.original.name) as \(pair.original.dtype), which is not numeric")
        }
        guard let readers = try pair.alignedReaders(original: catalog, quantized: quantized, inQuantizedOrder: true) else {
            throw OriginalSourceError(file: catalog.path, tensor: name, reason: "holds \(pair.original.name), whose rows do not split into \(pair.unpermute?.heads ?? 0) heads")
        }
        return (readers.original, "\(catalog.path) ▸ \(pair.original.name)")
    }
}

/// An original that cannot stand beside a quantized tensor.
public struct OriginalSourceError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var tensor: String
    public var reason: String

    public var description: String { "\(file) \(reason) (for \(tensor))" }
}
