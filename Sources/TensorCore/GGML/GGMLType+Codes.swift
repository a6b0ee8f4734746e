/// The codes stored in ggml blocks, for the workbench: which quantization level each element uses.
///
/// Two kinds of type store codes:
/// - **Scalar** types store one code per element: an index `0..<codeBook.count` whose meaning, before
///   the block's scales apply, is `codeBook.levels[code]`. `codes(_:blocks:into:)` extracts them.
/// - **Lattice** types (IQ2_*, IQ3_*, IQ1_*) store one grid point per group of 8 (IQ3: 4) elements, plus
///   per-element signs (IQ2, IQ3) or a per-group shift (IQ1). A single element has no code of its own;
///   `latticeCodes(_:blocks:into:)` extracts the group codes and `lattice` holds the grid.
/// Plain float and integer types store no codes.
extension GGMLType {
    /// How a type stores its codes.
    public enum CodeKind: Sendable, Equatable {
        /// Floats or integers stored as themselves.
        case none
        /// One code per element.
        case scalar(GGMLCodeBook)
        /// One grid point per group of elements.
        case lattice(GGMLLattice)
    }

    /// How this type stores its codes.
    public var codeKind: CodeKind {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: .none
        case .q4_0: .scalar(.linear(count: 16, offset: 8))
        case .q4_1, .q4_K: .scalar(.linear(count: 16, offset: 0))
        case .q5_0: .scalar(.linear(count: 32, offset: 16))
        case .q5_1, .q5_K: .scalar(.linear(count: 32, offset: 0))
        case .q8_0, .q8_1, .q8_K: .scalar(.linear(count: 256, offset: 128))
        case .q1_0: .scalar(GGMLCodeBook(levels: [-1, 1]))
        case .q2_0, .tq2_0: .scalar(.linear(count: 4, offset: 1))
        case .q2_K: .scalar(.linear(count: 4, offset: 0))
        case .q3_K: .scalar(.linear(count: 8, offset: 4))
        case .q6_K: .scalar(.linear(count: 64, offset: 32))
        case .tq1_0: .scalar(.linear(count: 3, offset: 1))
        case .iq4_NL, .iq4_XS: .scalar(GGMLCodeBook(levels: GGMLTables.iq4nlValues.map { Float($0) }))
        case .mxfp4, .nvfp4: .scalar(GGMLCodeBook(levels: GGMLTables.mxfp4Values.map { Float($0) / 2 }.enumerated().map { $0.offset == 8 ? -0.0 : $0.element }))
        case .iq2_XXS: .lattice(GGMLLattice(type: self, groupSize: 8, values: IQuantBlocks.iq2xxs, hasSigns: true))
        case .iq2_XS: .lattice(GGMLLattice(type: self, groupSize: 8, values: IQuantBlocks.iq2xs, hasSigns: true))
        case .iq2_S: .lattice(GGMLLattice(type: self, groupSize: 8, values: IQuantBlocks.iq2s, hasSigns: true))
        case .iq3_XXS: .lattice(GGMLLattice(type: self, groupSize: 4, values: IQuantBlocks.iq3xxs, hasSigns: true))
        case .iq3_S: .lattice(GGMLLattice(type: self, groupSize: 4, values: IQuantBlocks.iq3s, hasSigns: true))
        case .iq1_S, .iq1_M: .lattice(GGMLLattice(type: self, groupSize: 8, values: IQuantBlocks.iq1s, hasSigns: false))
        }
    }

    /// The code book of a scalar type; nil for lattice and plain types.
    public var codeBook: GGMLCodeBook? {
        if case .scalar(let book) = codeKind { return book }
        return nil
    }

    /// The grid of a lattice type; nil for the others.
    public var lattice: GGMLLattice? {
        if case .lattice(let grid) = codeKind { return grid }
        return nil
    }

    /// The level table of a type whose levels are not evenly spaced integers: IQ4_NL and IQ4_XS's 16
    /// values (−127…113, times the block scale), MXFP4 and NVFP4's E2M1 values (0, 0.5, …, 6 and
    /// negatives, times the block scale). Nil for the linear types, whose levels are `code − offset`.
    public var levels: [Float]? {
        switch self {
        case .iq4_NL, .iq4_XS, .mxfp4, .nvfp4: codeBook?.levels
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .q1_0, .q2_0,
             .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .tq1_0, .tq2_0,
             .iq2_XXS, .iq2_XS, .iq2_S, .iq3_XXS, .iq3_S, .iq1_S, .iq1_M: nil
        }
    }

    /// Writes the code of every element of `blocks` whole blocks (`blocks · blockLayout.elements` bytes,
    /// in element order) for a scalar type (`codeBook != nil`): the stored quant value as an index into
    /// `codeBook.levels` — the nibble of Q4_0/Q4_1/Q4_K/IQ4_NL/IQ4_XS/MXFP4/NVFP4, the five bits of
    /// Q5_*, the six bits of Q6_K, the three bits of Q3_K (low two plus the hmask bit), the trit of TQ1_0,
    /// and for the int8 types the value q as q + 128 so that codes sort like values.
    public func codes(_ raw: UnsafeRawBufferPointer, blocks: Int, into out: UnsafeMutablePointer<UInt8>) {
        precondition(blocks >= 0 && raw.count >= blocks * blockLayout.bytes, "\(name): \(raw.count) bytes cannot hold \(blocks) blocks")
        guard blocks > 0, let src = raw.baseAddress else { return }
        switch self {
        case .q4_0, .iq4_NL: LegacyBlocks.nibbleCodes(src, blocks, out, bytes: 18, qsOffset: 2)
        case .q4_1: LegacyBlocks.nibbleCodes(src, blocks, out, bytes: 20, qsOffset: 4)
        case .mxfp4: LegacyBlocks.nibbleCodes(src, blocks, out, bytes: 17, qsOffset: 1)
        case .q5_0: LegacyBlocks.fiveBitCodes(src, blocks, out, bytes: 22, qhOffset: 2)
        case .q5_1: LegacyBlocks.fiveBitCodes(src, blocks, out, bytes: 24, qhOffset: 4)
        case .q8_0: LegacyBlocks.int8Codes(src, blocks, out, bytes: 34, qsOffset: 2, count: 32)
        case .q8_1: LegacyBlocks.int8Codes(src, blocks, out, bytes: 36, qsOffset: 4, count: 32)
        case .q8_K: LegacyBlocks.int8Codes(src, blocks, out, bytes: 292, qsOffset: 4, count: 256)
        case .q1_0: LegacyBlocks.codesQ1_0(src, blocks, out)
        case .q2_0: LegacyBlocks.codesQ2_0(src, blocks, out)
        case .q2_K: KQuantBlocks.codesQ2_K(src, blocks, out)
        case .q3_K: KQuantBlocks.codesQ3_K(src, blocks, out)
        case .q4_K: KQuantBlocks.codesQ4_5K(src, blocks, out, fifthBit: false)
        case .q5_K: KQuantBlocks.codesQ4_5K(src, blocks, out, fifthBit: true)
        case .q6_K: KQuantBlocks.codesQ6_K(src, blocks, out)
        case .iq4_XS: IQuantBlocks.codesIQ4_XS(src, blocks, out)
        case .tq1_0: TernaryBlocks.codesTQ1_0(src, blocks, out)
        case .tq2_0: TernaryBlocks.codesTQ2_0(src, blocks, out)
        case .nvfp4: MicroscalingBlocks.codesNVFP4(src, blocks, out)
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64, .iq2_XXS, .iq2_XS, .iq2_S, .iq3_XXS, .iq3_S, .iq1_S, .iq1_M:
            preconditionFailure("\(name) has no per-element codes (codeKind \(codeKind))")
        }
    }

    /// Writes the code of every group of `blocks` whole blocks of a lattice type (`lattice != nil`):
    /// `blocks · lattice.groupsPerBlock` codes, in element order.
    public func latticeCodes(_ raw: UnsafeRawBufferPointer, blocks: Int, into out: UnsafeMutablePointer<GGMLLatticeCode>) {
        precondition(lattice != nil, "\(name) is not a lattice type")
        precondition(blocks >= 0 && raw.count >= blocks * blockLayout.bytes, "\(name): \(raw.count) bytes cannot hold \(blocks) blocks")
        guard blocks > 0, let src = raw.baseAddress else { return }
        IQuantBlocks.latticeCodes(self, src, blocks, out)
    }
}

