import Foundation
import Testing
import QuantCore
import TensorIO
import Terminal
import TUI
@testable import Workbench

/// The deep-dive views: keys through `update`, then the rendered screens.
@Suite("deep-dive views", .serialized)
struct DeepViewTests {
    @Test func inspectorMovesBetweenBlocks() throws {
        var h = try Harness()
        h.send(.char("i"))
        #expect(h.state.deepView == .inspector)
        #expect(h.screen.text.contains("block 0 of 9216"))
        h.send(.right); h.send(.right); h.send(.char("]"))
        #expect(h.state.inspectBlock == 3)
        h.send(.left)
        #expect(h.state.inspectBlock == 2)
        h.send(.char("v"))
        // The model's largest weight, 7.915 at [99, 856].
        #expect(h.state.inspectBlock == (99 * 1536 + 856) / 64)
        #expect(h.screen.text.contains("absmax 7.915"))
        h.send(.char("w"))
        let a = try #require(h.state.analysis)
        let q = try Quantizer.quantize(try h.file.load(a.tensorName), config: a.config)
        let x = try h.file.load(a.tensorName).values
        // The worst block by a plain recomputation: the largest sum of squared errors, the first on a tie.
        var worst = 0, worstSum = -1.0
        for b in 0..<q.grouping.blockCount {
            let e = q.grouping.extent(ofBlock: b)
            var sum = 0.0
            for j in 0..<e.length { let i = e.start + j * e.stride; let d = Double(q.dequantized[i]) - Double(x[i]); sum += d * d }
            if sum > worstSum { worstSum = sum; worst = b }
        }
        #expect(h.state.inspectBlock == worst)
        // The view follows the configuration: x shows the absmax before and after double quantization.
        h.send(.char("x"))
        #expect(h.state.config.doubleQuant && h.state.deepView == .inspector)
        #expect(h.screen.text.contains("double quant: absmax"))
        h.send(.escape)
        #expect(h.state.deepView == nil)
        #expect(h.screen.text.contains("SQNR"))
    }

    @Test func viewsNeedAnOpenTensor() throws {
        let file = try TensorFile.open(Harness.sample)
        var s = WorkbenchState(file: Harness.sample, tensors: file.tensors)
        for key in ["i", "s", "a", "m", "u", "e"] {
            _ = Update.apply(.key(.char(Character(key))), to: &s)
            #expect(s.deepView == nil)
            #expect(s.status.hasPrefix("open a tensor first"), "\(key): \(s.status)")
        }
    }

    @Test func sweepRowBecomesCurrent() throws {
        var h = try Harness()
        h.send(.char("s"))
        #expect(h.state.deepView == .sweep)
        let rows = try #require(h.state.sweep?.sortedRows)
        #expect(rows.count == Harness.sweepConfigurations.count)
        // The current configuration is selected when the view opens.
        #expect(rows[h.state.sweepSelection].config == QuantConfig(dtype: .nf4, block: .elements(64)))
        #expect(rows.contains { $0.paretoOptimal })
        h.send(.up)
        let chosen = rows[h.state.sweepSelection].config
        h.send(.enter)
        #expect(h.state.deepView == nil)
        #expect(h.state.config == chosen)
        #expect(h.state.analysis?.config == chosen)
        // A second visit does not sweep again.
        let before = h.analyses
        h.send(.char("s"))
        #expect(h.state.sweep != nil && h.analyses == before)
    }

    @Test func int8ThresholdMoves() throws {
        var h = try Harness()
        h.send(.char("m"))
        #expect(h.state.deepView == .int8)
        let study = try #require(h.state.int8)
        #expect(study.activations == "minilm-l6-activations.safetensors ▸ encoder.layer.0.output.dense.input")
        #expect(study.result(near: 6)?.outlierColumns == [856])
        var text = h.screen.text
        #expect(text.contains("1 column ≥ 6 kept in 16-bit: 856: 24.61"))
        h.send(.char("O"))
        #expect(h.state.int8Threshold == 5)
        h.send(.char("o")); h.send(.char("o"))
        #expect(h.state.int8Threshold == 8)
        text = h.screen.text
        #expect(text.contains("at threshold 8"))
        // The outlier threshold of the panes did not move.
        #expect(h.state.outlierThreshold == 6)
    }

