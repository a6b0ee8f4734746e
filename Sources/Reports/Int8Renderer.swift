import TensorCore
import QuantCore
import TUI

/// Renders the LLM.int8() study (`qscope int8`): for each threshold, the input features kept in 16-bit
/// and the output error of plain int8 vector-wise and of the decomposition against fp32.
public struct Int8Renderer: Sendable {
    public var file: String
    public var study: Int8Study
    public var inFeatures: Int
    public var outFeatures: Int
    /// The threshold the contract's top-level fields report (`--threshold`).
    public var threshold: Float

    public init(file: String, study: Int8Study, inFeatures: Int, outFeatures: Int, threshold: Float) {
        self.file = file
        self.study = study
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.threshold = threshold
    }

    static func fields(_ r: Int8Decomposition.Result) -> [(String, JSONValue)] {
        [("threshold", .float(r.threshold)), ("outlier_columns", .array(r.outlierColumns.map { .int($0) })),
         ("fraction_16bit", .double(r.fraction16Bit)),
         ("error", .object([("int8_vectorwise", error(r.int8Vectorwise)), ("llm_int8", error(r.llmInt8))]))]
    }

    static func error(_ e: Int8Decomposition.MatmulError) -> JSONValue {
        .object([("rel_fro_err", .double(e.relFroErr)), ("max_abs_err", .double(e.maxAbsErr))])
    }

    public func render(_ format: OutputFormat) -> String {
        let rows = study.results
        switch format {
        case .json:
            // The contract's fields for --threshold (docs/ARCHITECTURE.md), then every threshold asked for.
            let main = study.result(near: threshold) ?? rows[0]
            return JSONValue.object([("activations", .string(study.activations)), ("weight", .string(study.weight))]
                + Self.fields(main)
                + [("file", .string(file)), ("tokens", .int(study.tokens)), ("in_features", .int(inFeatures)),
                   ("out_features", .int(outFeatures)), ("activation_absmax", .float(study.columnAbsmax.max() ?? 0)),
                   ("results", .array(rows.map { .object(Self.fields($0)) }))]).serialized() + "\n"
        case .csv:
            var out = CSV.line(["threshold", "outlier_columns", "fraction_16bit", "int8_rel_fro_err", "int8_max_abs_err",
                                "llm_int8_rel_fro_err", "llm_int8_max_abs_err"])
            for r in rows {
                out += CSV.line([JSONValue.float(r.threshold).serialized(), "\(r.outlierColumns.count)",
                                 JSONValue.double(r.fraction16Bit).serialized(),
                                 JSONValue.double(r.int8Vectorwise.relFroErr).serialized(), JSONValue.double(r.int8Vectorwise.maxAbsErr).serialized(),
                                 JSONValue.double(r.llmInt8.relFroErr).serialized(), JSONValue.double(r.llmInt8.maxAbsErr).serialized()])
            }
            return out
        case .markdown:
            var out = "| threshold | 16-bit columns | share | int8 rel. error | LLM.int8() rel. error | int8 max err | LLM.int8() max err |\n"
                + "|---:|---:|---:|---:|---:|---:|---:|\n"
            for r in rows {
                out += "| \(label(r.threshold)) | \(r.outlierColumns.count) | \(NumberFormat.fixed(r.fraction16Bit * 100, 2)) % | "
                    + "\(NumberFormat.compact(r.int8Vectorwise.relFroErr)) | \(NumberFormat.compact(r.llmInt8.relFroErr)) | "
                    + "\(NumberFormat.compact(r.int8Vectorwise.maxAbsErr)) | \(NumberFormat.compact(r.llmInt8.maxAbsErr)) |\n"
            }
            return out
        case .text:
            var out = "\(file): Y = X·Wᵀ with X = \(study.activations) (\(study.tokens)×\(inFeatures)), "
                + "W = \(study.weight) (\(outFeatures)×\(inFeatures)); errors against fp32\n"
            out += "activation absmax \(NumberFormat.compact(Double(study.columnAbsmax.max() ?? 0)))\n\n"
            out += "threshold".leftPad(10) + "16-bit cols".leftPad(13) + "share".leftPad(9) + "int8 rel.err".leftPad(14)
                + "LLM.int8()".leftPad(12) + "int8 max".leftPad(11) + "LLM max".leftPad(11) + "  columns\n"
            for r in rows {
                let cols = r.outlierColumns.prefix(8).map(String.init).joined(separator: ",") + (r.outlierColumns.count > 8 ? ",…" : "")
                out += label(r.threshold).leftPad(10) + "\(r.outlierColumns.count)".leftPad(13)
                    + (NumberFormat.fixed(r.fraction16Bit * 100, 2) + " %").leftPad(9)
                    + NumberFormat.compact(r.int8Vectorwise.relFroErr).leftPad(14) + NumberFormat.compact(r.llmInt8.relFroErr).leftPad(12)
                    + NumberFormat.compact(r.int8Vectorwise.maxAbsErr).leftPad(11) + NumberFormat.compact(r.llmInt8.maxAbsErr).leftPad(11)
                    + "  " + cols + "\n"
            }
            out += "Columns of X with any |x| ≥ threshold go through fp16 (and the matching columns of W); the rest through int8 "
                + "vector-wise. Threshold off = plain int8.\n"
            return out
        }
    }

    func label(_ t: Float) -> String { t > 0 ? JSONValue.float(t).serialized() : "off" }
}
