import Foundation

/// BERT's basic tokenizer: the text clean-up, normalisation and word splitting that come before
/// WordPiece, as Hugging Face's `BertNormalizer` and `BertPreTokenizer` define them.
///
/// In order: remove NUL, U+FFFD and every "other" character (general categories Cc, Cf, Cn, Co, Cs,
/// except tab, newline and carriage return) and turn every whitespace character into a space; put
/// spaces around CJK ideographs; strip accents (canonical decomposition, NFD, then drop the
/// non-spacing marks, category Mn); lower-case each scalar with its full lower-case mapping. Words
/// are then split at whitespace (dropped) and at punctuation (kept, one character per word), where
/// punctuation is ASCII punctuation (which includes `$+<=>^`|~`) or a Unicode P* category.
enum BertPreTokenizer {
    /// The words of `text`, each as its Unicode scalars.
    static func words(_ text: Substring, lowercase: Bool = true, stripAccents: Bool = true) -> [[Unicode.Scalar]] {
        var cleaned = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || isOther(s) { continue }
            if isWhitespace(s) {
                cleaned.append(" ")
            } else if isChineseCharacter(s) {
                cleaned.append(" "); cleaned.append(s); cleaned.append(" ")
            } else {
                cleaned.append(s)
            }
        }
        var normalized = String.UnicodeScalarView()
        if stripAccents {
            for s in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars where s.properties.generalCategory != .nonspacingMark {
                normalized.append(s)
            }
        } else {
            normalized = cleaned
        }
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        func flush() { if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) } }
        for s in normalized {
            // Lower-casing comes after accent stripping, so the marks it introduces (İ → i + U+0307) stay.
            let mapped: [Unicode.Scalar] = lowercase && s.properties.changesWhenLowercased
                ? Array(s.properties.lowercaseMapping.unicodeScalars) : [s]
            for m in mapped {
                if isWhitespace(m) {
                    flush()
                } else if isPunctuation(m) {
                    flush()
                    words.append([m])
                } else {
                    current.append(m)
                }
            }
        }
        flush()
        return words
    }

    /// Tab, newline and carriage return, and every scalar with the Unicode White_Space property.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    /// General categories Cc, Cf, Cn, Co and Cs, except tab, newline and carriage return (kept as whitespace).
    static func isOther(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks and their extensions and compatibility blocks, as BERT lists them.
    static func isChineseCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// ASCII punctuation (33–47, 58–64, 91–96, 123–126) or a Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po).
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
