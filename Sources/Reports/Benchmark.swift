import Foundation
import QuantCore
import TUI
import TensorCore
import TensorIO

/// `qscope bench`: times the engine's kernels on a deterministic synthetic tensor.
///
/// Each measurement runs once to warm up (page faults, caches, lazy tables), then `runs` times;
/// the median and the minimum are reported. The tensor is a seeded normal one, so two runs on one
/// machine time the same work, and a script comparing against another library can rebuild it.
public struct Benchmark: Sendable {
    /// One configuration the benchmark times, named as in the JSON keys (`nf4_b64`).
    public struct Case: Sendable {
        public var key: String
        public var config: QuantConfig
    }

    /// What the contract asks for: nf4, fp4, dynamic8 and int8 (vector-wise) the way bitsandbytes
    /// runs them, mxfp4 at its fixed block of 32, and dynamic8 at 4096 (bitsandbytes' optimizer block).
    public static let defaultCases: [Case] = [
        Case(key: "nf4_b64", config: QuantConfig(dtype: .nf4, block: .elements(64))),
        Case(key: "fp4_b64", config: QuantConfig(dtype: .fp4, block: .elements(64))),
        Case(key: "dynamic8_b64", config: QuantConfig(dtype: .dynamic8, block: .elements(64))),
        Case(key: "dynamic8_b4096", config: QuantConfig(dtype: .dynamic8, block: .elements(4096))),
        Case(key: "int8_row", config: QuantConfig(dtype: .int8, block: .row)),
        Case(key: "mxfp4_b32", config: QuantConfig(dtype: .mxfp4, block: .elements(32))),
    ]

    public var rows: Int
    public var cols: Int
    public var threads: Int
    public var runs: Int
    public var cases: [Case]
    /// Where the `list` benchmark writes its temporary file.
    public var scratchDirectory: URL
    /// The workbench's key-to-frame case, given by the caller that links the workbench: it prepares
    /// the state for the bench tensor and returns one timed iteration.
    public var keyToFrame: (@Sendable (Tensor, AnalysisOptions) throws -> () -> Void)?

    public init(rows: Int = 4096, cols: Int = 4096, threads: Int = Parallel.defaultThreads, runs: Int = 5,
                cases: [Case] = Benchmark.defaultCases,
                scratchDirectory: URL = FileManager.default.temporaryDirectory,
                keyToFrame: (@Sendable (Tensor, AnalysisOptions) throws -> () -> Void)? = nil) {
        self.rows = rows
        self.cols = cols
        self.threads = threads
        self.runs = runs
        self.cases = cases
        self.scratchDirectory = scratchDirectory
        self.keyToFrame = keyToFrame
    }

    /// One timed operation: median and minimum in milliseconds, and the input bytes it read.
    public struct Timing: Sendable {
        public var key: String
        public var medianMS: Double
        public var minMS: Double
        /// float32 input bytes per run, for GB/s.
        public var bytes: Int

        public var gigabytesPerSecond: Double { medianMS > 0 ? Double(bytes) / (medianMS * 1e6) : 0 }
    }

    /// Everything one run measured, in the order it was measured.
    public struct Report: Sendable {
        public var rows: Int
        public var cols: Int
        public var threads: Int
        public var runs: Int
        public var cpu: String
        public var cores: Int
        public var timings: [Timing]
    }

    /// Runs every measurement; `progress` hears the key of each one before it starts.
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        let tensor = SyntheticTensor(distribution: .normal, rows: rows, cols: cols, seed: 42).make(name: "bench")
        let inputBytes = rows * cols * 4
        var timings: [Timing] = []
        let options = AnalysisOptions(threads: threads)

        for c in cases {
            try c.config.validate(cols: cols)
            progress(c.key)
            var quantized: QuantizedTensor?
            timings.append(time("\(c.key)_quantize", bytes: inputBytes) {
                quantized = try? Quantizer.quantize(tensor, config: c.config, threads: threads)
            })
            if let q = quantized, Dequantizer.supports(c.config.dtype) {
                timings.append(time("\(c.key)_dequantize", bytes: inputBytes) {
                    _ = Dequantizer.decode(q, threads: threads)
                })
            }
            timings.append(time("\(c.key)_analyze", bytes: inputBytes) {
                _ = try? Analyzer.analyze(tensor, config: c.config, options: options)
            })
        }

        progress("histogram")
        timings.append(time("histogram", bytes: inputBytes) {
            tensor.values.withUnsafeBufferPointer { x in
                _ = Histogram.counting(x, lower: -4, upper: 4, bins: 64, threads: threads)
            }
        })

        progress("list")
        timings.append(try timeList(tensor))

        if let keyToFrame {
            progress("key_to_frame")
            timings.append(time("key_to_frame", bytes: inputBytes, try keyToFrame(tensor, options)))
        }

        return Report(rows: rows, cols: cols, threads: threads, runs: runs, cpu: Self.cpuName(),
                      cores: ProcessInfo.processInfo.activeProcessorCount, timings: timings)
    }

    /// `list` of a large file: a safetensors file of the bench tensor written once, then opened
    /// (header only) `runs` times.
    func timeList(_ tensor: Tensor) throws -> Timing {
        let path = scratchDirectory.appendingPathComponent("qscope-bench-\(UUID().uuidString).safetensors").path
        try SafetensorsWriter.write([SafetensorsEntry(name: tensor.name, shape: [rows, cols], floats: tensor.values)],
                                    metadata: nil, to: path, force: false)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return time("list", bytes: 0) {
            _ = try? TensorFile.open(path).tensors.count
        }
    }

    /// Warm-up, then `runs` timed calls.
    func time(_ key: String, bytes: Int, _ body: () -> Void) -> Timing {
        body()
        var samples: [Double] = []
        for _ in 0..<Swift.max(1, runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        samples.sort()
        return Timing(key: key, medianMS: samples[samples.count / 2], minMS: samples[0], bytes: bytes)
    }

    /// The CPU's model name from /proc/cpuinfo, or "unknown".
    static func cpuName() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }
}
