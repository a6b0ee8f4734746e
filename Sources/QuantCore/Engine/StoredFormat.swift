import TensorCore

/// What a file's own quantization of a tensor is, for the figures of the stored view: the ggml type,
/// how its codes are kept, which elements share a scale, and what the error is measured against.
///
/// An `Analysis` that carries one (`Analysis.stored`) describes the bytes in the file, not a
/// re-quantization by qscope: its codes were read from the stored blocks and its values are their
/// decoding; its `config` is the qscope datatype the workbench re-quantizes to first (`counterpart`).
public struct StoredFormat: Sendable, Equatable, Hashable {
    public var type: GGMLType
    /// Elements that share one scale (and minimum): the block for the one-scale types (Q4_0, Q8_0,
    /// IQ4_NL, MXFP4, TQ*), the sub-block for the K-quants (16 or 32), IQ4_XS (32), NVFP4 (16) and the
    /// lattice types (16 or 32).
    public var scaleGroup: Int
    /// Distinct codes: the code book's size for a scalar type, the grid's points for a lattice type.
    public var codeCount: Int
    /// For a lattice type (IQ1_*, IQ2_*, IQ3_*): elements per grid point (8, or 4 for IQ3); nil for scalar codes.
    public var latticeGroup: Int?
    /// What the error metrics compare the stored values with (`--original`), or nil: then there are
    /// no error figures, only the codes, levels and values of the file.
    public var original: String?

    public init?(_ type: GGMLType, original: String? = nil) {
        guard type.isQuantized, let group = StoredFormat.scaleGroup(type) else { return nil }
        self.type = type
        scaleGroup = group
        switch type.codeKind {
        case .none: return nil
        case .scalar(let book): codeCount = book.count; latticeGroup = nil
        case .lattice(let grid): codeCount = grid.points; latticeGroup = grid.groupSize
        }
        self.original = original
    }

    /// `Q4_K`.
    public var name: String { type.name }

    /// `stored Q4_K`, as the workbench's header and `report --stored` name it.
    public var label: String { "stored \(type.name)" }

    /// Elements per ggml block.
    public var blockElements: Int { type.blockLayout.elements }

    /// Whether the type stores a minimum beside its scale (Q4_1, Q5_1, Q2_K, Q4_K, Q5_K).
    public var hasMinimum: Bool {
        switch type {
        case .q4_1, .q5_1, .q2_K, .q4_K, .q5_K: true
        default: false
        }
    }

    /// What the normalised domain is: each element as the level its group's line puts it at.
    public var domainLabel: String {
        let base = hasMinimum ? "(x − m) ÷ d" : "x ÷ d"
        let unit = latticeGroup != nil ? "grid values" : "levels"
        return scaleGroup < blockElements ? "\(base) per \(scaleGroup)-value sub-block (\(unit))" : "\(base) (\(unit))"
    }

    /// The elements that share one scale, from ggml's block layouts (`dequantize_row_*`).
    static func scaleGroup(_ t: GGMLType) -> Int? {
        switch t {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_NL, .mxfp4, .q1_0, .q2_0, .q8_K, .tq1_0, .tq2_0:
            t.blockLayout.elements
        case .q2_K, .q3_K, .q6_K, .nvfp4, .iq2_XS, .iq2_S, .iq1_M: 16
        case .q4_K, .q5_K, .iq4_XS, .iq2_XXS, .iq3_XXS, .iq3_S, .iq1_S: 32
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: nil
        }
    }

    /// The qscope datatype nearest the stored type: itself where qscope quantizes to it (q4_k …), else
    /// the one of the same family and bits (IQ2_* → q2_k, IQ4_XS → iq4_nl); the first re-quantization
    /// the workbench offers.
    public var counterpart: DataType {
        switch type {
        case .q4_0: .q4_0
        case .q4_1: .q4_1
        case .q5_0: .q5_0
        case .q5_1: .q5_1
        case .q8_0, .q8_1, .q8_K: .q8_0
        case .q2_K, .q1_0, .q2_0, .iq2_XXS, .iq2_XS, .iq2_S, .iq1_S, .iq1_M, .tq1_0, .tq2_0: .q2K
        case .q3_K, .iq3_XXS, .iq3_S: .q3K
        case .q4_K: .q4K
        case .q5_K: .q5K
        case .q6_K: .q6K
        case .iq4_NL, .iq4_XS: .iq4NL
        case .mxfp4: .mxfp4
        case .nvfp4: .nvfp4
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: .nf4
        }
    }

    /// The level of every element of `blocks` whole blocks of `raw` (the value before its group's
    /// scale and minimum apply), and the code usage: per element for a scalar type (`usage` of
    /// `codeCount` slots), per grid group for a lattice type.
    func levels(_ raw: UnsafeRawBufferPointer, blocks: Int, codes: UnsafeMutablePointer<UInt8>,
                lattice: UnsafeMutablePointer<GGMLLatticeCode>, into levels: UnsafeMutablePointer<Float>, usage: inout [Int]) {
        let n = blocks * blockElements
        switch type.codeKind {
        case .none: break
        case .scalar(let book):
            type.codes(raw, blocks: blocks, into: codes)
            book.levels.withUnsafeBufferPointer { lv in
                usage.withUnsafeMutableBufferPointer { u in
                    for i in 0..<n {
                        let c = Int(codes[i])
                        levels[i] = lv[c]
                        u[c] &+= 1
                    }
                }
            }
        case .lattice(let grid):
            type.latticeCodes(raw, blocks: blocks, into: lattice)
            let g = grid.groupSize
            grid.values.withUnsafeBufferPointer { v in
                usage.withUnsafeMutableBufferPointer { u in
                    for k in 0..<(n / g) {
                        let code = lattice[k]
                        let point = Int(code.point)
                        u[point] &+= 1
                        for j in 0..<g {
                            var level = v[point * g + j]
                            if grid.hasSigns {
                                if code.signs & (1 << j) != 0 { level = -level }
                            } else {
                                level += Float(code.shift) * 0.125
                            }
                            levels[k * g + j] = level
                        }
                    }
                }
            }
        }
    }

    /// The sorted distinct levels an element can take: the code book, or every grid value with its
    /// signs (IQ2, IQ3) or shifts (IQ1).
    public var levelSet: [Float] {
        switch type.codeKind {
        case .none: return []
        case .scalar(let book): return book.levels
        case .lattice(let grid):
            var s = Set<Float>()
            for v in grid.values {
                if grid.hasSigns { s.insert(v); s.insert(-v) } else { s.insert(v + 0.125); s.insert(v - 0.125) }
            }
            return s.sorted()
        }
    }
}
