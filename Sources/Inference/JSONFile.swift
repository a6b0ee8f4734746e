import Foundation

/// A small JSON object read from a model folder, with typed look-ups that name the file and the key
/// when something is missing or of the wrong type.
struct JSONFile {
    let path: String
    let object: [String: Any]

    /// Files larger than this are not configuration files (tokenizer.json is read separately).
    static let maximumBytes = 64 << 20

    init(path: String) throws(InferenceError) {
        self.path = path
        let value = try JSONFile.parse(path: path)
        guard let object = value as? [String: Any] else {
            throw .malformedJSON(file: path, reason: "expected a JSON object at the top level")
        }
        self.object = object
    }

    /// Parses any JSON value from `path`.
    static func parse(path: String) throws(InferenceError) -> Any {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { throw .missingFile(path) }
        if let size = attributes[.size] as? Int, size > maximumBytes {
            throw .malformedJSON(file: path, reason: "\(size) bytes is too large for a configuration file")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .missingFile(path) }
        do {
            return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw .malformedJSON(file: path, reason: "not valid JSON (\(error.localizedDescription))")
        }
    }

    /// An integer field within `range`; `fallback` when absent (nil: required).
    func int(_ key: String, in range: ClosedRange<Int>, fallback: Int? = nil) throws(InferenceError) -> Int {
        guard let raw = object[key] else {
            if let fallback { return fallback }
            throw .malformedJSON(file: path, reason: "missing the integer field '\(key)'")
        }
        guard let n = JSONFile.number(raw), let v = Int(exactly: n.doubleValue), range.contains(v) else {
            throw .malformedJSON(file: path, reason: "'\(key)' must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// A number field within `range`; `fallback` when absent (nil: required).
    func double(_ key: String, in range: ClosedRange<Double>, fallback: Double? = nil) throws(InferenceError) -> Double {
        guard let raw = object[key] else {
            if let fallback { return fallback }
            throw .malformedJSON(file: path, reason: "missing the number field '\(key)'")
        }
        guard let n = JSONFile.number(raw), range.contains(n.doubleValue) else {
            throw .malformedJSON(file: path, reason: "'\(key)' must be a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return n.doubleValue
    }

    /// A string field; `fallback` when absent (nil: required).
    func string(_ key: String, fallback: String? = nil) throws(InferenceError) -> String {
        guard let raw = object[key] else {
            if let fallback { return fallback }
            throw .malformedJSON(file: path, reason: "missing the string field '\(key)'")
        }
        guard let s = raw as? String else { throw .malformedJSON(file: path, reason: "'\(key)' must be a string") }
        return s
    }

    /// A JSON number, or nil for anything else, `true` and `false` included (Foundation bridges every number
    /// to `Bool` and back, so `is Bool` cannot tell them apart; a boolean's Objective-C type is `c`).
    static func number(_ value: Any) -> NSNumber? {
        guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
        return n
    }

    /// A boolean field; `fallback` when absent.
    func bool(_ key: String, fallback: Bool) throws(InferenceError) -> Bool {
        guard let raw = object[key] else { return fallback }
        guard JSONFile.number(raw) == nil, let b = raw as? Bool else {
            throw .malformedJSON(file: path, reason: "'\(key)' must be true or false")
        }
        return b
    }
}
