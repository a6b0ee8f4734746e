import QuantCore
import TensorCore
import TensorIO

/// The workbench's part of `qscope bench`: the answer to one key, timed without a terminal.
public enum WorkbenchBenchmark {
    /// The workbench's answer to a key: `update` turns `b` (next larger block) into commands, the
    /// effect runner performs them (an analysis without cache), `update` takes the result, and the
    /// view renders a 120×40 frame.
    public static func keyToFrame(_ tensor: Tensor, options: AnalysisOptions) throws -> () -> Void {
        let catalog = InMemoryCatalog(path: "bench", tensors: [tensor])
        var start = WorkbenchState(file: "bench", tensors: catalog.tensors)
        start.openTensor = tensor.name
        start.analysis = try Analyzer.analyze(tensor, config: start.config, options: options)
        let initial = start
        return {
            // A fresh service each time: no cache, so every run analyses.
            let runner = EffectRunner(service: AnalysisService(file: catalog, options: options, estimateAbove: .max))
            var s = initial
            var pending = Update.apply(.key(.char("b")), to: &s)
            while !pending.isEmpty {
                var next: [Command] = []
                for m in runner.perform(pending) { next += Update.apply(m, to: &s) }
                pending = next
            }
            _ = WorkbenchView.render(s)
        }
    }
}
