import TensorCore

/// A fixed table of levels in [-1, 1] (or [0, 1]) scaled by the block absmax: bitsandbytes' NF4, FP4
/// and dynamic 8-bit maps, and AF4. Each value of the block is divided by the block absmax and takes
/// the code of its nearest level, with the reference's rule for exact ties; FP4 follows bitsandbytes'
/// CUDA decision tree instead, whose thresholds are not all midpoints.
public struct CodeTableFormat: QuantFormat {
    /// How a normalised value finds its code.
    public enum Encoding: Sendable {
        /// The nearest level (the search's tie rule breaks exact midpoints), built on first use.
        case nearest(LazySearch)
        /// bitsandbytes' FP4 decision tree (`CodeTables.encodeFP4`).
        case fp4Thresholds
    }

    public let traits: FormatTraits
    /// The level of each code, indexed by code (the order the format stores).
    public let levels: [Float]
    public let encoding: Encoding
    /// Decision boundaries when they are not the midpoints (FP4's thresholds).
    let boundaries: [Float]?
    let explain: @Sendable (ExplanationFacts) -> String
    /// Sorted index → code, for a table not stored in ascending order (nil: the identity).
    private(set) var codeOfSorted: [UInt8]? = nil

    public init(traits: FormatTraits, levels: [Float], encoding: Encoding, boundaries: [Float]? = nil,
                explain: @escaping @Sendable (ExplanationFacts) -> String) {
        self.traits = traits
        self.levels = levels
        self.encoding = encoding
        self.boundaries = boundaries
        self.explain = explain
    }

    public func codebook(fitted: [Float]?) -> Codebook {
        Codebook(levels: levels, boundaries: boundaries, domainLabel: traits.domainLabel)
    }

    public func codec(codebook: Codebook, tensorAbsmax: Float) -> Codec {
        switch encoding {
        case .nearest(let lazy):
            let n = lazy.search
            return Codec(levels: levels, sorted: codeOfSorted == nil ? levels : n.levels, nearest: n,
                         wide: TableKernels.wideMidpoints(n), codeOfSorted: codeOfSorted)
        case .fp4Thresholds:
            return Codec(levels: levels, sorted: levels, nearest: nil, wide: [], codeOfSorted: nil)
        }
    }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int {
        count * traits.bitsPerCode + Self.absmaxBits(blocks: blocks, doubleQuantBits: doubleQuantBits)
    }

    public func explanation(_ facts: ExplanationFacts) -> String { explain(facts) }

    /// A table in any code order, searched for the nearest level with `tie`: the search runs over the
    /// sorted levels, and `codeOfSorted` maps a sorted index back to the format's own code.
    public init(traits: FormatTraits, levels: [Float], tie: NearestLevel.TieRule,
                explain: @escaping @Sendable (ExplanationFacts) -> String) {
        let order = levels.indices.sorted { levels[$0] < levels[$1] }
        let sorted = order.map { levels[$0] }
        self.init(traits: traits, levels: levels, encoding: .nearest(LazySearch { NearestLevel(levels: sorted, tie: tie) }),
                  explain: explain)
        codeOfSorted = order == Array(levels.indices) ? nil : order.map { UInt8($0) }
    }

    public struct Codec: BlockCodec {
        /// The level of each code.
        let levels: [Float]
        /// The levels in the order the search counts them (`levels` unless the table is unsorted).
        let sorted: [Float]
        let nearest: NearestLevel?
        let wide: [SIMD4<Float>]
        /// Sorted index → code, for a table not stored in ascending order (nil: the identity).
        let codeOfSorted: [UInt8]?

        public func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic s: BlockStatistic,
                           codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide {
            let inv: Float = 1 / s.absmax
            if let nearest {
                TableKernels.encodeNearest(x, count: count, stride: stride, inv: inv, decodeScale: s.decodeAbsmax,
                                           nearest: nearest, wideMidpoints: wide, table: sorted, codes: codes, deq: decoded)
                if let map = codeOfSorted {
                    var i = 0
                    for _ in 0..<count { codes[i] = map[Int(codes[i])]; i += stride }
                }
            } else if stride == 1 {
                levels.withUnsafeBufferPointer { table in
                    TableKernels.encodeFP4(x: x, count: count, inv: inv, table: table, decodeScale: s.decodeAbsmax,
                                           codes: codes, deq: decoded)
                }
            } else {
                var i = 0
                for _ in 0..<count {
                    let c = CodeTables.encodeFP4(x[i] * inv)
                    codes[i] = c
                    decoded[i] = levels[Int(c)] * s.decodeAbsmax
                    i += stride
                }
            }
            return BlockSide(scale: s.absmax)
        }

        public func decode(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, side: BlockSide, statistic s: BlockStatistic,
                           into out: UnsafeMutablePointer<Float>) {
            TableKernels.decodeTable(codes, count: count, stride: stride, table: levels, scale: s.decodeAbsmax, into: out)
        }
    }
}

