import QuantCore
import TensorCore

/// The workbench's part of `qscope bench`: the answer to one key, timed without a terminal.
public enum WorkbenchBenchmark {
    /// The workbench's answer to a key: `update` turns `b` (next larger block) into an analysis request, the analysis
    /// runs (no cache), `update` takes the result, and the view renders a 120×40 frame.
    public static func keyToFrame(_ tensor: Tensor, options: AnalysisOptions) throws -> () -> Void {
        let info = TensorInfo(name: tensor.name, dtype: "F32", shape: tensor.shape, count: tensor.count,
                              byteCount: tensor.count * 4, isFloatConvertible: true)
        var start = WorkbenchState(file: "bench", tensors: [info])
        start.openTensor = tensor.name
        start.analysis = try Analyzer.analyze(tensor, config: start.config, options: options)
        return {
            var s = start
            for case .analyze(let key, let generation) in Update.apply(.key(.char("b")), to: &s) {
                if let a = try? Analyzer.analyze(tensor, config: key.config, options: options) {
                    _ = Update.apply(.analyzed(generation: generation, key: key, analysis: a), to: &s)
                }
            }
            _ = WorkbenchView.render(s)
        }
    }
}
