/// The IQ ("importance") block formats: lattice types decoded through their grids, and the
/// non-linear 4-bit types through their 16-level table.
///
/// Lattice types store, per group of 8 (or 4) elements, the index of a grid point; the point's
/// magnitudes times the sub-block scale, with a sign per element (IQ2, IQ3) or a shift of ±1/8 per
/// group (IQ1), give the values:
/// - IQ2_XXS (66 bytes): fp16 d, then per 32 elements two u32: four 8-bit grid indices (`iq2xxs_grid`,
///   256 points) and four 7-bit sign indices plus a 4-bit scale s; db = d·(0.5 + s)·0.25.
/// - IQ2_XS (74): fp16 d, 32 u16 (9-bit index into 512 points + 7-bit sign index), scales[8] (two 4-bit
///   scales per 32 elements, one per 16).
/// - IQ2_S (82): fp16 d, qs[32] (low 8 index bits), signs[32] (one bit per element), qh[8] (two high index
///   bits per group: 1024 points), scales[8].
/// - IQ3_XXS (98): fp16 d, qs[64] (8-bit indices into 256 points of 4), then per 32 elements a u32 of four
///   7-bit sign indices and a 4-bit scale; db = d·(0.5 + s)·0.5.
/// - IQ3_S (110): fp16 d, qs[64], qh[8] (ninth index bit: 512 points of 4), signs[32], scales[4];
///   db = d·(1 + 2s).
/// - IQ1_S (50): fp16 d, qs[32], u16 qh[8] (three high index bits per group: 2048 points of −1/0/+1, a
///   3-bit scale and the shift's sign per 32 elements); x = d·(2s + 1)·(grid + shift), shift = ±0.125.
/// - IQ1_M (56): qs[32], qh[16] (three index bits and a shift sign per group), scales[8] (3-bit scales per
///   16 elements; the fp16 d is spread over the top nibbles of its four u16).
/// Non-linear: IQ4_NL (18 per 32: fp16 d, nibbles as Q4_0, x = d·kvalues[q]) and IQ4_XS (136 per 256:
/// fp16 d, u16 scales_h, scales_l[4], qs[128]; 6-bit sub-block scales minus 32).
///
/// Source functions: ggml's `dequantize_row_iq2_xxs`, `_iq2_xs`, `_iq2_s`, `_iq3_xxs`, `_iq3_s`,
/// `_iq1_s`, `_iq1_m`, `_iq4_nl`, `_iq4_xs`. The sign table `ksigns_iq2xs` is the 7-bit index plus
/// its parity as the eighth bit, so it is computed instead of looked up.
enum IQuantBlocks {
    /// The grids as floats, made once from the byte tables.
    static let iq2xxs = floats(GGMLTables.iq2xxsGrid)
    static let iq2xs = floats(GGMLTables.iq2xsGrid)
    static let iq2s = floats(GGMLTables.iq2sGrid)
    static let iq3xxs = floats(GGMLTables.iq3xxsGrid)
    static let iq3s = floats(GGMLTables.iq3sGrid)
    static let iq1s = floats(GGMLTables.iq1sGrid)
    static let iq4nl: [Float] = GGMLTables.iq4nlValues.map { Float($0) }
    /// ggml's `IQ1S_DELTA` (also `IQ1M_DELTA`).
    static let iq1Delta: Float = 0.125

    static func floats(_ rows: [UInt64]) -> [Float] {
        rows.flatMap { r in (0..<8).map { Float(Int8(bitPattern: UInt8(truncatingIfNeeded: r >> (8 * UInt64($0))))) } }
    }

    static func floats(_ rows: [UInt32]) -> [Float] {
        rows.flatMap { r in (0..<4).map { Float(UInt8(truncatingIfNeeded: r >> (8 * UInt32($0)))) } }
    }

    /// `ksigns_iq2xs[i]`: the seven stored sign bits and their parity as the eighth.
    @inline(__always)
    static func signs(_ index: UInt32) -> UInt8 {
        let i = UInt8(truncatingIfNeeded: index & 127)
        return i | UInt8(i.nonzeroBitCount & 1) << 7
    }

    /// Eight values `db·grid[j]`, negated where bit j of `signs` is set.
    @inline(__always)
    static func put8(_ y: UnsafeMutablePointer<Float>, _ db: Float, _ row: UnsafePointer<Float>, _ signs: UInt8) {
        for j in 0..<8 { y[j] = GGMLBytes.signed(db * row[j], (signs >> UInt8(j)) & 1 != 0) }
    }

    /// Four values `db·grid[j]`, negated where bit `first + j` of `signs` is set.
    @inline(__always)
    static func put4(_ y: UnsafeMutablePointer<Float>, _ db: Float, _ row: UnsafePointer<Float>, _ signs: UInt8, _ first: UInt8) {
        for j in 0..<4 { y[j] = GGMLBytes.signed(db * row[j], (signs >> (first + UInt8(j))) & 1 != 0) }
    }

