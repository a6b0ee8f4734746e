import Foundation

/// BERT's uncased WordPiece tokenizer, as the model's own tokenizer (Hugging Face `tokenizers`) runs it.
///
/// The special tokens (`[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`) written literally in the text are
/// kept whole, as the tokenizer's added-token matching does; the rest goes through `BertPreTokenizer`
/// (clean-up, CJK spacing, accent stripping, lower-casing, whitespace and punctuation splitting), then
/// each word through greedy longest-match-first WordPiece with the `##` continuation prefix; a word of
/// more than `maxInputCharsPerWord` scalars, or one that cannot be covered by pieces, becomes `[UNK]`.
/// The ids are wrapped in `[CLS]` … `[SEP]` and truncated to `maxLength` in all (the pieces are cut,
/// `[SEP]` stays last).
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let maxLength: Int
    public let maxInputCharsPerWord: Int
    public let lowercase: Bool
    public let cls: Int32, sep: Int32, unk: Int32
    /// Literal special tokens, matched in the raw text before normalisation.
    let specials: [(text: String, id: Int32)]

    /// Every vocabulary file holds at most this many tokens (BERT's has 30 522).
    static let maximumTokens = 4_000_000

    public init(vocabulary: [String: Int32], maxLength: Int = 512, maxInputCharsPerWord: Int = 100,
                lowercase: Bool = true, source: String = "vocabulary") throws(InferenceError) {
        guard let cls = vocabulary["[CLS]"], let sep = vocabulary["[SEP]"], let unk = vocabulary["[UNK]"] else {
            throw .vocabulary(file: source, reason: "the vocabulary lacks one of [CLS], [SEP], [UNK]")
        }
        guard maxLength >= 2 else { throw .vocabulary(file: source, reason: "a maximum length of \(maxLength) leaves no room for [CLS] and [SEP]") }
        self.vocabulary = vocabulary
        self.maxLength = maxLength
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.lowercase = lowercase
        self.cls = cls; self.sep = sep; self.unk = unk
        self.specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { t in vocabulary[t].map { (t, $0) } }
    }

    /// Reads `vocab.txt` (one token a line, the line number its id) or, when it is absent,
    /// the WordPiece model's `vocab` object of `tokenizer.json`, from a model folder.
    public static func load(folder: String, maxLength: Int) throws(InferenceError) -> WordPieceTokenizer {
        let txt = folder + "/vocab.txt", json = folder + "/tokenizer.json"
        if FileManager.default.fileExists(atPath: txt) {
            return try WordPieceTokenizer(vocabulary: readVocabText(path: txt), maxLength: maxLength, source: txt)
        }
        if FileManager.default.fileExists(atPath: json) {
            return try WordPieceTokenizer(vocabulary: readTokenizerJSON(path: json), maxLength: maxLength, source: json)
        }
        throw .missingFile(txt)
    }

    /// `vocab.txt`: token = the line without its trailing whitespace, id = the line's index (a repeated
    /// token keeps its last index, as the reference loaders do).
    static func readVocabText(path: String) throws(InferenceError) -> [String: Int32] {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > JSONFile.maximumBytes {
            throw .vocabulary(file: path, reason: "\(size) bytes is too large for a vocabulary")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .missingFile(path) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .vocabulary(file: path, reason: "not UTF-8 text")
        }
        var vocab: [String: Int32] = [:]
        var index: Int32 = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if index >= Int32(maximumTokens) { throw .vocabulary(file: path, reason: "more than \(maximumTokens) tokens") }
            var token = Substring(line)
            while let last = token.unicodeScalars.last, last.properties.isWhitespace { token = token.dropLast() }
            vocab[String(token)] = index
            index += 1
        }
        // A final newline ends the last line; it does not start an empty token.
        if text.hasSuffix("\n") { if vocab[""] == index - 1 { vocab[""] = nil } }
        return vocab
    }

    /// `tokenizer.json`: `model.type` must be `WordPiece`; its `vocab` maps tokens to ids.
    static func readTokenizerJSON(path: String) throws(InferenceError) -> [String: Int32] {
        let root = try JSONFile(path: path)
        guard let model = root.object["model"] as? [String: Any] else {
            throw .malformedJSON(file: path, reason: "no 'model' object")
        }
        if let type = model["type"] as? String, type != "WordPiece" {
            throw .unsupported(file: path, reason: "the tokenizer model is \(type); qscope reads WordPiece vocabularies")
        }
        guard let raw = model["vocab"] as? [String: Any], raw.count <= maximumTokens else {
            throw .malformedJSON(file: path, reason: "'model.vocab' must be an object of at most \(maximumTokens) token ids")
        }
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(raw.count)
        for (token, value) in raw {
            guard let n = JSONFile.number(value), let id = Int32(exactly: n.doubleValue), id >= 0 else {
                throw .malformedJSON(file: path, reason: "token '\(token)' has no integer id")
            }
            vocab[token] = id
        }
        return vocab
    }

    /// The ids of one sentence: `[CLS]`, the pieces (cut to fit), `[SEP]`.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [cls]
        let budget = maxLength - 2
        for (segment, special) in splitOnSpecials(text) {
            if ids.count - 1 >= budget { break }
            if let special { ids.append(special); continue }
            for word in BertPreTokenizer.words(segment[...], lowercase: lowercase, stripAccents: lowercase) {
                wordPieces(word, into: &ids)
                if ids.count - 1 >= budget { break }
            }
        }
        if ids.count - 1 > budget { ids.removeLast(ids.count - 1 - budget) }
        ids.append(sep)
        return ids
    }

    /// The text cut at literal special tokens (leftmost match; the longest where two start together),
    /// compared scalar by scalar as the reference compares bytes.
    func splitOnSpecials(_ input: String) -> [(String, Int32?)] {
        let scalars = Array(input.unicodeScalars)
        var out: [(String, Int32?)] = []
        func text(_ r: Range<Int>) -> String {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: scalars[r])
            return String(v)
        }
        var start = 0, i = 0
        while i < scalars.count {
            if scalars[i] == "[" {
                var matched: (length: Int, id: Int32)? = nil
                for (t, id) in specials {
                    let ts = Array(t.unicodeScalars)
                    if i + ts.count <= scalars.count, Array(scalars[i..<i + ts.count]) == ts, ts.count > (matched?.length ?? 0) {
                        matched = (ts.count, id)
                    }
                }
                if let matched {
                    if start < i { out.append((text(start..<i), nil)) }
                    out.append((text(i..<i + matched.length), matched.id))
                    i += matched.length
                    start = i
                    continue
                }
            }
            i += 1
        }
        if start < scalars.count { out.append((text(start..<scalars.count), nil)) }
        return out
    }

    /// Greedy longest-match-first pieces of one word, or `[UNK]` for the whole word.
    func wordPieces(_ word: [Unicode.Scalar], into ids: inout [Int32]) {
        if word.count > maxInputCharsPerWord { ids.append(unk); return }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32? = nil
            while start < end {
                var piece = String.UnicodeScalarView()
                if start > 0 { piece.append(contentsOf: "##".unicodeScalars) }
                piece.append(contentsOf: word[start..<end])
                if let id = vocabulary[String(piece)] { found = id; break }
                end -= 1
            }
            guard let id = found else { ids.append(unk); return }
            pieces.append(id)
            start = end
        }
        ids.append(contentsOf: pieces)
    }
}