extension CodeTableFormat {
    /// bitsandbytes' NormalFloat 4-bit.
    static let nf4 = CodeTableFormat(
        traits: FormatTraits(
            name: "nf4", family: .bitsandbytes, bitsPerCode: 4, doubleQuant: .compressesAbsmax, layout: .bitsandbytes4Bit,
            summary: "bitsandbytes' NormalFloat 4-bit: 16 levels at normal quantiles with an exact zero (7 negative, 8 positive), scaled by block absmax",
            domainLabel: "x ÷ absmax"),
        levels: CodeTables.nf4, encoding: .nearest(LazySearch { TableKernels.nf4Nearest })) { f in
            let levels = f.levels
            let negatives = levels.filter { $0 < 0 }.count, positives = levels.filter { $0 > 0 }.count
            return "NormalFloat 4-bit places its 16 levels at quantiles of a standard normal distribution, rescaled so the "
                + "extremes are ±1: \(ExplanationFacts.list(levels)). Weights of trained layers are roughly normal, so each level covers about "
                + "the same share of them — more levels near 0, where most weights are, fewer in the tails. It is asymmetric "
                + "(\(negatives) negative, \(levels.contains(0) ? "an exact 0, " : "")\(positives) positive) because an exact zero needs one "
                + "code of the 16: zeros and padding survive quantization unchanged. Each block is divided by its absmax, so "
                + "the largest |x| of every block lands exactly on ±1. A value takes its nearest level (round to nearest; "
                + "a value exactly between two levels takes the lower one, as bitsandbytes does)."
        }

    /// bitsandbytes' FP4 (E2M1 with its own exponent order and a subnormal 1/192).
    static let fp4 = CodeTableFormat(
        traits: FormatTraits(
            name: "fp4", family: .bitsandbytes, bitsPerCode: 4, doubleQuant: .compressesAbsmax, layout: .bitsandbytes4Bit,
            summary: "bitsandbytes' FP4 (sign, 2-bit exponent, 1-bit mantissa; levels 0, 1/192, 1/6, 1/4, 1/3, 1/2, 2/3, 1), scaled by block absmax, encoded with the CUDA thresholds",
            domainLabel: "x ÷ absmax"),
        levels: CodeTables.fp4, encoding: .fp4Thresholds,
        boundaries: CodeTables.fp4Thresholds.reversed().map { -$0 } + CodeTables.fp4Thresholds) { f in
            "bitsandbytes' FP4 is a tiny float: a sign, 2 exponent bits and 1 mantissa bit, giving the magnitudes "
                + "\(ExplanationFacts.list(f.levels.filter { $0 >= 0 })) after division by the block absmax. Its smallest "
                + "non-zero level is 1/192 (a subnormal: bitsandbytes' exponent bias puts it there), not 1/12 as in OCP's "
                + "E2M1 scaled to 1. Float levels are dense near 0 and sparse near 1, like NF4, but spaced by powers of two "
                + "rather than by the normal distribution. Codes follow bitsandbytes' CUDA decision thresholds, which are "
                + "not all midpoints between levels."
        }

    /// bitsandbytes' signed dynamic-exponent 8-bit map.
    static let dynamic8 = CodeTableFormat(
        traits: FormatTraits(
            name: "dynamic8", family: .bitsandbytes, bitsPerCode: 8, doubleQuant: .compressesAbsmax, layout: .bitsandbytesDynamic,
            summary: "bitsandbytes' signed dynamic-exponent 8-bit map: a run of zero bits sets the exponent, so codes reach from 5.5e-7 to 1 with more fraction bits for large magnitudes; scaled by block absmax",
            domainLabel: "x ÷ absmax"),
        levels: CodeTables.dynamicSigned, encoding: .nearest(LazySearch { TableKernels.dynamicSignedNearest })) { f in
            "The dynamic-exponent map spends its 8 bits differently for every magnitude: after the sign bit, the "
                + "number of leading zero bits is the exponent (a power of ten) and the bits after the first 1 are a linear "
                + "fraction. Large magnitudes get more fraction bits, tiny ones more exponent: \(f.decades) — which is why it "
                + "suits optimizer states that span many orders of magnitude."
        }

    /// bitsandbytes' unsigned dynamic-exponent 8-bit map (Adam's second moment).
    static let dynamic8Unsigned = CodeTableFormat(
        traits: FormatTraits(
            name: "dynamic8-unsigned", family: .bitsandbytes, bitsPerCode: 8, doubleQuant: .compressesAbsmax, layout: .absmaxScaled,
            summary: "bitsandbytes' unsigned dynamic-exponent 8-bit map (Adam's second moment): 256 codes from 0 to 1, scaled by block absmax; negative values clamp to 0",
            domainLabel: "x ÷ absmax"),
        levels: CodeTables.dynamicUnsigned, encoding: .nearest(LazySearch { TableKernels.dynamicUnsignedNearest })) { f in
            "The unsigned dynamic map has no sign bit: all 8 bits describe a magnitude, the number of leading zero bits "
                + "being the exponent (a power of ten) and the bits after the first 1 a linear fraction: \(f.decades). It is "
                + "made for values that are never negative, like Adam's second moment; on a signed tensor every negative "
                + "value clamps to 0, which is why a weight scores about 3 dB with it."
        }
}

extension ExplanationFacts {
    /// Levels as a short comma-separated list.
    static func list(_ v: [Float], digits: Int = 3) -> String {
        v.map { $0 == 0 ? "0" : NumberFormat.format(Double($0), .significant(digits)) }.joined(separator: ", ")
    }

    /// How a dynamic map's codes spread over decades of magnitude.
    var decades: String {
        let mags = levels.map { abs($0) }.filter { $0 > 0 }
        let smallest = mags.min() ?? 0
        var parts: [String] = []
        var hi: Float = 1
        while hi > smallest * 0.999 && parts.count < 8 {
            let lo = hi / 10
            parts.append("\(levels.filter { abs($0) > lo && abs($0) <= hi }.count) in (\(NumberFormat.compact(Double(lo))), \(NumberFormat.compact(Double(hi)))]")
            hi = lo
        }
        return "its \(levels.count) codes reach from \(NumberFormat.compact(Double(smallest))) to 1 — " + parts.joined(separator: ", ")
    }
}
