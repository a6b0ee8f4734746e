import Foundation
import Testing
import QuantCore
import TensorIO
import Terminal
import TUI
@testable import Workbench
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `E`: the view on screen written as an SVG figure and as text, through `update` and the effect runner.
@Suite("view export", .serialized)
struct ViewExportTests {
    /// A fresh folder for one test's files.
    static func exportFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The export command `E` asks for, pointed at `dir` instead of the current folder.
    static func exportCommand(_ h: inout Harness, into dir: URL) throws -> Command {
        let commands = Update.apply(.key(.char("E")), to: &h.state)
        guard commands.count == 1, case .export(var e) = commands[0] else {
            Issue.record("E gave \(commands)")
            throw CancellationError()
        }
        e.directory = dir.path
        return .export(e)
    }

    @Test func exportWritesTheFigureAndTheScreen() throws {
        var h = try Harness()
        let dir = try Self.exportFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let command = try Self.exportCommand(&h, into: dir)
        guard case .export(let e) = command else { return }
        #expect(e.baseName == "encoder.layer.0.output.dense.weight-nf4-b64")
        // The text is the screen as rendered.
        #expect(e.text == h.screen.lines().joined(separator: "\n") + "\n")
        h.run([command])
        let svg = dir.appendingPathComponent("encoder.layer.0.output.dense.weight-nf4-b64.svg")
        let txt = dir.appendingPathComponent("encoder.layer.0.output.dense.weight-nf4-b64.txt")
        let svgText = try String(contentsOf: svg, encoding: .utf8)
        #expect(try String(contentsOf: txt, encoding: .utf8).contains("SQNR"))
        #expect(XMLParser(data: Data(svgText.utf8)).parse())
        // The histogram figure, with NF4's 16 levels.
        #expect(svgText.components(separatedBy: "class=\"level\"").count - 1 == 16)
        #expect(h.state.status.hasPrefix("wrote encoder.layer.0.output.dense.weight-nf4-b64.svg and "))
        #expect(h.state.status.contains(dir.lastPathComponent))
        // A second export does not replace the first.
        h.run([try Self.exportCommand(&h, into: dir)])
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("encoder.layer.0.output.dense.weight-nf4-b64-2.svg").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("encoder.layer.0.output.dense.weight-nf4-b64-2.txt").path))
    }

    /// A view that is not a histogram is kept as its text, in the SVG too.
    @Test func exportOfADeepViewKeepsItsText() throws {
        var h = try Harness()
        h.send(.char("e"))
        #expect(h.state.deepView == .explanation)
        let dir = try Self.exportFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let command = try Self.exportCommand(&h, into: dir)
        guard case .export(let e) = command else { return }
        #expect(e.baseName == "encoder.layer.0.output.dense.weight-nf4-b64-explanation")
        #expect(XMLParser(data: Data(e.svg.utf8)).parse())
        #expect(e.svg.contains("explanation") && e.svg.contains("class=\"mono\""))
        h.run([command])
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(e.baseName + ".txt").path))
        #expect(h.state.deepView == .explanation)
    }

    @Test func eIsInTheKeymapAndTheHelp() {
        #expect(Keymap.action(for: .char("E")) == .export)
        #expect(Keymap.action(for: .char("E"), in: .sweep) == .export)
        #expect(Keymap.bindings.contains { $0.action == .export && $0.help.contains("SVG") })
    }
}