/// The levels of a scalar-coded ggml type: what each code means before the block's scales apply.
public struct GGMLCodeBook: Sendable, Equatable {
    /// `levels[code]` in ggml's own units: Q4_0 `code − 8`, Q4_K `code`, Q3_K `code − 4`, Q6_K `code − 32`,
    /// the int8 types `code − 128`, IQ4_NL/IQ4_XS the table −127…113, MXFP4/NVFP4 the E2M1 values (code 8
    /// is −0), TQ1_0/TQ2_0/Q2_0 `code − 1`, Q1_0 ∓1. The element's value is the block formula applied to
    /// this level (e.g. Q4_K: `d·sc·level − dmin·m`; IQ4_XS: `d·(ls − 32)·level`; MXFP4: `2^(e−127)·level`).
    public let levels: [Float]

    /// Number of distinct codes.
    public var count: Int { levels.count }

    public init(levels: [Float]) { self.levels = levels }

    /// Codes `0..<count` standing for the integers `code − offset`.
    static func linear(count: Int, offset: Int) -> GGMLCodeBook {
        GGMLCodeBook(levels: (0..<count).map { Float($0 - offset) })
    }
}

/// The grid of a lattice-coded ggml type (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M).
///
/// A group's values are `scale · (values[point·groupSize + j] ⊗ signs)` for IQ2/IQ3, where the scale is
/// the sub-block's (IQ2: `d·(0.5 + s)·0.25`, IQ3_XXS: `d·(0.5 + s)·0.5`, IQ3_S: `d·(1 + 2s)`), and
/// `scale · (values[point·groupSize + j] + shift·0.125)` for IQ1 (scale `d·(2s + 1)`).
public struct GGMLLattice: Sendable, Equatable {
    /// Elements per group: 8, or 4 for IQ3_XXS and IQ3_S.
    public let groupSize: Int
    /// Groups per block of 256.
    public let groupsPerBlock: Int
    /// Grid points: 256 (IQ2_XXS, IQ3_XXS), 512 (IQ2_XS, IQ3_S), 1024 (IQ2_S), 2048 (IQ1_*).
    public let points: Int
    /// `points · groupSize` values, point by point: magnitudes 8, 25, 43 (IQ2), 4…62 (IQ3_XXS), 1…15
    /// (IQ3_S), or −1, 0, 1 (IQ1).
    public let values: [Float]
    /// Whether groups carry a sign per element (IQ2, IQ3) rather than a shift (IQ1).
    public let hasSigns: Bool

    init(type: GGMLType, groupSize: Int, values: [Float], hasSigns: Bool) {
        self.groupSize = groupSize
        self.groupsPerBlock = type.blockLayout.elements / groupSize
        self.points = values.count / groupSize
        self.values = values
        self.hasSigns = hasSigns
    }
}

/// The stored code of one lattice group.
public struct GGMLLatticeCode: Sendable, Equatable {
    /// The grid point (row of `GGMLLattice.values`).
    public var point: UInt16
    /// Bit j set: element j of the group is negated (IQ2, IQ3; 0 for IQ1).
    public var signs: UInt8
    /// IQ1: +1 or −1, the sign of the ±0.125 added to every grid value of the group; 0 for IQ2, IQ3.
    public var shift: Int8

    public init(point: UInt16, signs: UInt8, shift: Int8) {
        self.point = point
        self.signs = signs
        self.shift = shift
    }
}
