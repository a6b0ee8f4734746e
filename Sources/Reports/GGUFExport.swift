import Foundation
import QuantCore
import Synchronization
import TensorCore
import TensorIO

/// `qscope quantize … -o X.gguf`: one tensor written as a GGUF v3 file in its ggml block layout,
/// which gguf-py and llama.cpp read. The tensor streams from its reader in chunks of whole rows,
/// quantized on every core a batch of chunks at a time and written in order, so memory stays
/// bounded whatever the tensor's size.
public enum GGUFExport {
    /// Why a configuration cannot be written to GGUF.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        case notAGGMLType(DataType)

        public var description: String {
            switch self {
            case .notAGGMLType(let d):
                "\(d.name) has no ggml block layout, so it cannot be written to a GGUF file; the datatypes that can: "
                    + GGUFExport.writable.map(\.name).joined(separator: ", ") + " (or write .safetensors)"
            }
        }
    }

    /// The datatypes GGUF can hold.
    public static var writable: [DataType] { DataType.allCases.filter { $0.traits.ggmlType != nil } }

    /// Writes `reader`'s tensor as `config.dtype`'s ggml type to `path`, with `metadata` besides
    /// `general.name`. Returns the bytes of tensor data written.
    @discardableResult
    public static func write(_ reader: any TensorReader, config: QuantConfig, to path: String, metadata: [(key: String, value: GGUFValue)],
                             force: Bool, threads: Int = Parallel.defaultThreads) throws -> Int {
        guard let type = config.dtype.traits.ggmlType else { throw Failure.notAGGMLType(config.dtype) }
        let info = reader.info
        let (_, cols) = Analyzer.shape2D(info.shape)
        try config.validate(cols: cols)
        let (qk, size) = type.blockLayout
        let blocksTotal = info.count / qk
        // Chunks of whole blocks (rows hold whole blocks, so these never cut a row's block).
        let chunkBlocks = Swift.max(1, (1 << 16) / qk)
        let chunks = (blocksTotal + chunkBlocks - 1) / chunkBlocks
        let batch = Swift.max(1, threads) * 4
        let spec = GGUFTensorSpec(name: info.name, shape: info.shape, type: type)
        try GGUFWriter.write(to: path, metadata: [(key: "general.name", value: .string(info.name))] + metadata, tensors: [spec],
                             force: force) { _, write in
            var first = 0
            while first < chunks {
                let n = Swift.min(batch, chunks - first)
                let outputs = (0..<n).map { _ in ByteBox() }
                let start = first
                DispatchQueue.concurrentPerform(iterations: Swift.min(n, Swift.max(1, threads))) { w in
                    var k = w
                    var floats = [Float](repeating: 0, count: chunkBlocks * qk)
                    while k < n {
                        let b0 = (start + k) * chunkBlocks
                        let blocks = Swift.min(chunkBlocks, blocksTotal - b0)
                        var bytes = [UInt8](repeating: 0, count: blocks * size)
                        floats.withUnsafeMutableBufferPointer { f in
                            reader.read((b0 * qk)..<((b0 + blocks) * qk), into: UnsafeMutableBufferPointer(rebasing: f[0..<(blocks * qk)]))
                            bytes.withUnsafeMutableBytes { out in
                                type.quantize(f.baseAddress!, count: blocks * qk, into: out.baseAddress!)
                            }
                        }
                        outputs[k].bytes = bytes
                        k += Swift.min(n, Swift.max(1, threads))
                    }
                }
                for o in outputs { try o.bytes.withUnsafeBytes { try write($0) } }
                first += n
            }
        }
        return blocksTotal * size
    }
}

/// A chunk's bytes, filled by one worker and read after all have finished.
private final class ByteBox: Sendable {
    private let stored = Mutex<[UInt8]>([])
    var bytes: [UInt8] {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
