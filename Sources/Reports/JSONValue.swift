/// A JSON value whose objects keep their key order.
///
/// The `report`, `list` and `sweep` outputs are contracts read by scripts; a
/// stable key order makes them diffable. Non-finite numbers have no JSON
/// spelling and are written as `null` (the report says what was excluded).
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case float(Float)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    /// Serialises with two-space indentation (`pretty`) or on one line.
    public func serialized(pretty: Bool = true) -> String {
        var out = ""
        write(into: &out, indent: pretty ? 0 : nil)
        return out
    }

    private func write(into out: inout String, indent: Int?) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? JSONValue.number(d) : "null"
        case .float(let f): out += f.isFinite ? JSONValue.number(f) : "null"
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            // Arrays of scalars stay on one line: histograms and code usage would otherwise run for pages.
            let scalar = items.allSatisfy { if case .array = $0 { false } else if case .object = $0 { false } else { true } }
            if items.isEmpty { out += "[]"; return }
            if scalar || indent == nil {
                out += "["
                for (i, v) in items.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    v.write(into: &out, indent: nil)
                }
                out += "]"
            } else {
                let inner = indent! + 2
                out += "[\n"
                for (i, v) in items.enumerated() {
                    out += String(repeating: " ", count: inner)
                    v.write(into: &out, indent: inner)
                    out += i + 1 < items.count ? ",\n" : "\n"
                }
                out += String(repeating: " ", count: indent!) + "]"
            }
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            guard let indent else {
                out += "{"
                for (i, (k, v)) in pairs.enumerated() {
                    if i > 0 { out += "," }
                    JSONValue.quote(k, into: &out); out += ":"
                    v.write(into: &out, indent: nil)
                }
                out += "}"
                return
            }
            let inner = indent + 2
            out += "{\n"
            for (i, (k, v)) in pairs.enumerated() {
                out += String(repeating: " ", count: inner)
                JSONValue.quote(k, into: &out); out += ": "
                v.write(into: &out, indent: inner)
                out += i + 1 < pairs.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    /// Shortest round-tripping decimal; integral values keep a `.0`-free form JSON readers accept.
    static func number<F: BinaryFloatingPoint & LosslessStringConvertible>(_ x: F) -> String {
        var s = "\(x)"
        if s.hasSuffix(".0") { s.removeLast(2) }
        if s == "-0" { s = "0" }
        return s
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
