import TensorCore

/// The element types a PyTorch checkpoint names, through a storage class (`torch.FloatStorage`) or a
/// dtype (`torch.float8_e4m3fn`), with the safetensors-style name `list` shows for each.
///
/// Types qscope has no float meaning for (bool, complex, the FNUZ and E8M0 FP8 variants) are still
/// listed with their width, so a checkpoint holding a mask or a complex buffer opens; those tensors
/// are refused for analysis only.
enum PyTorchDType: String, Hashable, CaseIterable, Sendable {
    case float64, float32, float16, bfloat16
    case int64, int32, int16, int8, uint8, uint16, uint32, uint64
    case float8E4M3FN, float8E5M2, float8E4M3FNUZ, float8E5M2FNUZ, float8E8M0FNU
    case bool, complex64, complex128

    /// The name `list` shows: safetensors' spelling.
    var name: String {
        switch self {
        case .float64: "F64"
        case .float32: "F32"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .int64: "I64"
        case .int32: "I32"
        case .int16: "I16"
        case .int8: "I8"
        case .uint8: "U8"
        case .uint16: "U16"
        case .uint32: "U32"
        case .uint64: "U64"
        case .float8E4M3FN: "F8_E4M3"
        case .float8E5M2: "F8_E5M2"
        case .float8E4M3FNUZ: "F8_E4M3FNUZ"
        case .float8E5M2FNUZ: "F8_E5M2FNUZ"
        case .float8E8M0FNU: "F8_E8M0"
        case .bool: "BOOL"
        case .complex64: "C64"
        case .complex128: "C128"
        }
    }

    /// Bytes per element.
    var width: Int {
        switch self {
        case .float64, .int64, .uint64, .complex64: 8
        case .float32, .int32, .uint32: 4
        case .float16, .bfloat16, .int16, .uint16: 2
        case .int8, .uint8, .float8E4M3FN, .float8E5M2, .float8E4M3FNUZ, .float8E5M2FNUZ, .float8E8M0FNU, .bool: 1
        case .complex128: 16
        }
    }

    var storage: StorageType {
        switch self {
        case .float64: .float64
        case .float32: .float32
        case .float16: .float16
        case .bfloat16: .bfloat16
        case .int64: .int64
        case .int32: .int32
        case .int16: .int16
        case .int8: .int8
        case .uint8: .uint8
        case .uint16: .uint16
        case .uint32: .uint32
        case .uint64: .uint64
        case .float8E4M3FN: .float8E4M3
        case .float8E5M2: .float8E5M2
        case .float8E4M3FNUZ, .float8E5M2FNUZ, .float8E8M0FNU, .bool, .complex64, .complex128: .unsupported(name)
        }
    }

    /// `torch.<name>` as a dtype global (`_rebuild_tensor_v3`'s last argument): the canonical names only,
    /// which are what pickling a `torch.dtype` writes.
    init?(dtypeName: String) {
        switch dtypeName {
        case "float64": self = .float64
        case "float32": self = .float32
        case "float16": self = .float16
        case "bfloat16": self = .bfloat16
        case "int64": self = .int64
        case "int32": self = .int32
        case "int16": self = .int16
        case "int8": self = .int8
        case "uint8": self = .uint8
        case "uint16": self = .uint16
        case "uint32": self = .uint32
        case "uint64": self = .uint64
        case "float8_e4m3fn": self = .float8E4M3FN
        case "float8_e5m2": self = .float8E5M2
        case "float8_e4m3fnuz": self = .float8E4M3FNUZ
        case "float8_e5m2fnuz": self = .float8E5M2FNUZ
        case "float8_e8m0fnu": self = .float8E8M0FNU
        case "bool": self = .bool
        case "complex64": self = .complex64
        case "complex128": self = .complex128
        default: return nil
        }
    }

    /// `torch.<Name>Storage`, the typed storage classes of the persistent ids torch writes.
    init?(storageClass: String) {
        switch storageClass {
        case "DoubleStorage": self = .float64
        case "FloatStorage": self = .float32
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        case "ComplexFloatStorage": self = .complex64
        case "ComplexDoubleStorage": self = .complex128
        default: return nil
        }
    }
}