    // MARK: decoding

    static func decodeIQ2_XXS(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        iq2xxs.withUnsafeBufferPointer { grid in
            let g = grid.baseAddress!
            for b in 0..<n {
                let p = src + 66 * b, y = out + 256 * b
                let d = GGMLBytes.half(p, 0)
                for ib in 0..<8 {
                    let a0 = GGMLBytes.u32(p, 2 + 8 * ib), a1 = GGMLBytes.u32(p, 6 + 8 * ib)
                    let db = d * (0.5 + Float(a1 >> 28)) * 0.25
                    for l in 0..<4 {
                        let row = g + 8 * Int((a0 >> UInt32(8 * l)) & 0xFF)
                        put8(y + 32 * ib + 8 * l, db, row, signs(a1 >> UInt32(7 * l)))
                    }
                }
            }
        }
    }

    static func decodeIQ2_XS(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        iq2xs.withUnsafeBufferPointer { grid in
            let g = grid.baseAddress!
            for b in 0..<n {
                let p = src + 74 * b, y = out + 256 * b
                let d = GGMLBytes.half(p, 0)
                for ib in 0..<8 {
                    let sc = p.load(fromByteOffset: 66 + ib, as: UInt8.self)
                    let db0 = d * (0.5 + Float(sc & 0xF)) * 0.25
                    let db1 = d * (0.5 + Float(sc >> 4)) * 0.25
                    for l in 0..<4 {
                        let q = GGMLBytes.u16(p, 2 + 2 * (4 * ib + l))
                        put8(y + 32 * ib + 8 * l, l < 2 ? db0 : db1, g + 8 * Int(q & 511), signs(UInt32(q >> 9)))
                    }
                }
            }
        }
    }

    static func decodeIQ2_S(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        iq2s.withUnsafeBufferPointer { grid in
            let g = grid.baseAddress!
            for b in 0..<n {
                let p = src + 82 * b, y = out + 256 * b
                let d = GGMLBytes.half(p, 0)
                for ib in 0..<8 {
                    let sc = p.load(fromByteOffset: 74 + ib, as: UInt8.self)
                    let db0 = d * (0.5 + Float(sc & 0xF)) * 0.25
                    let db1 = d * (0.5 + Float(sc >> 4)) * 0.25
                    let qh = Int(p.load(fromByteOffset: 66 + ib, as: UInt8.self))
                    for l in 0..<4 {
                        let index = Int(p.load(fromByteOffset: 2 + 4 * ib + l, as: UInt8.self)) | ((qh << (8 - 2 * l)) & 0x300)
                        let s = p.load(fromByteOffset: 34 + 4 * ib + l, as: UInt8.self)
                        put8(y + 32 * ib + 8 * l, l < 2 ? db0 : db1, g + 8 * index, s)
                    }
                }
            }
        }
    }

    static func decodeIQ3_XXS(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        iq3xxs.withUnsafeBufferPointer { grid in
            let g = grid.baseAddress!
            for b in 0..<n {
                let p = src + 98 * b, y = out + 256 * b
                let d = GGMLBytes.half(p, 0)
                for ib in 0..<8 {
                    let aux = GGMLBytes.u32(p, 66 + 4 * ib)
                    let db = d * (0.5 + Float(aux >> 28)) * 0.5
                    for l in 0..<4 {
                        let s = signs(aux >> UInt32(7 * l))
                        let g1 = g + 4 * Int(p.load(fromByteOffset: 2 + 8 * ib + 2 * l, as: UInt8.self))
                        let g2 = g + 4 * Int(p.load(fromByteOffset: 2 + 8 * ib + 2 * l + 1, as: UInt8.self))
                        let yy = y + 32 * ib + 8 * l
                        put4(yy, db, g1, s, 0)
                        put4(yy + 4, db, g2, s, 4)
                    }
                }
            }
        }
    }

    static func decodeIQ3_S(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        iq3s.withUnsafeBufferPointer { grid in
            let g = grid.baseAddress!
            for b in 0..<n {
                let p = src + 110 * b, y = out + 256 * b
                let d = GGMLBytes.half(p, 0)
                for ib in 0..<8 {
                    let sc = p.load(fromByteOffset: 106 + ib / 2, as: UInt8.self)
                    let db = d * Float(1 + 2 * Int32((sc >> UInt8(4 * (ib % 2))) & 0xF))
                    let qh = Int(p.load(fromByteOffset: 66 + ib, as: UInt8.self))
                    for l in 0..<4 {
                        let i1 = Int(p.load(fromByteOffset: 2 + 8 * ib + 2 * l, as: UInt8.self)) | ((qh << (8 - 2 * l)) & 256)
                        let i2 = Int(p.load(fromByteOffset: 2 + 8 * ib + 2 * l + 1, as: UInt8.self)) | ((qh << (7 - 2 * l)) & 256)
                        let s = p.load(fromByteOffset: 74 + 4 * ib + l, as: UInt8.self)
                        let yy = y + 32 * ib + 8 * l
                        put4(yy, db, g + 4 * i1, s, 0)
                        put4(yy + 4, db, g + 4 * i2, s, 4)
                    }
                }
            }
        }
    }

