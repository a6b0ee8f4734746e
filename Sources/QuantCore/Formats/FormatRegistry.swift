import TensorCore

/// Every datatype qscope offers, in the order pickers, sweeps and `--help` list them: the one table
/// of datatypes (ggml's `type_traits`).
///
/// A row wraps a concrete format; wrapping it here, where its type is known, is what lets the engine's
/// generic passes be specialised for each format (the hot loops see the concrete codec, not a
/// protocol), so adding a datatype is one new format value and one line below.
public enum FormatRegistry {
    public static let all: [FormatEntry] = [
        FormatEntry(SymmetricInteger(bits: 8)),
        FormatEntry(SymmetricInteger(bits: 4)),
        FormatEntry(SymmetricInteger(bits: 3)),
        FormatEntry(SymmetricInteger(bits: 2)),
        FormatEntry(AsymmetricInteger(bits: 8)),
        FormatEntry(AsymmetricInteger(bits: 4)),
        FormatEntry(AsymmetricInteger(bits: 3)),
        FormatEntry(AsymmetricInteger(bits: 2)),
        FormatEntry(CodeTableFormat.dynamic8),
        FormatEntry(CodeTableFormat.dynamic8Unsigned),
        FormatEntry(CodeTableFormat.nf4),
        FormatEntry(CodeTableFormat.fp4),
        FormatEntry(CodeTableFormat.af4),
        FormatEntry(QuantileCode(bits: 8)),
        FormatEntry(QuantileCode(bits: 4)),
        FormatEntry(ScaledElement(.e4m3, name: "fp8-e4m3")),
        FormatEntry(ScaledElement(.e5m2, name: "fp8-e5m2")),
        FormatEntry(ScaledElement(.e2m3, name: "fp6-e2m3")),
        FormatEntry(ScaledElement(.e3m2, name: "fp6-e3m2")),
        FormatEntry(ScaledElement(.e2m1, name: "fp4-e2m1")),
        FormatEntry(Microscaling(.e4m3, name: "mxfp8")),
        FormatEntry(Microscaling(.e2m3, name: "mxfp6")),
        FormatEntry(Microscaling(.e2m1, name: "mxfp4")),
        FormatEntry(Microscaling(nil, name: "mxint8")),
        FormatEntry(NVFP4()),
        FormatEntry(GGMLBlockFormat.q8_0),
        FormatEntry(GGMLBlockFormat.q4_0),
        FormatEntry(GGMLBlockFormat.q4_1),
        FormatEntry(GGMLBlockFormat.q5_0),
        FormatEntry(GGMLBlockFormat.q5_1),
        FormatEntry(GGMLBlockFormat.q2K),
        FormatEntry(GGMLBlockFormat.q3K),
        FormatEntry(GGMLBlockFormat.q4K),
        FormatEntry(GGMLBlockFormat.q5K),
        FormatEntry(GGMLBlockFormat.q6K),
        FormatEntry(GGMLBlockFormat.iq4NL),
        FormatEntry(HalfCast(bfloat16: false)),
        FormatEntry(HalfCast(bfloat16: true)),
    ]

    /// The rows by name.
    static let byName: [String: FormatEntry] = {
        var d: [String: FormatEntry] = [:]
        for e in all {
            precondition(d[e.traits.name] == nil, "two datatypes are named \(e.traits.name)")
            d[e.traits.name] = e
        }
        return d
    }()
}

/// One row of the registry: a format's traits and its engine entry points, specialised for it.
public struct FormatEntry: Sendable {
    public let traits: FormatTraits
    let format: any QuantFormat
    /// Runs a pass of the engine with this format's concrete codec.
    let engine: FormatEngine

    init<F: QuantFormat>(_ f: F) {
        traits = f.traits
        format = f
        engine = FormatEngine(f)
    }

    /// The format's paragraph for the explanation panel.
    public func explanation(_ facts: ExplanationFacts) -> String { format.explanation(facts) }
}

