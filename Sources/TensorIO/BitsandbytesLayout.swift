import Foundation
import TensorCore

/// Finds bitsandbytes-quantized weights among a checkpoint's tensors and checks their side tensors.
///
/// `save_pretrained` of a `load_in_4bit` model writes each `Linear4bit` weight `W` as packed nibbles
/// (`W`, U8) beside `W.absmax`, `W.quant_map` and the quant state `W.quant_state.bitsandbytes__nf4`
/// (or `__fp4`): a U8 tensor holding JSON with `quant_type`, `blocksize`, `dtype`, `shape` and, with
/// double quantization, `nested_blocksize`, `nested_offset`, `nested_dtype`, when `W.absmax` holds
/// 8-bit codes dequantized through `W.nested_absmax` and `W.nested_quant_map`. A `Linear8bitLt`
/// layer `L` writes `L.weight` (I8), `L.SCB` (F32 row absmax) and `L.weight_format` (U8 0, "row");
/// `qscope quantize` writes `NAME` and `NAME.SCB`. Each such weight becomes one tensor of its logical
/// shape and its side tensors leave the list. Everything is checked here, from the header and the
/// quant-state bytes alone, so that a malformed layout is refused when the file opens, naming the tensor.
enum BitsandbytesLayout {
    /// One weight read as a logical tensor.
    struct Weight: Sendable {
        enum Kind: Sendable {
            case fourBit(FourBit)
            case int8(Int8Rows)
        }

        /// The logical tensor (named as the packed weight).
        var info: TensorInfo
        var kind: Kind
    }

    /// NF4/FP4: which tensors hold the codes and statistics, and how to combine them.
    struct FourBit: Sendable {
        /// The packed codes (element 2i in the high nibble of byte i).
        var codes: String
        var blocksize: Int
        /// F32[16]: each nibble's value in the normalised domain.
        var quantMap: String
        /// Float absmax per block, or (double quantization) U8 codes into `nested`.
        var absmax: String
        var nested: Nested?
        /// What the product is rounded to before it widens to `Float` (bitsandbytes returns this dtype).
        var output: Rounding
    }

    /// Double quantization: `absmax[i] = f32(quantMap[code[i]] · absmax[i / blocksize]) + offset`.
    struct Nested: Sendable {
        var blocksize: Int
        var offset: Float
        var absmax: String
        var quantMap: String
    }

    /// LLM.int8() row-wise weights: `f32(f32(q · SCB[row]) · f32(1/127))`.
    struct Int8Rows: Sendable {
        var codes: String
        var scb: String
        var rows: Int
        var cols: Int
    }

    /// The float dtype bitsandbytes dequantizes a 4-bit weight to.
    enum Rounding: String, Sendable {
        case float32, float16, bfloat16
    }

    /// The quant state's JSON is small; anything larger is not one.
    static let maxQuantStateBytes = 1 << 20
    static let quantStateInfix = ".quant_state.bitsandbytes__"
    /// safetensors dtypes that side tensors of float values may have.
    static let floatDTypes: Set<String> = ["F64", "F32", "F16", "BF16"]

