/// Which of llama.cpp's quantizers to follow (without an importance matrix).
public enum GGMLQuantizer: Sendable, Equatable {
    /// `quantize_row_*_ref`, the reference for deterministic model files.
    case reference
    /// What `llama-quantize` runs without an importance matrix (`quantize_<type>(…, NULL)`): the same
    /// bytes as `reference` for every type except IQ4_NL, which searches 15 scales and re-quantizes
    /// with the best (`quantize_iq4_nl`, `ntry = 7`).
    case llamaQuantize
}

/// Reference quantizers that write true ggml block bytes.
extension GGMLType {
    /// Whether `quantize(_:count:into:)` can write this type: F32, F16, BF16, the legacy Q4_0, Q4_1, Q5_0,
    /// Q5_1, Q8_0, the K-quants Q2_K … Q6_K and IQ4_NL.
    public var isQuantizable: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_NL: true
        case .f64, .i8, .i16, .i32, .i64, .q8_1, .q1_0, .q2_0, .q8_K, .iq2_XXS, .iq2_XS, .iq2_S, .iq3_XXS, .iq3_S,
             .iq1_S, .iq1_M, .iq4_XS, .tq1_0, .tq2_0, .mxfp4, .nvfp4: false
        }
    }

    /// Quantizes `count` values (a multiple of `blockLayout.elements`) into `count / blockLayout.elements`
    /// blocks, `blockLayout.bytes` each, at `out` (any alignment), exactly as llama.cpp's
    /// `quantize_row_*_ref` does without an importance matrix: `_q4_0_ref`, `_q4_1_ref`, `_q5_0_ref`,
    /// `_q5_1_ref`, `_q8_0_ref`, `_q2_K_ref`, `_q3_K_ref`, `_q4_K_ref`, `_q5_K_ref`, `_q6_K_ref`,
    /// `_iq4_nl_ref`. F16 rounds to nearest even; BF16 rounds to nearest even with NaN kept quiet (as
    /// gguf-py and `ggml_compute_fp32_to_bf16`). A pure function: the bytes depend only on the input, so a
    /// tensor can be quantized in any chunks of whole blocks. `quantizer: .llamaQuantize` gives what
    /// `llama-quantize` writes instead (different only for IQ4_NL).
    public func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer, quantizer: GGMLQuantizer = .reference) {
        let qk = blockLayout.elements
        precondition(count >= 0 && count % qk == 0, "\(name): \(count) values are not whole blocks of \(qk)")
        let nb = count / qk
        switch self {
        case .f32: for i in 0..<count { out.storeBytes(of: x[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        case .f16: for i in 0..<count { GGMLBytes.storeHalf(x[i], out, 2 * i) }
        case .bf16:
            for i in 0..<count {
                out.storeBytes(of: HalfPrecision.bfloat16Bits(from: x[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        case .q4_0: LegacyQuantizers.q4_0(x, nb, out)
        case .q4_1: LegacyQuantizers.q4_1(x, nb, out)
        case .q5_0: LegacyQuantizers.q5_0(x, nb, out)
        case .q5_1: LegacyQuantizers.q5_1(x, nb, out)
        case .q8_0: LegacyQuantizers.q8_0(x, nb, out)
        case .q2_K: KQuantQuantizers.q2_K(x, nb, out)
        case .q3_K: KQuantQuantizers.q3_K(x, nb, out)
        case .q4_K: KQuantQuantizers.q4_K(x, nb, out)
        case .q5_K: KQuantQuantizers.q5_K(x, nb, out)
        case .q6_K: KQuantQuantizers.q6_K(x, nb, out)
        case .iq4_NL: IQ4NLQuantizer.quantize(x, nb, out, ntry: quantizer == .reference ? -1 : 7)
        case .f64, .i8, .i16, .i32, .i64, .q8_1, .q1_0, .q2_0, .q8_K, .iq2_XXS, .iq2_XS, .iq2_S, .iq3_XXS, .iq3_S,
             .iq1_S, .iq1_M, .iq4_XS, .tq1_0, .tq2_0, .mxfp4, .nvfp4:
            preconditionFailure("qscope has no quantizer for \(name)")
        }
    }

    /// `quantize` of an array: the block bytes of `values` (whole blocks).
    public func quantize(_ values: [Float], quantizer: GGMLQuantizer = .reference) -> [UInt8] {
        let bytes = values.count / blockLayout.elements * blockLayout.bytes
        var out = [UInt8](repeating: 0, count: bytes)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBytes { o in
                guard let src = v.baseAddress, let dst = o.baseAddress else { return }
                quantize(src, count: values.count, into: dst, quantizer: quantizer)
            }
        }
        return out
    }
}
