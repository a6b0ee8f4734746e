import Foundation
import QuantCore
import Reports
import TUI
import TensorIO
import Terminal
import Testing
@testable import Workbench

/// A workbench on the bundled MiniLM sample, with analyses run synchronously.
struct Harness {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples/minilm-l6.safetensors").path
    let file: TensorFile
    let runner: EffectRunner
    var state: WorkbenchState
    /// Analyses performed (cache hits included: they come back as messages too).
    var analyses = 0

    init(width: Int = 120, height: Int = 40) throws {
        file = try TensorFile.open(Harness.sample)
        runner = EffectRunner(service: AnalysisService(file: file, options: AnalysisOptions(bins: 160, threads: 1),
                                                       sweepConfigurations: Harness.sweepConfigurations))
        state = WorkbenchState(file: Harness.sample, tensors: file.tensors)
        state.width = width
        state.height = height
        state.selection = 0
        state.activationCandidates = try TensorFile.open(Harness.activationsFile).tensors.map {
            ActivationSource(file: Harness.activationsFile, info: $0)
        }
        send(.enter)
    }

    /// Presses a key and runs every command it leads to, to completion, through the app's own runner.
    mutating func send(_ key: Key) {
        run(Update.apply(.key(key), to: &state))
    }

    static let activationsFile = URL(fileURLWithPath: sample).deletingLastPathComponent()
        .appendingPathComponent("minilm-l6-activations.safetensors").path
    /// The configurations the harness sweeps (a small set: the sweep engine has its own tests).
    static let sweepConfigurations = QuantCore.Sweep.addingDoubleQuant(
        QuantCore.Sweep.configurations(datatypes: [.int4, .nf4, .fp4, .int8, .mxfp4, .nvfp4],
                                       blocks: [.elements(32), .elements(64), .elements(256)]))

    mutating func run(_ commands: [Command]) {
        var pending = commands
        while !pending.isEmpty {
            analyses += pending.filter { if case .analyze = $0 { return true } else { return false } }.count
            var next: [Command] = []
            for m in runner.perform(pending) { next += Update.apply(m, to: &state) }
            pending = next
        }
    }

    var screen: Buffer { WorkbenchView.render(state) }
}

@Suite("workbench update", .serialized)
struct UpdateTests {
    @Test func keysChangeTheConfigurationAndEveryPane() throws {
        var h = try Harness()
        #expect(h.state.openTensor == "encoder.layer.0.output.dense.weight")
        #expect(h.state.config == QuantConfig(dtype: .nf4, block: .elements(64)))
        let nf4 = try #require(h.state.analysis?.metrics.sqnrDB)
        h.send(.char("d"))
        #expect(h.state.dtype == .fp4)
        #expect(h.state.analysis?.config.dtype == .fp4)
        #expect(h.state.analysis?.metrics.sqnrDB != nf4)
        h.send(.char("D"))
        #expect(h.state.dtype == .nf4)
        h.send(.char("b"))
        #expect(h.state.config.block == .elements(128))
        h.send(.char("B")); h.send(.char("B"))
        #expect(h.state.config.block == .elements(32))
        h.send(.char("x"))
        #expect(h.state.config.doubleQuant)
        #expect(abs((h.state.analysis?.metrics.bitsPerParam ?? 0) - 4.25) < 0.01)
    }

    @Test func fixedBlockFormatsKeepTheUsersBlock() throws {
        var h = try Harness()
        h.send(.char("b"))
        h.state.dtype = .mxint8
        h.send(.char("d")) // mxint8 → nvfp4
        #expect(h.state.config.block == .elements(16))
        h.send(.char("b"))
        #expect(h.state.status.contains("fixed block of 16"))
        h.send(.char("d")) // → q8_0, a GGUF block of 32
        #expect(h.state.config.block == .elements(32))
        while h.state.dtype != .int8 { h.send(.char("d")) } // … fp16, bf16, int8: the user's block again
        #expect(h.state.dtype == .int8 && h.state.config.block == .elements(128))
    }

    @Test func staleResultsAreDropped() throws {
        var h = try Harness()
        let old = try #require(h.state.analysis)
        var s = h.state
        let first = Update.apply(.key(.char("d")), to: &s)
        let second = Update.apply(.key(.char("d")), to: &s)
        guard case .analyze(let k1, let g1) = first.first, case .analyze(_, let g2) = second.first else {
            Issue.record("no analysis requested"); return
        }
        #expect(g2 == g1 + 1)
        #expect(s.busy)
        // The first result arrives after the second request: dropped, old figures stay.
        _ = Update.apply(.analyzed(generation: g1, key: k1, analysis: old), to: &s)
        #expect(s.busy)
        #expect(s.analysis?.config == old.config)
        h.state = s
    }

