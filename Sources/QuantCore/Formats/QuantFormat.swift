import TensorCore

/// A quantization datatype, defined in one place: what its codes mean, how a block is encoded and
/// decoded, what is stored, and what it is for.
///
/// Every datatype qscope offers is a value of a type conforming to this protocol, listed once in
/// `FormatRegistry` (the role of ggml's `type_traits` table). The engine asks the format everything
/// it needs, so adding a datatype means writing one conforming type — the compiler names every
/// requirement — and adding one line to the registry. No code outside a format switches over
/// datatypes.
public protocol QuantFormat: Sendable {
    /// The prepared per-tensor kernel that encodes and decodes blocks.
    associatedtype Codec: BlockCodec

    /// The facts: name, family, bits, block rules, summary.
    var traits: FormatTraits { get }

    /// The level of every code in the normalised domain, and the decision boundaries between them.
    /// `fitted` is the table a data-dependent format (`traits.fitsTable`) fitted to the tensor.
    func codebook(fitted: [Float]?) -> Codebook

    /// The block kernel for one tensor: tables and searches prepared once, shared by every worker.
    /// `tensorAbsmax` is the tensor's largest finite |x| (NVFP4 derives its FP32 tensor scale from it).
    func codec(codebook: Codebook, tensorAbsmax: Float) -> Codec

    /// Every bit the format stores for `count` values in `blocks` blocks: codes, per-block scales,
    /// zero points, per-tensor scales, stored tables; `doubleQuantBits` replaces the fp32 absmax per
    /// block when double quantization is on.
    func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int

    /// A paragraph for the explanation panel and `qscope explain`: what the datatype does and why,
    /// quoting the figures of the analysis on screen.
    func explanation(_ facts: ExplanationFacts) -> String
}

/// One block's encoder and decoder, prepared for a tensor.
///
/// Blocks are independent, so a codec is immutable and called from every worker at once. Values
/// are read and written with a stride (1 for contiguous blocks, the row length for column blocks).
public protocol BlockCodec: Sendable {
    /// Encodes `count` values at `x` (every `stride`-th) into code indices and the values those codes
    /// decode to, at the same positions of `codes` and `decoded`.
    func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic: BlockStatistic,
                codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide

    /// Decodes stored codes back to values, as a reader of the stored form would.
    func decode(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, side: BlockSide, statistic: BlockStatistic,
                into out: UnsafeMutablePointer<Float>)

    /// The code-usage slot of an element: its code, or for a cast (no codes) its 16-bit pattern.
    func usageSlot(code: UInt8, decoded: Float) -> Int
}

extension BlockCodec {
    @inline(__always)
    public func usageSlot(code: UInt8, decoded: Float) -> Int { Int(code) }
}

/// A block's statistic over its finite values: what every scale rule starts from.
public struct BlockStatistic: Sendable, Equatable {
    public var minimum: Float
    public var maximum: Float
    /// max |x| = max(−minimum, maximum).
    public var absmax: Float
    /// The absmax the decoder uses: `absmax`, or its double-quantized value.
    public var decodeAbsmax: Float

    public init(minimum: Float, maximum: Float, absmax: Float, decodeAbsmax: Float) {
        self.minimum = minimum
        self.maximum = maximum
        self.absmax = absmax
        self.decodeAbsmax = decodeAbsmax
    }

    public init(minimum: Float, maximum: Float) {
        let a = Swift.max(-minimum, maximum)
        self.init(minimum: minimum, maximum: maximum, absmax: a, decodeAbsmax: a)
    }
}

/// What encoding a block leaves besides its codes.
public struct BlockSide: Sendable, Equatable {
    /// The divisor into the normalised domain, where the code levels are fixed.
    public var scale: Float
    /// The zero point added after dividing (asymmetric formats); 0 otherwise.
    public var zero: Float
    /// The one byte some formats store per block: MX's E8M0 exponent, NVFP4's E4M3 scale.
    public var byte: UInt8

    public init(scale: Float, zero: Float = 0, byte: UInt8 = 0) {
        self.scale = scale
        self.zero = zero
        self.byte = byte
    }
}

/// The families, for grouping datatypes in pickers, sweeps and docs.
public enum FormatFamily: String, Sendable, CaseIterable {
    case integer = "symmetric integers"
    case asymmetricInteger = "asymmetric integers"
    case bitsandbytes = "bitsandbytes tables"
    case quantile = "quantile codes"
    case elementFloat = "scaled float elements"
    case microscaling = "OCP microscaling"
    case nvfp4 = "NVFP4"
    case ggml = "llama.cpp GGUF blocks"
    case cast = "16-bit casts"
}