    static func decodeIQ1_S(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        iq1s.withUnsafeBufferPointer { grid in
            let g = grid.baseAddress!
            for b in 0..<n {
                let p = src + 50 * b, y = out + 256 * b
                let d = GGMLBytes.half(p, 0)
                for ib in 0..<8 {
                    let qh = Int(GGMLBytes.u16(p, 34 + 2 * ib))
                    let dl = d * Float(2 * ((qh >> 12) & 7) + 1)
                    let delta = qh & 0x8000 != 0 ? -iq1Delta : iq1Delta
                    for l in 0..<4 {
                        let row = g + 8 * (Int(p.load(fromByteOffset: 2 + 4 * ib + l, as: UInt8.self)) | (((qh >> (3 * l)) & 7) << 8))
                        let yy = y + 32 * ib + 8 * l
                        for j in 0..<8 { yy[j] = dl * (row[j] + delta) }
                    }
                }
            }
        }
    }

    /// IQ1_M's fp16 super-block scale, spread over the top nibbles of its four scale words.
    @inline(__always)
    static func iq1mScale(_ p: UnsafeRawPointer) -> Float {
        let s0 = GGMLBytes.u16(p, 48), s1 = GGMLBytes.u16(p, 50), s2 = GGMLBytes.u16(p, 52), s3 = GGMLBytes.u16(p, 54)
        return Float(Float16(bitPattern: (s0 >> 12) | ((s1 >> 8) & 0x00F0) | ((s2 >> 4) & 0x0F00) | (s3 & 0xF000)))
    }

    static func decodeIQ1_M(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        iq1s.withUnsafeBufferPointer { grid in
            let g = grid.baseAddress!
            for b in 0..<n {
                let p = src + 56 * b, y = out + 256 * b
                let d = iq1mScale(p)
                for ib in 0..<8 {
                    let sc = Int(GGMLBytes.u16(p, 48 + 2 * (ib / 2)))
                    let dl1 = d * Float(2 * ((sc >> (6 * (ib % 2))) & 7) + 1)
                    let dl2 = d * Float(2 * ((sc >> (6 * (ib % 2) + 3)) & 7) + 1)
                    for l in 0..<4 {
                        let qh = Int(p.load(fromByteOffset: 32 + 2 * ib + l / 2, as: UInt8.self)) >> (4 * (l % 2))
                        let index = Int(p.load(fromByteOffset: 4 * ib + l, as: UInt8.self)) | ((qh & 7) << 8)
                        let delta = qh & 0x08 != 0 ? -iq1Delta : iq1Delta
                        let dl = l < 2 ? dl1 : dl2
                        let row = g + 8 * index, yy = y + 32 * ib + 8 * l
                        for j in 0..<8 { yy[j] = dl * (row[j] + delta) }
                    }
                }
            }
        }
    }

    static func decodeIQ4_NL(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        iq4nl.withUnsafeBufferPointer { table in
            let kv = table.baseAddress!
            for b in 0..<n {
                let p = src + 18 * b, y = out + 32 * b
                let d = GGMLBytes.half(p, 0)
                for j in 0..<16 {
                    let q = p.load(fromByteOffset: 2 + j, as: UInt8.self)
                    y[j] = d * kv[Int(q & 0xF)]
                    y[j + 16] = d * kv[Int(q >> 4)]
                }
            }
        }
    }

    static func decodeIQ4_XS(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        iq4nl.withUnsafeBufferPointer { table in
            let kv = table.baseAddress!
            for b in 0..<n {
                let p = src + 136 * b, y = out + 256 * b
                let d = GGMLBytes.half(p, 0)
                let scalesH = Int(GGMLBytes.u16(p, 2))
                for ib in 0..<8 {
                    let low = Int(p.load(fromByteOffset: 4 + ib / 2, as: UInt8.self) >> UInt8(4 * (ib % 2))) & 0xF
                    let ls = low | (((scalesH >> (2 * ib)) & 3) << 4)
                    let dl = d * Float(ls - 32)
                    let q = p + 8 + 16 * ib, yy = y + 32 * ib
                    for j in 0..<16 {
                        let v = q.load(fromByteOffset: j, as: UInt8.self)
                        yy[j] = dl * kv[Int(v & 0xF)]
                        yy[j + 16] = dl * kv[Int(v >> 4)]
                    }
                }
            }
        }
    }

