import TensorCore

/// A quantization datatype: its code table, its scale rule, its bits per code,
/// and a sentence that explains it in the UI and in `--help`.
///
/// The names are the `--dtype` contract of docs/ARCHITECTURE.md. Every datatype
/// is one case so that the quantizer can switch over a closed set and the
/// compiler checks that each one is handled everywhere.
public enum DataType: String, CaseIterable, Sendable, Hashable, Codable {
    case int8, int4, int3, int2
    case uint8Asym = "uint8-asym", uint4Asym = "uint4-asym", uint3Asym = "uint3-asym", uint2Asym = "uint2-asym"
    case dynamic8, dynamic8Unsigned = "dynamic8-unsigned"
    case nf4, fp4
    case quantile8, quantile4
    case fp8E4M3 = "fp8-e4m3", fp8E5M2 = "fp8-e5m2", fp6E2M3 = "fp6-e2m3", fp6E3M2 = "fp6-e3m2", fp4E2M1 = "fp4-e2m1"
    case mxfp8, mxfp6, mxfp4, mxint8
    case nvfp4
    case q8_0, q4_0, q4_1, q5_0, q4K = "q4_k", q6K = "q6_k"
    case fp16, bf16

    /// The `--dtype` spelling.
    public var name: String { rawValue }

    /// Looks a datatype up by its `--dtype` spelling (case-insensitive; `_` accepted for `-`).
    public init?(name: String) {
        let lower = name.lowercased()
        guard let dt = DataType(rawValue: lower) ?? DataType(rawValue: lower.replacingOccurrences(of: "_", with: "-"))
                ?? DataType(rawValue: lower.replacingOccurrences(of: "-", with: "_")) else { return nil }
        self = dt
    }

    /// How the datatype scales and encodes a block; the quantizer switches on this.
    public enum Family: Sendable, Hashable {
        /// Symmetric absmax integer with `2^(bits-1) - 1` steps each side.
        case symmetricInt(bits: Int)
        /// GPTQ-style asymmetric min–max with a zero point.
        case asymmetricInt(bits: Int)
        /// A fixed table of levels in [-1, 1] (or [0, 1]) scaled by the block absmax.
        case table
        /// Levels at the tensor's own quantiles, scaled by the block absmax.
        case quantile(bits: Int)
        /// An element float format scaled so the block absmax maps to its largest value.
        case scaledFloat(ElementFormat)
        /// OCP Microscaling: blocks of 32 sharing a power-of-two (E8M0) scale.
        case microscaling(ElementFormat?)
        /// NVIDIA NVFP4: E2M1 in blocks of 16, E4M3 block scales, FP32 tensor scale.
        case nvfp4
        /// llama.cpp's legacy GGUF block formats (blocks of 32, fp16 scale), quantized as its reference code.
        case ggml
        /// A plain cast to a 16-bit float.
        case cast
    }

    public var family: Family {
        switch self {
        case .int8: .symmetricInt(bits: 8)
        case .int4: .symmetricInt(bits: 4)
        case .int3: .symmetricInt(bits: 3)
        case .int2: .symmetricInt(bits: 2)
        case .uint8Asym: .asymmetricInt(bits: 8)
        case .uint4Asym: .asymmetricInt(bits: 4)
        case .uint3Asym: .asymmetricInt(bits: 3)
        case .uint2Asym: .asymmetricInt(bits: 2)
        case .dynamic8, .dynamic8Unsigned, .nf4, .fp4: .table
        case .quantile8: .quantile(bits: 8)
        case .quantile4: .quantile(bits: 4)
        case .fp8E4M3: .scaledFloat(.e4m3)
        case .fp8E5M2: .scaledFloat(.e5m2)
        case .fp6E2M3: .scaledFloat(.e2m3)
        case .fp6E3M2: .scaledFloat(.e3m2)
        case .fp4E2M1: .scaledFloat(.e2m1)
        case .mxfp8: .microscaling(.e4m3)
        case .mxfp6: .microscaling(.e2m3)
        case .mxfp4: .microscaling(.e2m1)
        case .mxint8: .microscaling(nil)
        case .nvfp4: .nvfp4
        case .q8_0, .q4_0, .q4_1, .q5_0, .q4K, .q6K: .ggml
        case .fp16, .bf16: .cast
        }
    }

    /// Bits stored per element (the code, without scales).
    public var bitsPerCode: Int {
        switch self {
        case .int8, .uint8Asym, .dynamic8, .dynamic8Unsigned, .quantile8, .fp8E4M3, .fp8E5M2, .mxfp8, .mxint8, .q8_0: 8
        case .q5_0: 5
        case .fp6E2M3, .fp6E3M2, .mxfp6, .q6K: 6
        case .int4, .uint4Asym, .nf4, .fp4, .quantile4, .fp4E2M1, .mxfp4, .nvfp4, .q4_0, .q4_1, .q4K: 4
        case .int3, .uint3Asym: 3
        case .int2, .uint2Asym: 2
        case .fp16, .bf16: 16
        }
    }

    /// The block size the format itself fixes (MX: 32, NVFP4: 16), or nil when the user chooses.
    public var fixedBlock: Int? {
        switch family {
        case .microscaling: 32
        case .ggml: self == .q4K || self == .q6K ? 256 : 32
        case .nvfp4: 16
        case .cast: nil
        default: nil
        }
    }