/// What a format stores per block besides its codes, for the `quantize` output layout.
public enum StoredLayout: Sendable, Equatable {
    /// bitsandbytes' 4-bit `Params4bit` (packed nibbles, absmax, quant map, quant state JSON).
    case bitsandbytes4Bit
    /// bitsandbytes' blockwise 8-bit (codes, absmax, quant map).
    case bitsandbytesDynamic
    /// An fp32 absmax (or its double-quantized codes) per block, and the codes.
    case absmaxScaled
    /// A scale and a zero point per block.
    case scaleAndZero
    /// An E8M0 exponent byte per block.
    case sharedExponent
    /// An E4M3 scale byte per block and an FP32 scale per tensor.
    case blockAndTensorScale
    /// llama.cpp's block bytes.
    case ggmlBlocks
    /// The 16-bit values themselves.
    case halfValues
}

/// Whether double quantization applies, and if not what the format stores instead (for messages).
public enum DoubleQuantRule: Sendable, Equatable {
    /// The per-block statistic is an fp32 absmax that QLoRA's double quantization compresses.
    case compressesAbsmax
    /// It does not apply: the format stores this instead of an fp32 absmax.
    case notApplicable(stores: String)
}

/// The type_traits row of a datatype: the facts the engine, the UI and the docs read.
public struct FormatTraits: Sendable {
    /// The `--dtype` spelling.
    public var name: String
    public var family: FormatFamily
    /// Bits stored per element (the code, without scales).
    public var bitsPerCode: Int
    /// The block size the format fixes (MX 32, NVFP4 16, GGUF 32 or 256), or nil when the user chooses.
    public var fixedBlock: Int?
    /// Whether blocks must not cross rows (llama.cpp quantizes rows of whole blocks).
    public var wholeBlocksPerRow: Bool
    /// Whether elements have code indices (the casts keep 16-bit values instead).
    public var hasCodes: Bool
    /// Whether a block stores a zero point besides its scale (asymmetric integers, Q4_1, Q4_K).
    public var hasZeroPoint: Bool
    /// Whether the stored form is code indices plus per-block side data that `BlockCodec.decode`
    /// reads back (not llama.cpp's block bytes, which `GGMLType` decodes, nor a cast's values).
    public var decodesFromCodes: Bool
    public var doubleQuant: DoubleQuantRule
    /// Whether the codebook is fitted to the tensor (quantile codes); the number of codes it fits.
    public var fitsTable: Int?
    /// Whether the codec needs the tensor's largest |x| before the first block (NVFP4's FP32 scale).
    public var needsTensorAbsmax: Bool
    /// The quantize output layout.
    public var layout: StoredLayout
    /// The ggml type that stores this datatype in a GGUF file, when there is one.
    public var ggmlType: GGMLType?
    /// One sentence for the UI and `--help`.
    public var summary: String
    /// What "normalised" means for this datatype, for axis labels.
    public var domainLabel: String

    public init(name: String, family: FormatFamily, bitsPerCode: Int, fixedBlock: Int? = nil, wholeBlocksPerRow: Bool = false,
                hasCodes: Bool = true, hasZeroPoint: Bool = false, doubleQuant: DoubleQuantRule, fitsTable: Int? = nil, needsTensorAbsmax: Bool = false,
                layout: StoredLayout, ggmlType: GGMLType? = nil, summary: String, domainLabel: String) {
        self.name = name
        self.family = family
        self.bitsPerCode = bitsPerCode
        self.fixedBlock = fixedBlock
        self.wholeBlocksPerRow = wholeBlocksPerRow
        self.hasCodes = hasCodes
        self.hasZeroPoint = hasZeroPoint
        self.decodesFromCodes = hasCodes && layout != .ggmlBlocks
        self.doubleQuant = doubleQuant
        self.fitsTable = fitsTable
        self.needsTensorAbsmax = needsTensorAbsmax
        self.layout = layout
        self.ggmlType = ggmlType
        self.summary = summary
        self.domainLabel = domainLabel
    }

    /// Whether double quantization can be turned on.
    public var supportsDoubleQuant: Bool { doubleQuant == .compressesAbsmax }
}

/// The figures an explanation may quote.
public struct ExplanationFacts: Sendable {
    /// Sorted distinct finite levels of the codebook.
    public var levels: [Float]
    public var codeEntropyBits: Double
    public var maxAbsErr: Double

    public init(levels: [Float], codeEntropyBits: Double, maxAbsErr: Double) {
        self.levels = levels
        self.codeEntropyBits = codeEntropyBits
        self.maxAbsErr = maxAbsErr
    }
}

extension QuantFormat {
    /// The fp32 absmax per block, or the double-quantized form of it.
    static func absmaxBits(blocks: Int, doubleQuantBits: Int?) -> Int { doubleQuantBits ?? blocks * 32 }
}
