import Foundation
import Testing

/// `E` in the real workbench (tmux): the figure and the screen's text land in the current folder and
/// the status line says where, while the app keeps running.
@Suite("view export in tmux", .serialized, .enabled(if: TmuxSession.available))
struct ExportEndToEndTests {
    @Test func eWritesTheFigureAndTheText() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-e2e-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sample = CLI.repoRoot.appendingPathComponent("samples/minilm-l6.safetensors").path
        let t = try TmuxSession(width: 120, height: 40)
        defer { t.close() }
        try t.wait { $0.contains("$") }
        try t.type("cd '\(dir.path)' && '\(CLI.binary.path)' '\(sample)'")
        try t.wait { $0.contains("SQNR") && $0.contains("dB") && $0.contains("q quit") }
        try t.send("E")
        let s = try t.wait(timeout: 60) { $0.contains("wrote encoder.layer.0.output.dense.weight-nf4-b64.svg") }
        #expect(s.contains("wrote encoder.layer.0.output.dense.weight-nf4-b64.svg"), "\(s)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["encoder.layer.0.output.dense.weight-nf4-b64.svg", "encoder.layer.0.output.dense.weight-nf4-b64.txt"])
        let text = try String(contentsOf: dir.appendingPathComponent("encoder.layer.0.output.dense.weight-nf4-b64.txt"), encoding: .utf8)
        #expect(text.contains("SQNR") && text.contains("outlier columns"))
        let svg = try String(contentsOf: dir.appendingPathComponent("encoder.layer.0.output.dense.weight-nf4-b64.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("nf4 · block 64") && svg.hasSuffix("</svg>\n"))
        try t.send("q")
        try t.wait { $0.contains("$") && !$0.contains("SQNR") }
    }
}