    // MARK: codes

    /// IQ4_XS: the nibble of each element, an index into the 16 levels.
    static func codesIQ4_XS(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<n {
            let p = src + 136 * b, c = out + 256 * b
            for ib in 0..<8 {
                for j in 0..<16 {
                    let v = p.load(fromByteOffset: 8 + 16 * ib + j, as: UInt8.self)
                    c[32 * ib + j] = v & 0xF
                    c[32 * ib + j + 16] = v >> 4
                }
            }
        }
    }

    /// The grid point, signs and shift of every group of every block, in element order.
    static func latticeCodes(_ type: GGMLType, _ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<GGMLLatticeCode>) {
        let size = type.blockLayout.bytes
        for b in 0..<n {
            let p = src + size * b
            switch type {
            case .iq2_XXS:
                let c = out + 32 * b
                for ib in 0..<8 {
                    let a0 = GGMLBytes.u32(p, 2 + 8 * ib), a1 = GGMLBytes.u32(p, 6 + 8 * ib)
                    for l in 0..<4 {
                        c[4 * ib + l] = GGMLLatticeCode(point: UInt16((a0 >> UInt32(8 * l)) & 0xFF), signs: signs(a1 >> UInt32(7 * l)), shift: 0)
                    }
                }
            case .iq2_XS:
                let c = out + 32 * b
                for k in 0..<32 {
                    let q = GGMLBytes.u16(p, 2 + 2 * k)
                    c[k] = GGMLLatticeCode(point: q & 511, signs: signs(UInt32(q >> 9)), shift: 0)
                }
            case .iq2_S:
                let c = out + 32 * b
                for ib in 0..<8 {
                    let qh = UInt16(p.load(fromByteOffset: 66 + ib, as: UInt8.self))
                    for l in 0..<4 {
                        let index = UInt16(p.load(fromByteOffset: 2 + 4 * ib + l, as: UInt8.self)) | ((qh << UInt16(8 - 2 * l)) & 0x300)
                        c[4 * ib + l] = GGMLLatticeCode(point: index, signs: p.load(fromByteOffset: 34 + 4 * ib + l, as: UInt8.self), shift: 0)
                    }
                }
            case .iq3_XXS:
                let c = out + 64 * b
                for ib in 0..<8 {
                    let aux = GGMLBytes.u32(p, 66 + 4 * ib)
                    for l in 0..<4 {
                        let s = signs(aux >> UInt32(7 * l))
                        for h in 0..<2 {
                            let k = 8 * ib + 2 * l + h
                            c[k] = GGMLLatticeCode(point: UInt16(p.load(fromByteOffset: 2 + k, as: UInt8.self)), signs: (s >> UInt8(4 * h)) & 0xF, shift: 0)
                        }
                    }
                }
            case .iq3_S:
                let c = out + 64 * b
                for ib in 0..<8 {
                    let qh = UInt16(p.load(fromByteOffset: 66 + ib, as: UInt8.self))
                    for l in 0..<4 {
                        let s = p.load(fromByteOffset: 74 + 4 * ib + l, as: UInt8.self)
                        for h in 0..<2 {
                            let k = 8 * ib + 2 * l + h
                            let index = UInt16(p.load(fromByteOffset: 2 + k, as: UInt8.self)) | ((qh << UInt16(8 - 2 * l - h)) & 256)
                            c[k] = GGMLLatticeCode(point: index, signs: (s >> UInt8(4 * h)) & 0xF, shift: 0)
                        }
                    }
                }
            case .iq1_S:
                let c = out + 32 * b
                for ib in 0..<8 {
                    let qh = GGMLBytes.u16(p, 34 + 2 * ib)
                    for l in 0..<4 {
                        let index = UInt16(p.load(fromByteOffset: 2 + 4 * ib + l, as: UInt8.self)) | (((qh >> UInt16(3 * l)) & 7) << 8)
                        c[4 * ib + l] = GGMLLatticeCode(point: index, signs: 0, shift: qh & 0x8000 != 0 ? -1 : 1)
                    }
                }
            case .iq1_M:
                let c = out + 32 * b
                for k in 0..<32 {
                    let qh = UInt16(p.load(fromByteOffset: 32 + k / 2, as: UInt8.self)) >> UInt16(4 * (k % 2))
                    let index = UInt16(p.load(fromByteOffset: k, as: UInt8.self)) | ((qh & 7) << 8)
                    c[k] = GGMLLatticeCode(point: index, signs: 0, shift: qh & 0x08 != 0 ? -1 : 1)
                }
            case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .q1_0, .q2_0,
                 .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq4_NL, .iq4_XS, .tq1_0, .tq2_0, .mxfp4, .nvfp4:
                preconditionFailure("\(type.name) is not a lattice type")
            }
        }
    }
}
