import TensorCore

/// Quantile codes (quantile8, quantile4): the levels sit at the tensor's own quantiles of
/// x ÷ block absmax, `(i + ½) / K` for code i, so every code is used about equally often. The table
/// is fitted to each tensor and stored with it.
public struct QuantileCode: QuantFormat {
    public let bits: Int

    public init(bits: Int) { self.bits = bits }

    public var traits: FormatTraits {
        FormatTraits(
            name: "quantile\(bits)", family: .quantile, bitsPerCode: bits, doubleQuant: .compressesAbsmax,
            fitsTable: 1 << bits, layout: .absmaxScaled,
            summary: "codes at the tensor's own quantiles of x / block absmax, (i + 1/2) / \(1 << bits) for each code i, so every code is used about equally often; the table is stored with the tensor",
            domainLabel: "x ÷ absmax")
    }

    public func codebook(fitted: [Float]?) -> Codebook {
        Codebook(levels: fitted ?? [Float](repeating: 0, count: 1 << bits), domainLabel: traits.domainLabel)
    }

    public func codec(codebook: Codebook, tensorAbsmax: Float) -> CodeTableFormat.Codec {
        let nearest = NearestLevel(levels: codebook.levels, tie: .lower)
        return CodeTableFormat.Codec(levels: codebook.levels, sorted: codebook.levels, nearest: nearest,
                                     wide: TableKernels.wideMidpoints(nearest), codeOfSorted: nil)
    }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int {
        count * bits + Self.absmaxBits(blocks: blocks, doubleQuantBits: doubleQuantBits) + (1 << bits) * 32
    }

    public func explanation(_ facts: ExplanationFacts) -> String {
        "Quantile quantization puts the \(facts.levels.count) levels at the tensor's own quantiles of x ÷ block absmax, so "
            + "every code is used equally often — the most information per code (entropy \(NumberFormat.compact(facts.codeEntropyBits)) "
            + "of \(bits) bits here) — at the cost of storing the table and of large errors in the tails, where "
            + "quantiles are far apart."
    }
}

/// OCP element floats scaled per block (fp8-e4m3 … fp4-e2m1): the block absmax maps to the format's
/// largest finite value; elements round to nearest even and saturate.
public struct ScaledElement: QuantFormat {
    public let element: ElementFormat
    let label: String
    let maxValue: Float

    public init(_ element: ElementFormat, name: String) {
        self.element = element
        self.label = name
        self.maxValue = element.maxValue
    }

    public var traits: FormatTraits {
        let m = formatShort(maxValue)
        let what: String = switch element.bits {
        case 8: "OCP FP8 \(element.name.uppercased()) elements (max \(m)\(element == .e4m3 ? ", no infinity" : ""))"
        case 6: "OCP FP6 \(element.name.uppercased()) elements (max \(m))"
        default: "OCP FP4 \(element.name.uppercased()) elements (\(element.magnitudes.map { formatShort($0) }.joined(separator: ", ")))"
        }
        return FormatTraits(
            name: label, family: .elementFloat, bitsPerCode: element.bits, doubleQuant: .compressesAbsmax, layout: .absmaxScaled,
            summary: "\(what), block absmax scaled to \(m), round to nearest even",
            domainLabel: "x ÷ (absmax / \(m))")
    }

    public func codebook(fitted: [Float]?) -> Codebook {
        Codebook(levels: element.codeValues, domainLabel: traits.domainLabel)
    }

    public func codec(codebook: Codebook, tensorAbsmax: Float) -> ElementCodec {
        ElementCodec(levels: codebook.levels, nearest: TableKernels.magnitudeSearch(element), maxValue: maxValue)
    }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int {
        count * element.bits + Self.absmaxBits(blocks: blocks, doubleQuantBits: doubleQuantBits)
    }

    public func explanation(_ facts: ExplanationFacts) -> String {
        "Scaled float elements: \(traits.summary). More exponent bits reach further (a larger dynamic range), more "
            + "mantissa bits resolve finer steps between powers of two; the block absmax maps to the format's largest value."
    }

    /// Divides by `absmax / maxValue` and rounds each element to the format.
    public struct ElementCodec: BlockCodec {
        let levels: [Float]
        let nearest: NearestLevel
        let maxValue: Float

        public func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic st: BlockStatistic,
                           codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide {
            let s = st.absmax / maxValue
            TableKernels.encodeElements(x, count: count, stride: stride, divisor: s, decodeScale: st.decodeAbsmax / maxValue,
                                        maxValue: maxValue, nearest: nearest, table: levels, codes: codes, deq: decoded)
            return BlockSide(scale: s > 0 ? s : 1)
        }

        public func decode(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, side: BlockSide, statistic st: BlockStatistic,
                           into out: UnsafeMutablePointer<Float>) {
            TableKernels.decodeTable(codes, count: count, stride: stride, table: levels, scale: st.decodeAbsmax / maxValue, into: out)
        }
    }
}
