import Foundation
import Testing
@testable import Inference

@Suite("WordPiece tokenizer")
struct TokenizerTests {
    @Test("every fixture string gives the model's own tokenizer's ids")
    func matchesReference() throws {
        let tok = try MiniLM.encoder().tokenizer
        #expect(tok.maxLength == 256)
        for c in try MiniLM.tokenCases() {
            #expect(tok.encode(c.text) == c.ids, "\(c.text.prefix(60))")
        }
    }

    @Test("an over-long input is cut to 256 ids with [SEP] last")
    func truncation() throws {
        let tok = try MiniLM.encoder().tokenizer
        let ids = tok.encode(Array(repeating: "quantization", count: 300).joined(separator: " "))
        #expect(ids.count == 256)
        #expect(ids.first == tok.cls && ids.last == tok.sep)
    }

    @Test("tokenizer.json's WordPiece vocabulary gives the same ids as vocab.txt")
    func tokenizerJSON() throws {
        let vocab = try WordPieceTokenizer.readVocabText(path: MiniLM.folder + "/vocab.txt")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-tokjson-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json: [String: Any] = ["model": ["type": "WordPiece", "vocab": vocab.mapValues { Int($0) }]]
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("tokenizer.json"))
        let fromJSON = try WordPieceTokenizer.load(folder: dir.path, maxLength: 256)
        let fromText = try MiniLM.encoder().tokenizer
        for c in try MiniLM.tokenCases() { #expect(fromJSON.encode(c.text) == fromText.encode(c.text)) }
    }

    @Test("a vocabulary without [CLS], [SEP] or [UNK] is refused with its name")
    func missingSpecials() {
        #expect(throws: InferenceError.self) { try WordPieceTokenizer(vocabulary: ["a": 0], source: "v.txt") }
    }

    @Test("BERT punctuation includes ASCII symbols and Unicode P* categories; CJK ideographs stand alone")
    func preTokenizer() {
        let words = BertPreTokenizer.words("a$b 中文 Ça—x".dropFirst(0)).map { String(String.UnicodeScalarView($0)) }
        #expect(words == ["a", "$", "b", "中", "文", "ca", "—", "x"])
    }
}