    @Test func int8NeedsAMatchingActivation() throws {
        var h = try Harness()
        h.state.activationCandidates = []
        h.send(.char("m"))
        #expect(h.state.deepView == nil)
        #expect(h.state.status.contains("no activation tensor with 1536 columns"))
        // A 1-D tensor is not a weight.
        let ln = "encoder.layer.0.attention.output.LayerNorm.weight"
        let info = try #require(h.state.tensors.first { $0.name == ln })
        #expect(ActivationSource.match(for: info, among: []) == nil)
    }

    @Test func activationMatching() throws {
        let act = try TensorFile.open(Harness.activationsFile)
        let sources = act.tensors.map { ActivationSource(file: Harness.activationsFile, info: $0) }
        let w = try TensorFile.open(Harness.sample)
        func match(_ name: String) -> String? {
            ActivationSource.match(for: w.info(named: name)!, among: sources)?.info.name
        }
        #expect(match("encoder.layer.0.output.dense.weight") == "encoder.layer.0.output.dense.input")
        #expect(match("encoder.layer.4.output.dense.weight") == "encoder.layer.4.output.dense.input")
        #expect(match("encoder.layer.0.attention.self.query.weight")?.hasPrefix("hidden_states") == true)
    }

    @Test func comparisonNeedsAPin() throws {
        var h = try Harness()
        h.send(.char("a"))
        #expect(h.state.deepView == nil && h.state.status.contains("pin a configuration first"))
        h.send(.char("p"))
        h.send(.char("d"))
        h.send(.char("a"))
        #expect(h.state.deepView == .comparison)
        let text = h.screen.text
        #expect(text.contains("A pinned · nf4 · block 64"))
        #expect(text.contains("B current · fp4 · block 64"))
        let pinned = try #require(h.state.pin?.metrics.sqnrDB), now = try #require(h.state.analysis?.metrics.sqnrDB)
        #expect(text.contains(String(format: "%.2f", now - pinned)))
    }

    @Test func isolationFollowsTheConfiguration() throws {
        var h = try Harness()
        h.send(.char("u"))
        #expect(h.state.deepView == .isolation)
        let r = try #require(h.state.isolation)
        #expect(r.key == h.state.currentKey)
        // Nothing kept is the plain quantization (summed in another order: equal to 1e-12).
        #expect(abs((r.byMagnitude.rows.first?.sqnrDB ?? 0) - (h.state.analysis?.metrics.sqnrDB ?? 1)) < 1e-10)
        h.send(.char("b"))
        #expect(h.state.isolation?.key == h.state.currentKey)
        #expect(h.state.isolation?.key.config.block == .elements(128))
    }

