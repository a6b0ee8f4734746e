/// The K-quant super-blocks of 256: decoding and codes.
///
/// - Q2_K (84 bytes): scales[16] (low nibble = scale, high = min of each 16), qs[64] (2 bits), fp16 d, fp16 dmin;
///   x = d·sc·q − dmin·m.
/// - Q3_K (110): hmask[32] (the third bit), qs[64] (low 2 bits), scales[12] (sixteen 6-bit scales), fp16 d;
///   x = d·(sc − 32)·(q − 4).
/// - Q4_K (144): fp16 d, fp16 dmin, scales[12] (eight 6-bit scales and mins), qs[128]; x = d·sc·q − dmin·m.
/// - Q5_K (176): as Q4_K plus qh[32] (the fifth bit) before qs.
/// - Q6_K (210): ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], fp16 d; x = d·sc·(q − 32).
/// - Q8_K (292): float32 d, int8 qs[256], int16 bsums[16] (unused by the decode); x = d·q.
///
/// Element order follows ggml's `dequantize_row_q2_K` … `_q8_K`, whose loops fix which bits of which
/// byte hold element i; the arithmetic is theirs too (`(d·sc)·q − dmin·m`, float32, no fused multiply-add).
enum KQuantBlocks {
    // MARK: Q2_K

