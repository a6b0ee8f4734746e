/// One quantization configuration: datatype, block size and double quantization.
///
/// The workbench caches analyses by (tensor, config), so the type is `Hashable`.
public struct QuantConfig: Sendable, Hashable, CustomStringConvertible {
    public var dtype: DataType
    public var block: BlockSize
    public var doubleQuant: Bool

    public init(dtype: DataType = .nf4, block: BlockSize = .elements(64), doubleQuant: Bool = false) {
        self.dtype = dtype
        self.block = block
        self.doubleQuant = doubleQuant
    }

    /// The configuration with the block forced to the datatype's fixed block, if it has one.
    ///
    /// Used when the user did not choose a block (the default of 64 does not apply to MX or NVFP4).
    public func adaptingBlockToDatatype() -> QuantConfig {
        var c = self
        if let fixed = dtype.fixedBlock { c.block = .elements(fixed) }
        if !dtype.supportsDoubleQuant { c.doubleQuant = false }
        return c
    }

    /// Checks the configuration against a tensor's row length (GGUF formats need whole blocks per row).
    public func validate(cols: Int) throws(QuantError) {
        try validate()
        if dtype.traits.wholeBlocksPerRow, let fixed = dtype.fixedBlock, cols % fixed != 0 {
            throw .rowLength(dtype: dtype, cols: cols, multiple: fixed)
        }
    }

    /// Checks that the datatype accepts the block size and double quantization.
    public func validate() throws(QuantError) {
        if let fixed = dtype.fixedBlock, block != .elements(fixed) {
            throw .fixedBlock(dtype: dtype, required: fixed, given: block)
        }
        if doubleQuant && !dtype.supportsDoubleQuant {
            throw .doubleQuantUnsupported(dtype: dtype)
        }
    }

    public var description: String {
        "\(dtype.name) · block \(block) · dq \(doubleQuant ? "on" : "off")"
    }
}

/// Why a configuration cannot be applied.
public enum QuantError: Error, Sendable, Equatable, CustomStringConvertible {
    case fixedBlock(dtype: DataType, required: Int, given: BlockSize)
    case doubleQuantUnsupported(dtype: DataType)
    case rowLength(dtype: DataType, cols: Int, multiple: Int)

    public var description: String {
        switch self {
        case .fixedBlock(let dt, let required, let given):
            "\(dt.name) has a fixed block of \(required) elements; block \(given) is not possible (use --block \(required) or leave --block out)"
        case .rowLength(let dt, let cols, let multiple):
            "\(dt.name) quantizes whole rows in blocks of \(multiple), as llama.cpp does; this tensor's rows hold \(cols) values"
        case .doubleQuantUnsupported(let dt):
            "double quantization compresses an fp32 absmax per block; \(dt.name) stores \(dt.doubleQuantReason), so it has none to compress"
        }
    }
}

extension DataType {
    /// What the datatype stores per block instead of an fp32 absmax (for error messages).
    var doubleQuantReason: String {
        switch traits.doubleQuant {
        case .compressesAbsmax: "an fp32 absmax"
        case .notApplicable(let stores): stores
        }
    }
}