/// A datatype: a name in the registry.
///
/// The `--dtype` spellings are the contract of docs/ARCHITECTURE.md. The static members name the
/// datatypes the code refers to directly; every other fact comes from the format (`traits`).
public struct DataType: Sendable, Hashable, Codable, CustomStringConvertible, CaseIterable {
    /// The `--dtype` spelling.
    public let name: String

    private init(registered name: String) { self.name = name }

    /// Looks a datatype up by its `--dtype` spelling (case-insensitive; `_` accepted for `-` and back).
    public init?(name: String) {
        let lower = name.lowercased()
        for candidate in [lower, lower.replacingOccurrences(of: "_", with: "-"), lower.replacingOccurrences(of: "-", with: "_")]
            where FormatRegistry.byName[candidate] != nil {
            self.name = candidate
            return
        }
        return nil
    }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let d = DataType(name: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown datatype \(s)"))
        }
        self = d
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }

    /// Every datatype, in registry order.
    public static var allCases: [DataType] { FormatRegistry.all.map { DataType(registered: $0.traits.name) } }

    public var description: String { name }

    /// The datatype a tensor is stored in, when its file stores it quantized in a format qscope also
    /// offers (a GGUF `Q4_K` tensor is `q4_k`, a bitsandbytes NF4 weight `nf4`), so that it can be
    /// opened in its own format.
    public static func storedFormat(of info: TensorInfo) -> DataType? {
        if let stored = info.storedQuantization { return stored.quantConfig?.dtype }
        guard let d = DataType(name: info.dtype), d.traits.layout == .ggmlBlocks else { return nil }
        return d
    }

    /// The registry row.
    public var entry: FormatEntry { FormatRegistry.byName[name]! }
    public var traits: FormatTraits { entry.traits }

    public var family: FormatFamily { traits.family }
    public var bitsPerCode: Int { traits.bitsPerCode }
    public var fixedBlock: Int? { traits.fixedBlock }
    public var supportsDoubleQuant: Bool { traits.supportsDoubleQuant }
    public var hasCodes: Bool { traits.hasCodes }
    public var summary: String { traits.summary }

    public static let int8 = DataType(registered: "int8"), int4 = DataType(registered: "int4")
    public static let int3 = DataType(registered: "int3"), int2 = DataType(registered: "int2")
    public static let uint8Asym = DataType(registered: "uint8-asym"), uint4Asym = DataType(registered: "uint4-asym")
    public static let uint3Asym = DataType(registered: "uint3-asym"), uint2Asym = DataType(registered: "uint2-asym")
    public static let dynamic8 = DataType(registered: "dynamic8"), dynamic8Unsigned = DataType(registered: "dynamic8-unsigned")
    public static let nf4 = DataType(registered: "nf4"), fp4 = DataType(registered: "fp4")
    public static let quantile8 = DataType(registered: "quantile8"), quantile4 = DataType(registered: "quantile4")
    public static let fp8E4M3 = DataType(registered: "fp8-e4m3"), fp8E5M2 = DataType(registered: "fp8-e5m2")
    public static let fp6E2M3 = DataType(registered: "fp6-e2m3"), fp6E3M2 = DataType(registered: "fp6-e3m2")
    public static let fp4E2M1 = DataType(registered: "fp4-e2m1")
    public static let mxfp8 = DataType(registered: "mxfp8"), mxfp6 = DataType(registered: "mxfp6")
    public static let mxfp4 = DataType(registered: "mxfp4"), mxint8 = DataType(registered: "mxint8")
    public static let nvfp4 = DataType(registered: "nvfp4")
    public static let q8_0 = DataType(registered: "q8_0"), q4_0 = DataType(registered: "q4_0"), q4_1 = DataType(registered: "q4_1")
    public static let q5_0 = DataType(registered: "q5_0"), q5_1 = DataType(registered: "q5_1")
    public static let q2K = DataType(registered: "q2_k"), q3K = DataType(registered: "q3_k"), q4K = DataType(registered: "q4_k")
    public static let q5K = DataType(registered: "q5_k"), q6K = DataType(registered: "q6_k"), iq4NL = DataType(registered: "iq4_nl")
    public static let fp16 = DataType(registered: "fp16"), bf16 = DataType(registered: "bf16")
}