    @Test func explanationQuotesTheScreen() throws {
        var h = try Harness()
        h.send(.char("x"))
        h.send(.char("e"))
        #expect(h.state.deepView == .explanation)
        let a = try #require(h.state.analysis)
        let text = h.screen.text.replacingOccurrences(of: "│", with: " ")
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("0.127 bits per parameter instead of 0.5"))
        #expect(words.contains(String(format: "%.4g dB", a.metrics.sqnrDB)))
        // The overhead the text quotes is the engine's: bits per parameter minus the 4 code bits.
        #expect(abs(a.metrics.bitsPerParam - 4 - 0.127) < 0.0005)
        h.send(.down); h.send(.down)
        #expect(h.state.explainScroll == 2)
    }

    @Test func helpScrollsOnSmallTerminals() throws {
        var h = try Harness(width: 80, height: 24)
        h.send(.char("?"))
        #expect(h.screen.text.contains("1–19 of \(Keymap.bindings.count)"))
        h.send(.down); h.send(.down); h.send(.char("j"))
        #expect(h.state.helpScroll == 3)
        #expect(h.screen.text.contains("4–22 of \(Keymap.bindings.count)"))
        h.send(.up)
        #expect(h.state.helpScroll == 2 && h.state.showHelp)
        h.send(.escape)
        h.send(.char("?"))
        #expect(h.state.helpScroll == 0)
    }

    @Test func hintBarFitsAndKeepsHelpAndQuit() {
        for width in [60, 80, 120, 200] {
            for view in [nil] + DeepView.allCases.map(Optional.some) {
                let bar = Keymap.hintBar(in: view, width: width)
                #expect(bar.count < width, "\(width) \(String(describing: view))")
                #expect(bar.hasSuffix("? help  q quit"))
            }
        }
        #expect(Keymap.hintBar(width: 200).contains("i inspect  s sweep"))
        #expect(Keymap.action(for: .char("w"), in: .inspector) == .worstBlock)
        #expect(Keymap.action(for: .char("w")) == nil)
        #expect(Keymap.action(for: .char("/"), in: .sweep) == nil)
    }
}

@Suite("deep-dive screens", .serialized)
struct DeepScreenTests {
    @Test(arguments: [(120, 40), (80, 24)])
    func inspector(width: Int, height: Int) throws {
        var h = try Harness(width: width, height: height)
        h.send(.char("i"))
        h.send(.char("v"))
        Snapshot.check(h.screen, "inspector-\(width)x\(height)")
    }

    @Test(arguments: [(120, 40), (80, 24)])
    func sweep(width: Int, height: Int) throws {
        var h = try Harness(width: width, height: height)
        h.send(.char("s"))
        #expect(h.screen.text.contains("★"))
        Snapshot.check(h.screen, "sweep-\(width)x\(height)")
    }

    @Test func comparison() throws {
        var h = try Harness()
        h.send(.char("p"))
        h.state.dtype = .int8
        h.send(.char("d"))
        #expect(h.state.dtype == .int4)
        h.send(.char("a"))
        Snapshot.check(h.screen, "ab-nf4-int4-120x40")
    }

    @Test(arguments: [(120, 40), (80, 24)])
    func int8(width: Int, height: Int) throws {
        var h = try Harness(width: width, height: height)
        h.send(.char("m"))
        Snapshot.check(h.screen, "int8-\(width)x\(height)")
    }

    @Test func isolation() throws {
        var h = try Harness()
        h.send(.char("u"))
        #expect(h.screen.text.contains("kept by magnitude"))
        Snapshot.check(h.screen, "isolation-120x40")
    }

    @Test(arguments: [(120, 40), (80, 24)])
    func explanation(width: Int, height: Int) throws {
        var h = try Harness(width: width, height: height)
        h.send(.char("e"))
        Snapshot.check(h.screen, "explanation-\(width)x\(height)")
    }

    /// Every view at every small size renders without trapping and fills the buffer.
    @Test func everyViewAtOddSizes() throws {
        var h = try Harness()
        h.send(.char("p"))
        h.send(.char("d"))
        for view in DeepView.allCases {
            h.state.deepView = nil
            h.send(.char(Character(["i", "s", "a", "m", "u", "e"][DeepView.allCases.firstIndex(of: view)!])))
            #expect(h.state.deepView == view)
            for (w, ht) in [(0, 0), (1, 1), (2, 2), (60, 20), (61, 21), (500, 200)] {
                var s = h.state
                s.width = w; s.height = ht
                #expect(WorkbenchView.render(s).lines().count == ht)
                s.glyphs = .ascii
                let text = WorkbenchView.render(s).text
                #expect(!text.contains("█") && !text.unicodeScalars.contains { (0x2800...0x28FF).contains($0.value) },
                        "\(view) \(w)×\(ht) ascii")
            }
        }
    }
}
