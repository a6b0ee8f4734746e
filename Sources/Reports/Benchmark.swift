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
        /// Input bytes per run, for GB/s.
        public var bytes: Int
        /// The memory floor of the same input (one streaming read of its bytes, median ms), when the
        /// operation streams a file: the result is also shown as a multiple of it.
        public var floorMS: Double? = nil

        public var floorMultiple: Double? { floorMS.flatMap { $0 > 0 ? medianMS / $0 : nil } }

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
    ///
    /// quantize and dequantize run on the tensor in memory (the kernels alone); analyze streams it
    /// from a safetensors file of the same values, as `report` does, once stored as float32 and, for
    /// the first case, once as bfloat16; each file's memory floor is one parallel read of its bytes.
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        let tensor = SyntheticTensor(distribution: .normal, rows: rows, cols: cols, seed: 42).make(name: "bench")
        let inputBytes = rows * cols * 4
        var timings: [Timing] = []
        let options = AnalysisOptions(threads: threads)
        let f32Path = try writeScratch(tensor, bfloat16: false)
        defer { try? FileManager.default.removeItem(atPath: f32Path) }
        let bf16Path = try writeScratch(tensor, bfloat16: true)
        defer { try? FileManager.default.removeItem(atPath: bf16Path) }
        let f32 = try TensorFile.open(f32Path), bf16 = try TensorFile.open(bf16Path)
        let f32Reader = try f32.reader(tensor.name), bf16Reader = try bf16.reader(tensor.name)

        progress("floor")
        let floor32 = time("floor_f32", bytes: inputBytes) { _ = try? f32.touchBytes(of: tensor.name, threads: threads) }
        let floor16 = time("floor_bf16", bytes: inputBytes / 2) { _ = try? bf16.touchBytes(of: tensor.name, threads: threads) }
        timings += [floor32, floor16]

        for (n, c) in cases.enumerated() {
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
            var a = time("\(c.key)_analyze", bytes: inputBytes) {
                _ = try? Analyzer.analyze(f32Reader, config: c.config, options: options)
            }
            a.floorMS = floor32.medianMS
            timings.append(a)
            if n == 0 {
                var b = time("\(c.key)_bf16_analyze", bytes: inputBytes / 2) {
                    _ = try? Analyzer.analyze(bf16Reader, config: c.config, options: options)
                }
                b.floorMS = floor16.medianMS
                timings.append(b)
            }
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

    /// The bench tensor written to a scratch safetensors file, as float32 or rounded to bfloat16.
    func writeScratch(_ tensor: Tensor, bfloat16: Bool) throws -> String {
        let path = scratchDirectory.appendingPathComponent("qscope-bench-\(UUID().uuidString).safetensors").path
        let entry: SafetensorsEntry
        if bfloat16 {
            var bytes = [UInt8](repeating: 0, count: tensor.count * 2)
            for (i, v) in tensor.values.enumerated() {
                let b = HalfPrecision.bfloat16Bits(from: v)
                bytes[2 * i] = UInt8(truncatingIfNeeded: b); bytes[2 * i + 1] = UInt8(truncatingIfNeeded: b >> 8)
            }
            entry = SafetensorsEntry(name: tensor.name, dtype: "BF16", shape: tensor.shape, bytes: bytes)
        } else {
            entry = SafetensorsEntry(name: tensor.name, shape: tensor.shape, floats: tensor.values)
        }
        try SafetensorsWriter.write([entry], metadata: nil, to: path, force: false)
        return path
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