    /// The logical tensors in file order (each weight where its codes were), the weights by name, and
    /// the tensors they absorbed by name.
    static func group(_ tensors: [TensorInfo], file path: String,
                      bytes: (String) throws(TensorFileError) -> [UInt8])
        throws(TensorFileError) -> (tensors: [TensorInfo], weights: [String: Weight], hidden: [String: TensorInfo]) {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var weights: [String: Weight] = [:]
        var owner: [String: String] = [:]
        func claim(_ parts: [String], for weight: String) throws(TensorFileError) {
            for p in parts {
                if let other = owner[p], other != weight {
                    throw TensorFileError(file: path, tensor: p, reason: "belongs to two bitsandbytes weights, '\(other)' and '\(weight)'")
                }
                owner[p] = weight
            }
        }
        for t in tensors {
            if let range = t.name.range(of: quantStateInfix, options: .backwards) {
                let base = String(t.name[..<range.lowerBound])
                let suffix = String(t.name[range.upperBound...])
                let (w, parts) = try fourBit(base: base, quantType: suffix, state: t, byName: byName, file: path, bytes: bytes)
                try claim(parts, for: base)
                weights[base] = w
            } else if t.name.hasSuffix(".SCB") {
                let (w, parts) = try int8(scb: t, byName: byName, file: path, bytes: bytes)
                try claim(parts, for: w.info.name)
                weights[w.info.name] = w
            }
        }
        guard !weights.isEmpty else { return (tensors, [:], [:]) }
        var out: [TensorInfo] = []
        var hidden: [String: TensorInfo] = [:]
        for t in tensors {
            if let w = weights[t.name] {
                out.append(w.info)
                hidden[t.name] = t
            } else if owner[t.name] != nil {
                hidden[t.name] = t
            } else {
                out.append(t)
            }
        }
        return (out, weights, hidden)
    }

    // MARK: NF4 / FP4

    private static func fourBit(base: String, quantType: String, state: TensorInfo, byName: [String: TensorInfo], file path: String,
                                bytes: (String) throws(TensorFileError) -> [UInt8]) throws(TensorFileError) -> (Weight, [String]) {
        func fail(_ reason: String) -> TensorFileError { TensorFileError(file: path, tensor: base, reason: reason) }
        let stateName = state.name
        guard quantType == "nf4" || quantType == "fp4" else {
            throw fail("unknown bitsandbytes quant type '\(quantType)' in \(stateName) (expected nf4 or fp4)")
        }
        guard let weight = byName[base] else { throw fail("\(stateName) has no packed weight '\(base)' beside it") }
        guard state.dtype == "U8" || state.dtype == "I8", state.shape.count == 1 else {
            throw fail("\(stateName) must be a 1-D U8 tensor of JSON bytes (it is \(state.dtype) \(state.shape))")
        }
        guard state.byteCount <= maxQuantStateBytes else {
            throw fail("\(stateName) holds \(state.byteCount) bytes, more than a quant state's JSON (at most \(maxQuantStateBytes))")
        }
        let json = try QuantStateJSON(bytes: try bytes(stateName), name: stateName, fail: fail)
        guard json.quantType == quantType else {
            throw fail("\(stateName) says quant_type \"\(json.quantType)\", not \(quantType)")
        }
        let n = json.count
        let packedBytes = n / 2 + n % 2
        guard weight.byteCount == packedBytes, SafetensorsFormat.storage(named: weight.dtype)?.isFloatConvertible ?? false else {
            throw fail("the packed weight is \(weight.dtype) \(weight.shape) (\(weight.byteCount) bytes); the quant state's shape \(json.shape) (\(n) values) needs \(packedBytes) bytes of two 4-bit codes each")
        }
        let blocks = n / json.blocksize + (n % json.blocksize == 0 ? 0 : 1)

        func side(_ suffix: String, floats: Bool, count: Int, what: String) throws(TensorFileError) -> String {
            let name = "\(base).\(suffix)"
            guard let t = byName[name] else { throw fail("the bitsandbytes quant state needs \(name) (\(what)), which the file lacks") }
            let kind = floats ? "a float tensor (F32, F16, BF16 or F64)" : "U8"
            guard floats ? floatDTypes.contains(t.dtype) : t.dtype == "U8" else {
                throw fail("\(name) (\(what)) must be \(kind), not \(t.dtype)")
            }
            guard t.count == count else {
                throw fail("\(name) (\(what)) holds \(t.count) values; shape \(json.shape) in blocks of \(json.blocksize) needs \(count)")
            }
            return name
        }

        let quantMap = try side("quant_map", floats: true, count: 16, what: "the 16 code values")
        var parts = [base, stateName, quantMap]
        var nested: Nested? = nil
        let absmax: String
        if let nb = json.nested {
            absmax = try side("absmax", floats: false, count: blocks, what: "8-bit codes of each block's absmax")
            let nestedBlocks = blocks / nb.blocksize + (blocks % nb.blocksize == 0 ? 0 : 1)
            let nAbsmax = try side("nested_absmax", floats: true, count: nestedBlocks,
                                   what: "the absmax of every \(nb.blocksize) block absmaxes")
            let nMap = try side("nested_quant_map", floats: true, count: 256, what: "the 256 values of the absmax codes")
            nested = Nested(blocksize: nb.blocksize, offset: nb.offset, absmax: nAbsmax, quantMap: nMap)
            parts += [absmax, nAbsmax, nMap]
        } else {
            for stray in ["nested_absmax", "nested_quant_map"] where byName["\(base).\(stray)"] != nil {
                throw fail("\(base).\(stray) is present but the quant state has no nested_blocksize, nested_offset or nested_dtype")
            }
            absmax = try side("absmax", floats: true, count: blocks, what: "each block's absmax")
            parts.append(absmax)
        }
        let bytesStored = parts.reduce(0) { $0 + (byName[$1]?.byteCount ?? 0) }
        let stored = StoredQuantization(dtype: quantType, scaling: .block(json.blocksize), doubleQuant: nested != nil,
                                        nestedBlock: nested?.blocksize, dequantizedDType: json.dtype.rawValue,
                                        layout: "bitsandbytes", parts: parts)
        let info = TensorInfo(name: base, dtype: quantType.uppercased(), shape: json.shape, count: n, byteCount: bytesStored,
                              isFloatConvertible: true, storedQuantization: stored)
        let fb = FourBit(codes: base, blocksize: json.blocksize, quantMap: quantMap, absmax: absmax, nested: nested, output: json.dtype)
        return (Weight(info: info, kind: .fourBit(fb)), parts)
    }