    @Test func browserFilterAndNonFloatTensors() throws {
        var h = try Harness()
        h.send(.char("/"))
        for c in "query" { h.send(.char(c)) }
        #expect(h.state.visibleTensors.map(\.name) == ["encoder.layer.0.attention.self.query.weight"])
        h.send(.enter)
        h.send(.enter)
        #expect(h.state.openTensor == "encoder.layer.0.attention.self.query.weight")
        h.send(.escape)
        #expect(h.state.filter.isEmpty && h.state.visibleTensors.count == 5)
        h.send(.char("G"))
        #expect(h.state.selection == 4)
        h.send(.char("k")); h.send(.char("g"))
        #expect(h.state.selection == 0)
    }

    @Test func outlierThresholdMovesWithoutReanalysis() throws {
        var h = try Harness()
        let before = h.analyses
        #expect(h.state.outlierColumns.map(\.index) == [856, 1374, 46])
        for _ in 0..<12 { h.send(.char("o")) }
        #expect(h.analyses == before)
        h.state.outlierK = 1000
        #expect(h.state.outlierColumns.isEmpty)
        for _ in 0..<20 { h.send(.char("O")) }
        #expect(h.state.outlierColumns.first?.index == 856)
    }

    @Test func pinShowsDeltas() throws {
        var h = try Harness()
        h.send(.char("p"))
        #expect(h.state.pin?.config.dtype == .nf4)
        h.send(.char("d"))
        let text = h.screen.text
        #expect(text.contains("vs pin"))
        #expect(text.contains("-2.78")) // fp4 is 2.78 dB below nf4 on this tensor
    }

    @Test func everyDatatypeAndBlockRendersInBothDomains() throws {
        var h = try Harness(width: 80, height: 24)
        h.state.openTensor = "encoder.layer.0.attention.output.LayerNorm.weight" // 1-D, 384 values: quick
        for _ in DataType.allCases {
            h.send(.char("d"))
            for domain in [true, false] {
                h.state.normalizedDomain = domain
                let text = h.screen.text
                #expect(text.contains("SQNR"), "\(h.state.dtype)")
            }
        }
        for _ in BlockSize.cycle {
            h.send(.char("b"))
            #expect(h.screen.text.contains("block \(h.state.config.block)"))
        }
        h.send(.char("t"))
        #expect(h.state.status.hasPrefix("theme"))
    }

    @Test func helpThemeAndQuit() throws {
        var h = try Harness()
        h.send(.char("?"))
        #expect(h.state.showHelp)
        h.send(.char("d")) // keys do not leak through the overlay
        #expect(h.state.dtype == .nf4)
        h.send(.escape)
        #expect(!h.state.showHelp)
        h.send(.char("q"))
        #expect(h.state.quit)
    }
}

@Suite("workbench screens", .serialized)
struct ScreenTests {
    @Test(arguments: [(120, 40), (80, 24)])
    func openingScreen(width: Int, height: Int) throws {
        let h = try Harness(width: width, height: height)
        let text = h.screen.text
        #expect(text.contains("encoder.layer.0.outpu"))
        #expect(text.contains("SQNR     20.56 dB"))
        #expect(text.contains("856: 7.915"))
        Snapshot.check(h.screen, "opening-\(width)x\(height)")
    }

    @Test func int4InTheNormalisedDomain() throws {
        var h = try Harness()
        h.state.dtype = .int3
        h.send(.char("d"))
        #expect(h.state.dtype == .int2)
        h.state.dtype = .int8
        h.send(.char("d"))
        Snapshot.check(h.screen, "int4-normalised-120x40")
    }

    @Test func rawDomain() throws {
        var h = try Harness()
        h.send(.char("n"))
        #expect(h.screen.text.contains("values · raw"))
        Snapshot.check(h.screen, "raw-domain-120x40")
    }

    @Test func logAxis() throws {
        var h = try Harness()
        h.send(.char("l"))
        #expect(h.state.logAxis)
        #expect(h.screen.text.contains("log count"))
        Snapshot.check(h.screen, "log-axis-120x40")
    }

    @Test func helpOverlay() throws {
        var h = try Harness(width: 80, height: 24)
        h.send(.char("?"))
        #expect(h.screen.text.contains("next datatype"))
        Snapshot.check(h.screen, "help-80x24")
    }

    @Test func tooSmall() throws {
        let h = try Harness(width: 59, height: 20)
        #expect(h.screen.text.contains("terminal too small — need 60×20"))
        Snapshot.check(h.screen, "too-small-59x20")
        for (w, hgt) in [(0, 0), (1, 1), (2, 2), (60, 20), (500, 200)] {
            var s = h.state
            s.width = w; s.height = hgt
            #expect(WorkbenchView.render(s).lines().count == hgt)
        }
    }

    @Test func pinnedComparisonAndCodeUsage() throws {
        var h = try Harness()
        h.send(.char("p"))
        h.send(.char("b"))
        h.send(.char("c"))
        #expect(h.screen.text.contains("code usage · 16 of 16 used"))
        Snapshot.check(h.screen, "pinned-codes-120x40")
    }

    @Test func asciiGlyphs() throws {
        var h = try Harness(width: 80, height: 24)
        h.state.glyphs = .ascii
        let text = h.screen.text
        #expect(!text.contains("│") && !text.contains("█"))
        Snapshot.check(h.screen, "ascii-80x24")
    }
}
