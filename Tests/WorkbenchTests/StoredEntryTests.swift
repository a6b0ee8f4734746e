import Foundation
import QuantCore
import Reports
import TUI
import TensorIO
import Terminal
import Testing
@testable import Workbench

/// A GGUF tensor opens on its own stored quantization: its codes, levels and (with `--original`) its
/// real error, under `stored Q4_0`; `d` moves on to re-quantizing and the cycle comes back to it.
@Suite("the stored entry", .serialized)
struct StoredEntryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let llama = root.appendingPathComponent("Tests/Fixtures/compare/llama_q4_0.gguf").path
    static let llamaHF = root.appendingPathComponent("Tests/Fixtures/compare/llama_hf").path
    static let allTypes = root.appendingPathComponent("Tests/Fixtures/gguf/all_types.gguf").path

    /// A workbench as `qscope FILE [--original O] [--dtype D]` starts it, with commands run to completion.
    struct Bench {
        let runner: EffectRunner
        var state: WorkbenchState

        init(_ path: String, tensor: String, original: String? = nil, dtype: DataType? = nil) throws {
            let f = try TensorFile.open(path)
            let source = try original.map { OriginalSource(original: try TensorFile.open(ModelLocation.resolve($0, revision: nil)), quantized: f) }
            runner = EffectRunner(service: AnalysisService(file: f, options: AnalysisOptions(bins: 160, threads: 1), original: source))
            state = WorkbenchLauncher.state(file: f, tensor: tensor, config: { own in QuantConfig(dtype: dtype ?? own, block: .elements(64)) },
                                            userChoseBlock: false, userChoseDatatype: dtype != nil, original: original,
                                            themes: [], activations: [], environment: [:])
            state.width = 140
            state.height = 44
            run(Update.request(&state))
        }

        mutating func send(_ key: Key) { run(Update.apply(.key(key), to: &state)) }

        mutating func run(_ commands: [Command]) {
            var pending = commands
            while !pending.isEmpty {
                var next: [Command] = []
                for m in runner.perform(pending) { next += Update.apply(m, to: &state) }
                pending = next
            }
        }

        var text: String { WorkbenchView.render(state).text }
    }

    @Test func aQ4_0TensorOpensOnItsStoredQuantizationAgainstItsOriginal() throws {
        var b = try Bench(Self.llama, tensor: "blk.0.attn_q.weight", original: Self.llamaHF)
        #expect(b.state.storedView && b.state.dtype == .q4_0)
        let a = try #require(b.state.analysis)
        #expect(a.stored?.type == .q4_0 && a.stored?.original?.hasSuffix("model.layers.0.self_attn.q_proj.weight") == true)
        // The real stored error, the Q/K permutation undone: NumPy's 21.299 dB, not the ≈ −2 dB of scrambled rows.
        #expect(abs(a.metrics.sqnrDB - 21.299) < 0.001, "\(a.metrics.sqnrDB)")
        #expect(a.metrics.bitsPerParam == 4.5 && a.codeUsage.count == 16)
        #expect(b.text.contains("stored Q4_0 vs original"))
        #expect(b.text.contains("x ÷ d (levels)"))
        b.send(.char("c"))
        #expect(b.text.contains("code usage · 16 of 16 used"))
    }

    @Test func dMovesOnToReQuantizingAndTheCycleComesBack() throws {
        var b = try Bench(Self.llama, tensor: "blk.0.ffn_down.weight", original: Self.llamaHF)
        let stored = try #require(b.state.analysis)
        b.send(.char("d"))
        #expect(!b.state.storedView && b.state.dtype == .q4_0)
        let requantized = try #require(b.state.analysis)
        #expect(requantized.stored == nil && requantized.config.dtype == .q4_0)
        // Re-quantizing the stored values, not the original: a different figure from the stored one.
        #expect(requantized.metrics.sqnrDB != stored.metrics.sqnrDB)
        #expect(b.text.contains("q4_0 · block 32"))
        b.send(.char("D"))
        #expect(!b.state.storedView && b.state.dtype != .q4_0)
        // Past the last datatype, the stored entry again.
        b.state.dtype = DataType.allCases.last!
        b.send(.char("d"))
        #expect(b.state.storedView && b.state.analysis?.stored != nil)
        b.send(.char("D"))
        #expect(!b.state.storedView && b.state.dtype == DataType.allCases.last!)
        b.state.dtype = DataType.allCases.first!
        b.send(.char("D"))
        #expect(b.state.storedView)
    }

    @Test func blockDoubleQuantAndReQuantizingViewsWaitForADatatype() throws {
        var b = try Bench(Self.llama, tensor: "blk.0.ffn_down.weight")
        let generation = b.state.generation
        b.send(.char("b"))
        #expect(b.state.status.contains("file's blocks of 32") && b.state.generation == generation)
        b.send(.char("x"))
        #expect(b.state.status.contains("fp16"))
        b.send(.char("i"))
        #expect(b.state.deepView == nil && b.state.status.contains("d picks a datatype"))
        // The sweep looks at the tensor, not the entry: it opens.
        b.send(.char("s"))
        #expect(b.state.deepView == .sweep)
    }

    @Test func withoutAnOriginalThereAreNoErrorFigures() throws {
        let b = try Bench(Self.allTypes, tensor: "t_IQ2_XXS")
        let a = try #require(b.state.analysis)
        #expect(a.stored?.type == .iq2_XXS && a.metrics.sqnrDB.isNaN)
        #expect(a.codeUsage.count == 256 && a.metrics.codesUsed == 256 && b.state.dtype == .q2K)
        let text = b.text
        #expect(text.contains("stored IQ2_XXS") && !text.contains("vs original"))
        #expect(text.contains("256/256"), "the metrics pane counts grid points")
        #expect(text.contains("code usage · 256 of 256 used"), "no error to draw: the code usage instead")
    }

    @Test func openingTensorsKeepsOrLeavesTheEntry() throws {
        var b = try Bench(Self.llama, tensor: "blk.0.ffn_down.weight")
        let names = b.state.tensors.map(\.name)
        b.state.selection = try #require(names.firstIndex(of: "blk.1.ffn_up.weight"))
        b.send(.enter)
        #expect(b.state.storedView && b.state.analysis?.stored != nil && b.state.analysis?.tensorName == "blk.1.ffn_up.weight")
        b.state.selection = try #require(names.firstIndex(of: "output_norm.weight"))
        b.send(.enter)
        #expect(!b.state.storedView && b.state.analysis?.stored == nil)
    }

    @Test func aChosenDatatypeWins() throws {
        let b = try Bench(Self.llama, tensor: "blk.0.ffn_down.weight", dtype: .nf4)
        #expect(!b.state.storedView && b.state.dtype == .nf4 && b.state.analysis?.stored == nil)
    }

    @Test func anOriginalWithoutTheTensorIsNamed() throws {
        let b = try Bench(Self.allTypes, tensor: "t_Q4_K", original: Self.llamaHF)
        #expect(b.state.analysis?.stored?.original == nil)
        #expect(b.text.contains("stored Q4_K · not in the original"))
    }
}