    /// Whether the per-block statistic is an fp32 absmax that double quantization can compress.
    public var supportsDoubleQuant: Bool {
        switch family {
        case .symmetricInt, .table, .quantile, .scaledFloat: true
        case .asymmetricInt, .microscaling, .nvfp4, .ggml, .cast: false
        }
    }

    /// Whether the datatype has per-element codes (casts do not: they keep a 16-bit value).
    public var hasCodes: Bool { family != .cast }

    /// One sentence for the UI and `--help`.
    public var summary: String {
        switch self {
        case .int8, .int4, .int3, .int2:
            let q = (1 << (bitsPerCode - 1)) - 1
            return "symmetric absmax integer: q = round(x / absmax * \(q)), \(2 * q + 1) levels from -\(q) to \(q), round half to even, fp32 scale per block"
        case .uint8Asym, .uint4Asym, .uint3Asym, .uint2Asym:
            return "asymmetric min-max integer (GPTQ style): \(1 << bitsPerCode) levels spanning [min(x, 0), max(x, 0)], fp16 scale and a \(bitsPerCode)-bit zero point per block"
        case .dynamic8:
            return "bitsandbytes' signed dynamic-exponent 8-bit map: a run of zero bits sets the exponent, so codes reach from 5.5e-7 to 1 with more fraction bits for large magnitudes; scaled by block absmax"
        case .dynamic8Unsigned:
            return "bitsandbytes' unsigned dynamic-exponent 8-bit map (Adam's second moment): 256 codes from 0 to 1, scaled by block absmax; negative values clamp to 0"
        case .nf4:
            return "bitsandbytes' NormalFloat 4-bit: 16 levels at normal quantiles with an exact zero (7 negative, 8 positive), scaled by block absmax"
        case .fp4:
            return "bitsandbytes' FP4 (sign, 2-bit exponent, 1-bit mantissa; levels 0, 1/192, 1/6, 1/4, 1/3, 1/2, 2/3, 1), scaled by block absmax, encoded with the CUDA thresholds"
        case .quantile8, .quantile4:
            return "codes at the tensor's own quantiles of x / block absmax, (i + 1/2) / \(1 << bitsPerCode) for each code i, so every code is used about equally often; the table is stored with the tensor"
        case .fp8E4M3:
            return "OCP FP8 E4M3 elements (max 448, no infinity), block absmax scaled to 448, round to nearest even"
        case .fp8E5M2:
            return "OCP FP8 E5M2 elements (max 57344), block absmax scaled to 57344, round to nearest even"
        case .fp6E2M3:
            return "OCP FP6 E2M3 elements (max 7.5), block absmax scaled to 7.5, round to nearest even"
        case .fp6E3M2:
            return "OCP FP6 E3M2 elements (max 28), block absmax scaled to 28, round to nearest even"
        case .fp4E2M1:
            return "OCP FP4 E2M1 elements (0, 0.5, 1, 1.5, 2, 3, 4, 6), block absmax scaled to 6, round to nearest even"
        case .mxfp8:
            return "OCP MXFP8: 32 E4M3 elements share a power-of-two E8M0 scale 2^(floor(log2 absmax) - 8); the block maximum can clip by up to 12.5 %"
        case .mxfp6:
            return "OCP MXFP6: 32 E2M3 elements share a power-of-two E8M0 scale 2^(floor(log2 absmax) - 2); the block maximum can clip by up to 6.25 %"
        case .mxfp4:
            return "OCP MXFP4: 32 E2M1 elements share a power-of-two E8M0 scale 2^(floor(log2 absmax) - 2); the block maximum can clip by up to 25 %"
        case .mxint8:
            return "OCP MXINT8: 32 int8 elements (k / 64) share a power-of-two E8M0 scale 2^floor(log2 absmax)"
        case .nvfp4:
            return "NVIDIA NVFP4: 16 E2M1 elements share an FP8 E4M3 scale, under one FP32 scale per tensor (absmax / (6 * 448))"
        case .q8_0:
            return "llama.cpp Q8_0: 32 int8 values and an fp16 scale d = absmax / 127 per block, rounded half away from zero (8.5 bits)"
        case .q4_0:
            return "llama.cpp Q4_0: 32 4-bit values and an fp16 scale d = (the value of largest |x|) / -8, so that value lands exactly on a level (4.5 bits)"
        case .q4_1:
            return "llama.cpp Q4_1: 32 4-bit values between the block min and max, fp16 scale and fp16 min (5 bits)"
        case .q4K:
            return "llama.cpp Q4_K: super-blocks of 256 = 8 × 32, each sub-block an asymmetric 4-bit fit (weighted search) with 6-bit scale and min under fp16 d and dmin (4.5 bits)"
        case .q6K:
            return "llama.cpp Q6_K: super-blocks of 256 = 16 × 16, each sub-block a symmetric 6-bit fit with an 8-bit scale under one fp16 d (6.5625 bits)"
        case .q5_0:
            return "llama.cpp Q5_0: 32 5-bit values and an fp16 scale d = (the value of largest |x|) / -16 (5.5 bits)"
        case .fp16:
            return "IEEE half precision cast (round to nearest even), a baseline"
        case .bf16:
            return "bfloat16 cast (round to nearest even), a baseline"
        }
    }
}
