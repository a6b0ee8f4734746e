/// A value on the unpickler's stack or in its memo.
///
/// Containers live in the machine's arenas and are named here by index, so that a hostile pickle can
/// nest containers a million deep or make one hold itself without any recursion in building, walking
/// or freeing them: the arenas are flat arrays, released at once.
enum PickleValue: Hashable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case tuple(Int)
    case list(Int)
    case dict(Int)
    /// One of the few globals a state dict names (never imported: a tag for REDUCE to act on).
    case global(PickleGlobal)
    case storage(Int)
    case tensor(Int)

    /// What the value is, for error messages.
    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "a bool"
        case .int: "an int"
        case .float: "a float"
        case .string: "a str"
        case .tuple: "a tuple"
        case .list: "a list"
        case .dict: "a dict"
        case .global(let g): g.qualifiedName
        case .storage: "a storage"
        case .tensor: "a tensor"
        }
    }
}

/// The globals the unpickler accepts: exactly what `torch.save` writes for a state dict.
enum PickleGlobal: Hashable {
    case orderedDict
    case rebuildTensorV2, rebuildTensorV3, rebuildParameter, rebuildParameterWithState
    /// `torch.FloatStorage` and the other typed storages; nil for `torch.UntypedStorage` (bytes).
    case storageClass(PyTorchDType?)
    /// A `torch.<dtype>`, the element type `_rebuild_tensor_v3` gives an untyped storage.
    case dtype(PyTorchDType)

    /// `module.name`, as the pickle wrote it.
    var qualifiedName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorV3: "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
        case .storageClass(nil): "torch.UntypedStorage"
        case .storageClass(let t?): "torch.\(PyTorchDType.storageClassNames[t] ?? t.rawValue)"
        case .dtype(let t): "torch.\(PyTorchDType.dtypeNames[t] ?? t.rawValue)"
        }
    }

    /// The allowed global `module.name`, or nil: everything else (os.system, builtins.eval, …) is refused.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): self = .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("torch", "UntypedStorage"), ("torch.storage", "UntypedStorage"): self = .storageClass(nil)
        case ("torch", let n):
            if let t = PyTorchDType(storageClass: n) { self = .storageClass(t) }
            else if let t = PyTorchDType(dtypeName: n) { self = .dtype(t) }
            else { return nil }
        default: return nil
        }
    }
}

extension PyTorchDType {
    static let storageClassNames: [PyTorchDType: String] = [
        .float64: "DoubleStorage", .float32: "FloatStorage", .float16: "HalfStorage", .bfloat16: "BFloat16Storage",
        .int64: "LongStorage", .int32: "IntStorage", .int16: "ShortStorage", .int8: "CharStorage", .uint8: "ByteStorage",
        .bool: "BoolStorage", .complex64: "ComplexFloatStorage", .complex128: "ComplexDoubleStorage",
    ]
    static let dtypeNames: [PyTorchDType: String] = [
        .float8E4M3FN: "float8_e4m3fn", .float8E5M2: "float8_e5m2", .float8E4M3FNUZ: "float8_e4m3fnuz",
        .float8E5M2FNUZ: "float8_e5m2fnuz", .float8E8M0FNU: "float8_e8m0fnu",
    ]
}

/// A storage named by a persistent id `('storage', class, key, location, numel)`: the member
/// `<archive>/data/<key>` of the checkpoint, never loaded by the unpickler.
struct PickleStorage: Equatable {
    /// The element type of a typed storage; nil for an untyped one (whose `numel` counts bytes).
    var dtype: PyTorchDType?
    var key: String
    /// Where torch kept it (`cpu`, `cuda:0`): informative only; the bytes are the same.
    var location: String
    var numel: Int

    var byteCount: Int { numel * (dtype?.width ?? 1) }
}

/// A tensor rebuilt by `_rebuild_tensor_v2`/`v3`: a view of a storage, its elements checked to lie inside it.
struct PickleTensor: Equatable {
    /// Index of the storage in the machine's arena.
    var storage: Int
    var dtype: PyTorchDType
    /// In elements.
    var offset: Int
    var shape: [Int]
    /// In elements, one per dimension, never negative.
    var strides: [Int]
    var count: Int
}

/// A dict's items in insertion order. Items are appended without hashing their keys (hashing a long key
/// once per SETITEM would let a small pickle cost hours); the names a walk of the state dict builds are
/// checked for duplicates once, at the end.
struct PickleDict {
    var keys: [PickleValue] = []
    var values: [PickleValue] = []

    mutating func set(_ key: PickleValue, _ value: PickleValue) {
        keys.append(key)
        values.append(value)
    }

    var count: Int { keys.count }
}