    /// The fields of bitsandbytes' packed quant state (`QuantState.as_dict(packed=True)`), checked.
    struct QuantStateJSON {
        struct NestedFields { var blocksize: Int; var offset: Float }

        var quantType: String
        var blocksize: Int
        var dtype: Rounding
        var shape: [Int]
        var count: Int
        var nested: NestedFields?

        init(bytes: [UInt8], name: String, fail: (String) -> TensorFileError) throws(TensorFileError) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw fail("\(name) is not a JSON object (bitsandbytes' quant state)")
            }
            guard let qt = object["quant_type"] as? String else { throw fail("\(name) has no string \"quant_type\"") }
            quantType = qt
            guard let bsAny = object["blocksize"], let bs = SafetensorsFormat.jsonInteger(bsAny), bs > 0, bs <= 1 << 30 else {
                throw fail("\(name): \"blocksize\" must be a positive integer (it is \(object["blocksize"].map { "\($0)" } ?? "missing"))")
            }
            blocksize = bs
            guard let d = object["dtype"] as? String, let r = Rounding(rawValue: d) else {
                throw fail("\(name): \"dtype\" must be float16, bfloat16 or float32, the dtypes bitsandbytes dequantizes to (it is \(object["dtype"].map { "\($0)" } ?? "missing"))")
            }
            dtype = r
            guard let dims = object["shape"] as? [Any], dims.count <= 32 else {
                throw fail("\(name): \"shape\" must be an array of at most 32 dimensions")
            }
            var shape: [Int] = []
            var count = 1
            for d in dims {
                guard let v = SafetensorsFormat.jsonInteger(d), v >= 0 else {
                    throw fail("\(name): \"shape\" \(dims) holds something other than non-negative integers")
                }
                let (p, overflow) = count.multipliedReportingOverflow(by: v)
                guard !overflow, p <= 1 << 50 else { throw fail("\(name): \"shape\" \(dims) overflows the element count") }
                shape.append(v)
                count = p
            }
            self.shape = shape
            self.count = count
            let nestedKeys = ["nested_blocksize", "nested_offset", "nested_dtype"]
            let present = nestedKeys.filter { object[$0] != nil }
            if present.isEmpty {
                nested = nil
            } else {
                guard present.count == 3 else {
                    throw fail("\(name) has \(present.joined(separator: ", ")) but not all of \(nestedKeys.joined(separator: ", "))")
                }
                guard let nb = SafetensorsFormat.jsonInteger(object["nested_blocksize"]!), nb > 0, nb <= 1 << 30 else {
                    throw fail("\(name): \"nested_blocksize\" must be a positive integer")
                }
                guard let number = object["nested_offset"] as? NSNumber, String(cString: number.objCType) != "c",
                      case let offset = Float(number.doubleValue), offset.isFinite else {
                    throw fail("\(name): \"nested_offset\" must be a finite number")
                }
                guard object["nested_dtype"] as? String == "float32" else {
                    throw fail("\(name): \"nested_dtype\" \(object["nested_dtype"]!) is not supported (bitsandbytes writes float32)")
                }
                nested = NestedFields(blocksize: nb, offset: offset)
            }
        }
    }

    // MARK: int8

    /// `NAME.SCB` beside `NAME` (qscope's layout) or `L.SCB` beside `L.weight` (Linear8bitLt's).
    private static func int8(scb: TensorInfo, byName: [String: TensorInfo], file path: String,
                             bytes: (String) throws(TensorFileError) -> [UInt8]) throws(TensorFileError) -> (Weight, [String]) {
        let stem = String(scb.name.dropLast(".SCB".count))
        let candidates = [stem, stem + ".weight"]
        guard let weight = candidates.lazy.compactMap({ byName[$0] }).first else {
            throw TensorFileError(file: path, tensor: scb.name,
                                  reason: "an int8 row absmax (SCB) without its weight (\(candidates.joined(separator: " or ")))")
        }
        let name = weight.name
        func fail(_ reason: String) -> TensorFileError { TensorFileError(file: path, tensor: name, reason: reason) }
        guard weight.dtype == "I8", weight.shape.count == 2 else {
            throw fail("\(scb.name) marks an LLM.int8() weight, which must be a 2-D I8 tensor (it is \(weight.dtype) \(weight.shape))")
        }
        let rows = weight.shape[0], cols = weight.shape[1]
        guard floatDTypes.contains(scb.dtype), scb.count == rows, scb.shape.count <= 1 else {
            throw fail("\(scb.name) must hold one float absmax per row (\(rows)); it is \(scb.dtype) \(scb.shape)")
        }
        var parts = [name, scb.name]
        // Linear8bitLt records the layout; only row-major (0) is defined since bitsandbytes 0.45.
        let formatName = stem + ".weight_format"
        if let format = byName[formatName] {
            guard format.count == 1, format.byteCount <= 8, ["U8", "I8", "I16", "I32", "I64", "U16", "U32", "U64"].contains(format.dtype) else {
                throw fail("\(formatName) must be one integer (it is \(format.dtype) \(format.shape))")
            }
            let raw = try bytes(formatName)
            let value = raw.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            guard value == 0 else {
                let names: [UInt64: String] = [1: "col32", 2: "col_turing", 3: "col_ampere"]
                throw fail("\(formatName) is \(value) (\(names[value] ?? "unknown")); only the row-major layout (0) is supported, as in bitsandbytes")
            }
            parts.append(formatName)
        }
        let bytesStored = parts.reduce(0) { $0 + (byName[$1]?.byteCount ?? 0) }
        let stored = StoredQuantization(dtype: "int8", scaling: .row, dequantizedDType: "float32", layout: "bitsandbytes", parts: parts)
        let info = TensorInfo(name: name, dtype: "INT8", shape: weight.shape, count: weight.count, byteCount: bytesStored,
                              isFloatConvertible: true, storedQuantization: stored)
        return (Weight(info: info, kind: .int8(Int8Rows(codes: name, scb: scb.name, rows: rows, cols: cols))), parts)
    }
}
