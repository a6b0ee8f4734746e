/// ggml's microscaling FP4 blocks: E2M1 elements under a shared power-of-two (MXFP4) or E4M3 (NVFP4)
/// scale. Decoding and codes.
///
/// ggml stores E2M1 doubled (`kvalues_mxfp4` = 0, 1, 2, 3, 4, 6, 8, 12 and negatives) and halves the
/// scale to match, so x = kvalue·(scale/2) is exactly E2M1·scale.
/// - MXFP4 (17 bytes per 32): E8M0 e, 16 bytes of nibbles (low = element j, high = j + 16);
///   scale/2 = 2^(e − 128) (`ggml_e8m0_to_fp32_half`: e = 0 and 1 give the subnormals 2^-128 and 2^-127;
///   e = 255 is 2^127, not NaN).
/// - NVFP4 (36 bytes per 64): four UE4M3 sub-block scales (one per 16), then 8 bytes of nibbles per
///   sub-block (low = element j, high = j + 8). The scale byte's top bit is ignored; 0 and 0x7F (E4M3's
///   NaN) decode to 0, so 0xFF decodes to 240·2 = 480 while 0x7F is 0 (`ggml_ue4m3_to_fp32`).
///
/// Source functions: ggml's `dequantize_row_mxfp4`, `dequantize_row_nvfp4`.
enum MicroscalingBlocks {
    static let kvalues: [Float] = GGMLTables.mxfp4Values.map { Float($0) }

    /// `ggml_e8m0_to_fp32_half`.
    @inline(__always)
    static func e8m0Half(_ e: UInt8) -> Float {
        Float(bitPattern: e < 2 ? UInt32(0x0020_0000) << UInt32(e) : UInt32(e - 1) << 23)
    }

    /// `ggml_ue4m3_to_fp32` for every byte (it includes the factor ½ of the doubled levels).
    static let ue4m3Half: [Float] = (0...255).map { (x: Int) -> Float in
        if x == 0 || x == 0x7F { return 0 }
        let exp = (x >> 3) & 0xF, man = x & 7
        let raw: Float = exp == 0 ? Float(man) * 0x1p-9 : (1 + Float(man) / 8) * Float(sign: .plus, exponent: exp - 7, significand: 1)
        return raw * 0.5
    }

    static func decodeMXFP4(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        kvalues.withUnsafeBufferPointer { table in
            let kv = table.baseAddress!
            for b in 0..<n {
                let p = src + 17 * b, y = out + 32 * b
                let d = e8m0Half(p.load(as: UInt8.self))
                for j in 0..<16 {
                    let q = p.load(fromByteOffset: 1 + j, as: UInt8.self)
                    y[j] = kv[Int(q & 0xF)] * d
                    y[j + 16] = kv[Int(q >> 4)] * d
                }
            }
        }
    }

    static func decodeNVFP4(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        kvalues.withUnsafeBufferPointer { table in
            ue4m3Half.withUnsafeBufferPointer { scales in
                let kv = table.baseAddress!, ue = scales.baseAddress!
                for b in 0..<n {
                    let p = src + 36 * b, y = out + 64 * b
                    for s in 0..<4 {
                        let d = ue[Int(p.load(fromByteOffset: s, as: UInt8.self))]
                        let yy = y + 16 * s
                        for j in 0..<8 {
                            let q = p.load(fromByteOffset: 4 + 8 * s + j, as: UInt8.self)
                            yy[j] = kv[Int(q & 0xF)] * d
                            yy[j + 8] = kv[Int(q >> 4)] * d
                        }
                    }
                }
            }
        }
    }

    /// NVFP4: the nibble of each element (element order as decoded).
    static func codesNVFP4(_ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<n {
            let p = src + 36 * b, c = out + 64 * b
            for s in 0..<4 {
                for j in 0..<8 {
                    let q = p.load(fromByteOffset: 4 + 8 * s + j, as: UInt8.self)
                    c[16 * s + j] = q & 0xF
                    c[16 * s + j + 8] = q >> 4
                }
            }
        }
    }
}
