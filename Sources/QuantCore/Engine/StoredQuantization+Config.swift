import TensorCore

extension StoredQuantization {
    /// The configuration that re-creates how the file stores the tensor (a bitsandbytes NF4 weight →
    /// nf4, its block, its double quantization), so the workbench can open it in its own format; nil
    /// when qscope has no such configuration (a block size it does not offer).
    public var quantConfig: QuantConfig? {
        guard let dt = DataType(name: dtype) else { return nil }
        let block: BlockSize = switch scaling {
        case .block(let n): .elements(n)
        case .row: .row
        }
        let config = QuantConfig(dtype: dt, block: block, doubleQuant: doubleQuant)
        return (try? config.validate()) != nil ? config : nil
    }
}
