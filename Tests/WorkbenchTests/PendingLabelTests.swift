import Foundation
import Synchronization
import QuantCore
import Reports
import TensorCore
import TensorIO
import Terminal
import Testing
@testable import Workbench

/// The header names the configuration of the figures on screen, never the one being computed: the
/// pending one after an arrow, an estimate's coverage, and cancellation of stale work.
@Suite("pending analyses", .serialized)
struct PendingLabelTests {
    @Test func theHeaderNamesTheFiguresOnScreenAndThePendingOne() throws {
        var h = try Harness()
        #expect(h.screen.text.contains("nf4 · block 64 · dq off"))
        // d asks for fp4; until its figures land the header shows nf4's, with fp4 pending.
        let commands = Update.apply(.key(.char("d")), to: &h.state)
        #expect(h.state.busy && h.state.analysis?.config.dtype == .nf4)
        let title = h.screen.text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(title.contains("nf4 · block 64 · dq off → fp4"), "\(title)")
        h.run(commands)
        let after = h.screen.text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(after.contains("fp4 · block 64 · dq off") && !after.contains("→"), "\(after)")
    }

    @Test func anEstimateIsLabelledWithItsCoverageUntilTheExactFiguresLand() throws {
        let t = SyntheticTensor(distribution: .normal, rows: 512, cols: 1024, seed: 3).make(name: "big")
        let catalog = InMemoryCatalog(path: "memory", tensors: [t])
        // A service that treats anything above 100 K values as large, and samples 50 K.
        let runner = EffectRunner(service: AnalysisService(file: catalog, options: AnalysisOptions(bins: 64, threads: 1),
                                                           estimateAbove: 100_000, sampleValues: 50_000))
        var state = WorkbenchState(file: "memory", tensors: catalog.tensors)
        state.openTensor = "big"
        let messages = runner.perform(Update.request(&state))
        let analyses = messages.compactMap { m -> Analysis? in if case .analyzed(_, _, let a) = m { return a } else { return nil } }
        #expect(analyses.count == 2 && analyses[0].isEstimate && !analyses[1].isEstimate)
        _ = Update.apply(messages[0], to: &state)
        #expect(state.busy)
        let title = WorkbenchView.render(state).text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(title.contains("≈ ") && title.contains("of 524 k values"), "\(title)")
        _ = Update.apply(messages[1], to: &state)
        #expect(!state.busy)
        #expect(!(WorkbenchView.render(state).text.split(separator: "\n").first.map(String.init) ?? "").contains("≈"))
    }

    @Test func aNewRequestCancelsTheStaleOneQuickly() throws {
        // Counted in chunks, not milliseconds: a loaded 2-core machine makes wall-clock bounds flaky.
        let t = SyntheticTensor(distribution: .normal, rows: 4096, cols: 4096, seed: 4).make(name: "t")
        let c = Cancellation()
        let progress = Progress()
        let threads = 2
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Bool?>(nil)
        DispatchQueue.global().async {
            let finished = (try? Analyzer.analyze(t as any TensorReader, config: QuantConfig(dtype: .quantile8, block: .elements(64)),
                                                  options: AnalysisOptions(threads: threads), cancellation: c, progress: progress)) != nil
            outcome.withLock { $0 = finished }
            done.signal()
        }
        // Cancel once the work is under way (a few chunks done), then count what was done after.
        let deadline = Date().addingTimeInterval(60)
        while progress.completed < 2 && Date() < deadline { usleep(200) }
        try #require(progress.completed >= 2, "the analysis reports its progress")
        let atCancel = progress.completed
        c.cancel()
        done.wait()
        let total = progress.total
        let after = progress.completed - atCancel
        #expect(outcome.withLock { $0 } == false, "a cancelled analysis throws rather than returning figures")
        // Cancellation is checked before every chunk: only the chunks already started may finish.
        #expect(after <= threads, "\(after) chunks finished after the cancel (of \(total))")
        #expect(total > 20 * threads, "the tensor is large enough for the count to mean something (\(total) chunks)")
    }
}
