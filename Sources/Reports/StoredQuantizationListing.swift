import TensorCore

/// How `list` shows a tensor that the file stores quantized (a bitsandbytes weight).
extension StoredQuantization {
    /// The `quantization` object of `list --format json` (docs/ARCHITECTURE.md).
    var json: JSONValue {
        let block: JSONValue = switch scaling {
        case .block(let n): .int(n)
        case .row: .string("row")
        }
        return .object([
            ("layout", .string(layout)), ("dtype", .string(dtype)), ("block", block), ("double_quant", .bool(doubleQuant)),
            ("nested_block", nestedBlock.map { .int($0) } ?? .null),
            ("dequantized_dtype", dequantizedDType.map { .string($0) } ?? .null),
            ("parts", .array(parts.map { .string($0) })),
        ])
    }
}

extension TensorInfo {
    /// The fields `list --format json` prints for a tensor; `quantization` only for a stored-quantized one.
    var listJSON: JSONValue {
        var fields: [(String, JSONValue)] = [("name", .string(name)), ("dtype", .string(dtype)),
                                             ("shape", .array(shape.map { .int($0) })), ("count", .int(count)), ("bytes", .int(byteCount))]
        if let q = storedQuantization { fields.append(("quantization", q.json)) }
        return .object(fields)
    }

    /// What `list` adds after a tensor's size in text.
    var listNote: String {
        if let q = storedQuantization { return "  (\(q.summary))" }
        return isFloatConvertible ? "" : "  (cannot be analysed)"
    }
}