    static func decodeQ2_K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 84 * b, y = out + 256 * b
            let d = GGMLBytes.half(p, 80), dmin = GGMLBytes.half(p, 82)
            for half in 0..<2 {
                let q = p + 16 + 32 * half
                for j in 0..<4 {
                    let shift = UInt8(2 * j)
                    for k in 0..<2 {
                        let sc = p.load(fromByteOffset: 8 * half + 2 * j + k, as: UInt8.self)
                        let dl = d * Float(sc & 0xF), ml = dmin * Float(sc >> 4)
                        let yy = y + 128 * half + 32 * j + 16 * k
                        for l in 0..<16 {
                            yy[l] = dl * Float((q.load(fromByteOffset: 16 * k + l, as: UInt8.self) >> shift) & 3) - ml
                        }
                    }
                }
            }
        }
    }

    static func codesQ2_K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<n {
            let p = src + 84 * b, c = out + 256 * b
            for half in 0..<2 {
                for j in 0..<4 {
                    for l in 0..<32 {
                        c[128 * half + 32 * j + l] = (p.load(fromByteOffset: 16 + 32 * half + l, as: UInt8.self) >> UInt8(2 * j)) & 3
                    }
                }
            }
        }
    }

    // MARK: Q3_K

    /// The sixteen 6-bit scales of a Q3_K block, minus 32.
    @inline(__always)
    static func q3Scale(_ s: UnsafeRawPointer, _ j: Int) -> Int32 {
        let low = j < 8 ? s.load(fromByteOffset: j, as: UInt8.self) & 0xF : s.load(fromByteOffset: j - 8, as: UInt8.self) >> 4
        let high = (s.load(fromByteOffset: 8 + j % 4, as: UInt8.self) >> UInt8(2 * (j / 4))) & 3
        return Int32(low | high << 4) - 32
    }

    static func decodeQ3_K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 110 * b, y = out + 256 * b
            let d = GGMLBytes.half(p, 108)
            for half in 0..<2 {
                let q = p + 32 + 32 * half
                for j in 0..<4 {
                    let shift = UInt8(2 * j)
                    let m = UInt8(1) << UInt8(4 * half + j)
                    for k in 0..<2 {
                        let dl = d * Float(q3Scale(p + 96, 8 * half + 2 * j + k))
                        let yy = y + 128 * half + 32 * j + 16 * k
                        for l in 0..<16 {
                            let low = Int32((q.load(fromByteOffset: 16 * k + l, as: UInt8.self) >> shift) & 3)
                            let high = p.load(fromByteOffset: 16 * k + l, as: UInt8.self) & m
                            yy[l] = dl * Float(low - (high != 0 ? 0 : 4))
                        }
                    }
                }
            }
        }
    }

    /// Q3_K codes 0…7: the low two bits plus the hmask bit as the third (value = code − 4).
    static func codesQ3_K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<n {
            let p = src + 110 * b, c = out + 256 * b
            for half in 0..<2 {
                for j in 0..<4 {
                    let m = UInt8(1) << UInt8(4 * half + j)
                    for l in 0..<32 {
                        let low = (p.load(fromByteOffset: 32 + 32 * half + l, as: UInt8.self) >> UInt8(2 * j)) & 3
                        c[128 * half + 32 * j + l] = low | (p.load(fromByteOffset: l, as: UInt8.self) & m != 0 ? 4 : 0)
                    }
                }
            }
        }
    }

    // MARK: Q4_K, Q5_K

    /// `get_scale_min_k4`: the j-th 6-bit scale and min of a K-quant block's 12 scale bytes.
    @inline(__always)
    static func scaleMin(_ s: UnsafeRawPointer, _ j: Int) -> (UInt8, UInt8) {
        @inline(__always) func at(_ i: Int) -> UInt8 { s.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (at(j) & 63, at(j + 4) & 63) }
        return ((at(j + 4) & 0xF) | ((at(j - 4) >> 6) << 4), (at(j + 4) >> 4) | ((at(j) >> 6) << 4))
    }

    static func decodeQ4_K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 144 * b, y = out + 256 * b
            let d = GGMLBytes.half(p, 0), dmin = GGMLBytes.half(p, 2)
            for chunk in 0..<4 {
                let (sc1, m1) = scaleMin(p + 4, 2 * chunk)
                let (sc2, m2) = scaleMin(p + 4, 2 * chunk + 1)
                let d1 = d * Float(sc1), dm1 = dmin * Float(m1)
                let d2 = d * Float(sc2), dm2 = dmin * Float(m2)
                let q = p + 16 + 32 * chunk, yy = y + 64 * chunk
                for l in 0..<32 {
                    let v = q.load(fromByteOffset: l, as: UInt8.self)
                    yy[l] = d1 * Float(v & 0xF) - dm1
                    yy[l + 32] = d2 * Float(v >> 4) - dm2
                }
            }
        }
    }

    static func decodeQ5_K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 176 * b, y = out + 256 * b
            let d = GGMLBytes.half(p, 0), dmin = GGMLBytes.half(p, 2)
            for chunk in 0..<4 {
                let (sc1, m1) = scaleMin(p + 4, 2 * chunk)
                let (sc2, m2) = scaleMin(p + 4, 2 * chunk + 1)
                let d1 = d * Float(sc1), dm1 = dmin * Float(m1)
                let d2 = d * Float(sc2), dm2 = dmin * Float(m2)
                let u1 = UInt8(1) << UInt8(2 * chunk), u2 = UInt8(2) << UInt8(2 * chunk)
                let q = p + 48 + 32 * chunk, yy = y + 64 * chunk
                for l in 0..<32 {
                    let v = q.load(fromByteOffset: l, as: UInt8.self)
                    let h = p.load(fromByteOffset: 16 + l, as: UInt8.self)
                    yy[l] = d1 * Float((v & 0xF) + (h & u1 != 0 ? 16 : 0)) - dm1
                    yy[l + 32] = d2 * Float((v >> 4) + (h & u2 != 0 ? 16 : 0)) - dm2
                }
            }
        }
    }

    /// Q4_K codes 0…15 and Q5_K codes 0…31 (`fifthBit`).
    static func codesQ4_5K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>, fifthBit: Bool) {
        let size = fifthBit ? 176 : 144, qs = fifthBit ? 48 : 16
        for b in 0..<n {
            let p = src + size * b, c = out + 256 * b
            for chunk in 0..<4 {
                for l in 0..<32 {
                    let v = p.load(fromByteOffset: qs + 32 * chunk + l, as: UInt8.self)
                    var lo = v & 0xF, hi = v >> 4
                    if fifthBit {
                        let h = p.load(fromByteOffset: 16 + l, as: UInt8.self) >> UInt8(2 * chunk)
                        lo |= (h & 1) << 4
                        hi |= ((h >> 1) & 1) << 4
                    }
                    c[64 * chunk + l] = lo
                    c[64 * chunk + 32 + l] = hi
                }
            }
        }
    }

    // MARK: Q6_K

    static func decodeQ6_K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scales in
            let ds = scales.baseAddress!
            for b in 0..<n {
                let p = src + 210 * b, y = out + 256 * b
                let d = GGMLBytes.half(p, 208)
                // d·sc once per sub-block: the same float32 product ggml forms per element.
                for k in 0..<16 { ds[k] = d * Float(p.load(fromByteOffset: 192 + k, as: Int8.self)) }
                for half in 0..<2 {
                    let ql = p + 64 * half, qh = p + 128 + 32 * half, sc = ds + 8 * half
                    let yy = y + 128 * half
                    for l in 0..<32 {
                        let s = l / 16
                        let h = qh.load(fromByteOffset: l, as: UInt8.self)
                        let a = ql.load(fromByteOffset: l, as: UInt8.self), c = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                        yy[l] = sc[s] * Float(Int32((a & 0xF) | (h & 3) << 4) - 32)
                        yy[l + 32] = sc[s + 2] * Float(Int32((c & 0xF) | ((h >> 2) & 3) << 4) - 32)
                        yy[l + 64] = sc[s + 4] * Float(Int32((a >> 4) | ((h >> 4) & 3) << 4) - 32)
                        yy[l + 96] = sc[s + 6] * Float(Int32((c >> 4) | ((h >> 6) & 3) << 4) - 32)
                    }
                }
            }
        }
    }

    /// Q6_K codes 0…63 (value = code − 32).
    static func codesQ6_K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<n {
            let p = src + 210 * b, cc = out + 256 * b
            for half in 0..<2 {
                let ql = p + 64 * half, qh = p + 128 + 32 * half, c = cc + 128 * half
                for l in 0..<32 {
                    let h = qh.load(fromByteOffset: l, as: UInt8.self)
                    let a = ql.load(fromByteOffset: l, as: UInt8.self), e = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                    c[l] = (a & 0xF) | (h & 3) << 4
                    c[l + 32] = (e & 0xF) | ((h >> 2) & 3) << 4
                    c[l + 64] = (a >> 4) | ((h >> 4) & 3) << 4
                    c[l + 96] = (e >> 4) | ((h >> 6) & 3) << 4
                }
            }
        }
    }

    // MARK: Q8_K

    static func decodeQ8_K(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<n {
            let p = src + 292 * b, y = out + 256 * b
            let d = Float(bitPattern: GGMLBytes.u32(p, 0))
            for j in 0..<256 { y[j] = d * Float(p.load(fromByteOffset: 4 + j, as: Int8.self)) }
        }
    }
}
