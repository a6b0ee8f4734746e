import QuantCore
import TUI
import TensorCore
import TensorIO

/// The safetensors entries `qscope quantize` writes for one quantized tensor.
///
/// For the datatypes bitsandbytes defines, the layout is the one it serialises,
/// so a user can load the file with bitsandbytes: NF4/FP4 as `Params4bit`
/// (packed nibbles, absmax, quant map, nested statistics and the quant-state
/// JSON), int8 with `--block row` as `Linear8bitLt` (`NAME` and `NAME.SCB`),
/// dynamic8 as codes, absmax and quant map. Other datatypes get their codes,
/// their per-block scales and the dequantized values.
public enum CheckpointLayout {
    public static func entries(name: String, tensor: Tensor, quantized q: QuantizedTensor,
                               withDequantized: Bool) -> [SafetensorsEntry] {
        let dt = q.config.dtype
        let n = tensor.count
        var out: [SafetensorsEntry] = []
        let blocks = q.absmax.count
        var deqWritten = false

        switch (dt, q.config.block) {
        case (.nf4, .elements(let bs)), (.fp4, .elements(let bs)):
            var packed = [UInt8](repeating: 0, count: (n + 1) / 2)
            let pad: UInt8 = dt == .nf4 ? 7 : 0 // an odd count pads with the code of 0.0, as bitsandbytes does
            for j in 0..<packed.count {
                let hi = q.codes[2 * j]
                let lo = 2 * j + 1 < n ? q.codes[2 * j + 1] : pad
                packed[j] = (hi << 4) | lo
            }
            out.append(SafetensorsEntry(name: name, dtype: "U8", shape: [packed.count, 1], bytes: packed))
            if let dq = q.doubleQuant {
                out.append(SafetensorsEntry(name: "\(name).absmax", shape: [blocks], uint8: dq.codes))
                out.append(SafetensorsEntry(name: "\(name).nested_absmax", shape: [dq.nestedAbsmax.count], floats: dq.nestedAbsmax))
                out.append(SafetensorsEntry(name: "\(name).nested_quant_map", shape: [256], floats: CodeTables.dynamicSigned))
            } else {
                out.append(SafetensorsEntry(name: "\(name).absmax", shape: [blocks], floats: q.absmax))
            }
            out.append(SafetensorsEntry(name: "\(name).quant_map", shape: [16], floats: dt == .nf4 ? CodeTables.nf4 : CodeTables.fp4))
            let state = quantStateJSON(quantType: dt.name, blocksize: bs, sourceDType: tensor.sourceDType,
                                       shape: tensor.shape, offset: q.doubleQuant?.offset)
            let bytes = Array(state.utf8)
            out.append(SafetensorsEntry(name: "\(name).quant_state.bitsandbytes__\(dt.name)", shape: [bytes.count], uint8: bytes))
        case (.int8, .row):
            let codes = q.codes.map { Int8(Int($0) - 127) }
            out.append(SafetensorsEntry(name: name, shape: [tensor.rows, tensor.cols], int8: codes))
            out.append(SafetensorsEntry(name: "\(name).SCB", shape: [blocks], floats: q.absmax))
        case (.dynamic8, _) where q.doubleQuant == nil:
            out.append(SafetensorsEntry(name: name, shape: tensor.shape, uint8: q.codes))
            out.append(SafetensorsEntry(name: "\(name).absmax", shape: [blocks], floats: q.absmax))
            out.append(SafetensorsEntry(name: "\(name).quant_map", shape: [256], floats: CodeTables.dynamicSigned))
        default:
            if dt.hasCodes {
                out.append(SafetensorsEntry(name: name, shape: tensor.shape, uint8: q.codes))
                out.append(SafetensorsEntry(name: "\(name).quant_map", shape: [q.codebook.codeCount], floats: q.codebook.levels))
                out.append(SafetensorsEntry(name: "\(name).scales", shape: [blocks], floats: q.normScale))
                if !q.zeroPoints.isEmpty {
                    out.append(SafetensorsEntry(name: "\(name).zero_points", shape: [blocks], floats: q.zeroPoints))
                }
                if !q.sharedExponents.isEmpty {
                    out.append(SafetensorsEntry(name: "\(name).shared_exponents", shape: [blocks], uint8: q.sharedExponents))
                }
                if !q.blockScaleCodes.isEmpty {
                    out.append(SafetensorsEntry(name: "\(name).block_scales", shape: [blocks], uint8: q.blockScaleCodes))
                }
                if let s = q.tensorScale {
                    out.append(SafetensorsEntry(name: "\(name).tensor_scale", shape: [1], floats: [s]))
                }
                if let dq = q.doubleQuant {
                    out.append(SafetensorsEntry(name: "\(name).absmax", shape: [blocks], uint8: dq.codes))
                    out.append(SafetensorsEntry(name: "\(name).nested_absmax", shape: [dq.nestedAbsmax.count], floats: dq.nestedAbsmax))
                    out.append(SafetensorsEntry(name: "\(name).nested_offset", shape: [1], floats: [dq.offset]))
                    out.append(SafetensorsEntry(name: "\(name).nested_quant_map", shape: [256], floats: CodeTables.dynamicSigned))
                }
                out.append(SafetensorsEntry(name: "\(name).dequantized", shape: tensor.shape, floats: q.dequantized))
                deqWritten = true
            } else {
                var bytes = [UInt8]()
                bytes.reserveCapacity(2 * n)
                for v in q.dequantized {
                    let bits = dt == .fp16 ? HalfPrecision.halfBits(from: v) : HalfPrecision.bfloat16Bits(from: v)
                    bytes.append(UInt8(truncatingIfNeeded: bits)); bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
                }
                out.append(SafetensorsEntry(name: name, dtype: dt == .fp16 ? "F16" : "BF16", shape: tensor.shape, bytes: bytes))
            }
        }
        if withDequantized && !deqWritten {
            out.append(SafetensorsEntry(name: "\(name).dequantized", shape: tensor.shape, floats: q.dequantized))
        }
        return out
    }

    /// bitsandbytes' `QuantState` JSON (`json.dumps` default separators, its key order).
    static func quantStateJSON(quantType: String, blocksize: Int, sourceDType: String, shape: [Int], offset: Float?) -> String {
        var s = "{\"quant_type\": \"\(quantType)\", \"blocksize\": \(blocksize), \"dtype\": \"\(torchDType(sourceDType))\", "
        s += "\"shape\": [\(shape.map(String.init).joined(separator: ", "))]"
        if let offset {
            s += ", \"nested_blocksize\": 256, \"nested_dtype\": \"float32\", \"nested_offset\": \(Double(offset))"
        }
        return s + "}"
    }

    /// The torch dtype name bitsandbytes records for the original tensor.
    static func torchDType(_ source: String) -> String {
        switch source.uppercased() {
        case "F16", "<F2", ">F2", "FLOAT16": "float16"
        case "BF16", "<V2", "BFLOAT16": "bfloat16"
        default: "float32"
        }
    }
}
