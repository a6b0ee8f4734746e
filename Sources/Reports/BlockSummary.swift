import TensorCore
import Foundation
import QuantCore
import TUI

/// The few lines that say what a block is (index, extent, scale, double quantization, error), shown
/// at the top of the block inspector and of `qscope inspect`'s text output.
public enum BlockSummary {
    public static func lines(_ ins: BlockInspection) -> [String] {
        let blockCount = ins.blockCount
        let f = NumberFormat.compact
        let end = ins.start + (ins.count - 1) * ins.stride
        var lines = ["block \(ins.index) of \(blockCount) (0…\(blockCount - 1)) · \(ins.count) elements, flat index \(ins.start)…\(end)"
                     + (ins.isContiguous ? "" : " step \(ins.stride)")]
        var scale = "min \(f(Double(ins.minimum)))  max \(f(Double(ins.maximum)))"
        if let m = ins.absmax { scale += "  absmax \(f(Double(m)))" }
        if let sc = ins.scale { scale += "  scale (x ÷ this) \(f(Double(sc)))" }
        if let z = ins.zeroPoint { scale += "  zero point \(f(Double(z)))" }
        lines.append(scale)
        if let before = ins.absmaxBeforeDoubleQuant, let after = ins.absmaxAfterDoubleQuant {
            let rel = before == 0 ? 0 : Double(after - before) / Double(before)
            lines.append("double quant: absmax \(f(Double(before))) → \(f(Double(after))) after its own 8-bit quantization ("
                         + String(format: "%+.3f %%", rel * 100) + "); codes are chosen with the first, decoded with the second")
        }
        let errs = ins.errors.map { Double(abs($0)) }.filter(\.isFinite)
        let worst = errs.indices.max { errs[$0] < errs[$1] }
        let sse = errs.reduce(0) { $0 + $1 * $1 }
        var e = "block squared error \(f(sse))"
        if let w = worst { e += "  largest |err| \(f(errs[w])) at element \(w) (flat \(ins.start + w * ins.stride))" }
        if !ins.codes.isEmpty { e += "  codes used \(Set(ins.codes).count)" }
        lines.append(e)
        return lines
    }
}
