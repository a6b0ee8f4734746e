import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorIO
import Workbench

/// `qscope [FILE]`: the interactive workbench, on the bundled sample without FILE.
struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open a file in the interactive workbench (the default command; the bundled sample without FILE).",
        discussion: """
        Keys: d/D datatype, b/B block, x double quantization, l log axis, n normalised/raw domain, \
        c code usage, p pin a baseline, o/O outlier threshold, / filter, Enter open, t theme, ? help, q quit. \
        Views (Esc returns): i block inspector, s sweep frontier, a A/B against the pin, m LLM.int8() \
        decomposition (with an activation tensor), u outlier isolation, e explanation.
        The workbench needs a terminal; for scripts use 'qscope report'. QSCOPE_ASCII=1 draws with ASCII only; \
        NO_COLOR turns colours off.

        """ + HelpText.datatypes + "\n" + HelpText.blocks)

    @Argument(help: "A .safetensors or .npy file; the bundled MiniLM sample when left out.")
    var file: String?

    @Option(name: .long, help: "The tensor to open first.")
    var tensor: String?

    @OptionGroup var quant: QuantOptions

    @Option(name: .long, help: "Colour theme: a name from themes/ (default, light, high-contrast, mono, gruvbox) or a TOML file.")
    var theme: String?

    @Option(name: .long, help: ArgumentHelp(
        "A file of activation tensors for the LLM.int8() view (m).",
        discussion: "Default: NAME-activations.safetensors beside NAME.safetensors when it exists (the bundled sample has one); the open file's own 2-D tensors are candidates too."))
    var activations: String?

    func run() throws {
        guard let path = file ?? TensorLoading.bundledSample() else {
            throw CLIError.usage("no FILE given and the bundled sample samples/minilm-l6.safetensors was not found")
        }
        let f = try TensorLoading.open(path)
        if let tensor { _ = try TensorLoading.pick(f, name: tensor) }
        var themes = ThemeCatalog.all()
        if let theme {
            do {
                let chosen = try ThemeCatalog.load(theme)
                themes.removeAll { $0.name == chosen.name }
                themes.insert(chosen, at: 0)
            } catch let e as ThemeError {
                throw CLIError.malformed(e.description)
            }
        }
        let first = tensor ?? f.tensors.first { $0.isFloatConvertible && $0.count > 0 }?.name
        // A quantized GGUF tensor starts in its own format, so "what if it were NF4 instead?" is one key away.
        let own = first.flatMap { f.info(named: $0) }.flatMap { DataType(name: $0.dtype) }.flatMap { $0.family == .ggml ? $0 : nil }
        let config = try quant.config(defaultDatatype: own ?? .nf4)
        var state = WorkbenchState(file: path, tensors: f.tensors, themes: themes)
        state.dtype = config.dtype
        if quant.block != nil { state.userBlock = config.block }
        state.doubleQuant = config.doubleQuant
        state.glyphs = GlyphSet.forEnvironment(ProcessInfo.processInfo.environment)
        state.activationCandidates = try Open.activationCandidates(file: f, explicit: activations)
        if let first, let i = f.tensors.firstIndex(where: { $0.name == first }) {
            state.selection = i
            state.openTensor = first
        }
        do {
            try WorkbenchApp(file: f, state: state).run()
        } catch {
            throw CLIError.runtime(error.description)
        }
    }
}

extension Open {
    /// The activation tensors the LLM.int8() view may pair with a weight: the 2-D tensors of the open
    /// file, then those of `--activations FILE` or, without it, of `NAME-activations.safetensors` beside
    /// the file. A companion found by name that cannot be read is skipped; one named explicitly fails.
    static func activationCandidates(file: TensorFile, explicit: String?) throws -> [ActivationSource] {
        var out = file.tensors.filter { $0.shape.count == 2 }.map { ActivationSource(file: file.path, info: $0) }
        let url = URL(fileURLWithPath: file.path)
        let companion = explicit ?? url.deletingPathExtension().path + "-activations.safetensors"
        guard companion != file.path else { return out }
        if explicit != nil || FileManager.default.fileExists(atPath: companion) {
            do {
                let f = explicit != nil ? try TensorLoading.open(companion) : try TensorFile.open(companion)
                out += f.tensors.filter { $0.shape.count == 2 }.map { ActivationSource(file: companion, info: $0) }
            } catch where explicit == nil {
                // Only a guess: the workbench still opens.
            }
        }
        return out
    }
}

/// `qscope list FILE`.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors of a file (reads only its header).")

    @Argument(help: "A .safetensors, .npy, .npz or .gguf file.")
    var file: String

    @Option(name: .long, help: "text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("list supports --format text or json") }
    }

    func run() throws {
        let f = try TensorLoading.open(file)
        if format == .json {
            let json = JSONValue.object([
                ("file", .string(file)),
                ("format", .string(f.format.rawValue)),
                ("metadata", .object(f.metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                ("tensors", .array(f.tensors.map { t in
                    .object([("name", .string(t.name)), ("dtype", .string(t.dtype)),
                             ("shape", .array(t.shape.map { .int($0) })), ("count", .int(t.count)), ("bytes", .int(t.byteCount))])
                })),
            ])
            print(json.serialized())
            return
        }
        let width = min(max(f.tensors.map(\.name.count).max() ?? 4, 4), 60)
        print("\(file): \(f.format.rawValue), \(f.tensors.count) tensors, \(f.tensors.reduce(0) { $0 + $1.count }) values")
        if f.format == .gguf {
            let m = f.metadata
            var types: [String: Int] = [:]
            for t in f.tensors { types[t.dtype, default: 0] += 1 }
            let summary = types.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            print("  GGUF v\(m["gguf.version"] ?? "?"), architecture \(m["general.architecture"] ?? "unknown")"
                  + (m["general.name"].map { ", name \($0)" } ?? "") + (m["general.file_type"].map { ", file type \($0)" } ?? ""))
            print("  tensor types: \(summary)")
        }
        for t in f.tensors {
            let shape = NumberFormat.shape(t.shape)
            let note = t.isFloatConvertible ? "" : "  (cannot be analysed)"
            print("  " + t.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                  + t.dtype.padding(toLength: 8, withPad: " ", startingAt: 0) + shape.padding(toLength: 14, withPad: " ", startingAt: 0)
                  + String(t.count).leftPad(12) + "  " + List.size(t.byteCount).leftPad(9) + note)
        }
    }
}

extension List {
    /// Bytes in binary units.
    static func size(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(bytes), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(bytes) B" : String(format: "%.1f %@", v, units[u])
    }
}

/// `qscope report FILE --tensor T`.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize one tensor and report statistics, error metrics, outlier columns and histograms.",
        discussion: HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Option(name: .customLong("outlier-threshold"), help: "Absolute column-absmax threshold for outlier columns (LLM.int8() uses 6.0).")
    var outlierThreshold: Float = 6

    @Option(name: .customLong("outlier-k"), help: "Relative rule: a column is an outlier above k × the median column absmax.")
    var outlierK: Float = 6

    @Option(name: .long, help: "Histogram bins (1…4096).")
    var bins: Int = 64

    @Option(name: .long, help: "text, json, csv or markdown.")
    var format: OutputFormat = .text

    func validate() throws {
        guard (1...4096).contains(bins) else { throw ValidationError("--bins must be between 1 and 4096") }
        guard outlierThreshold.isFinite, outlierThreshold >= 0, outlierK.isFinite, outlierK >= 0 else {
            throw ValidationError("--outlier-threshold and --outlier-k must be finite and not negative")
        }
    }

    func run() throws {
        let f = try TensorLoading.open(selection.file)
        let t = try TensorLoading.load(f, try TensorLoading.pick(f, name: selection.tensor))
        let options = AnalysisOptions(bins: bins, outlierThreshold: outlierThreshold, outlierK: outlierK)
        let analysis = try Analyzer.analyze(t, config: try quant.config(), options: options)
        print(ReportRenderer(file: selection.file, analysis: analysis).render(format), terminator: "")
    }
}

/// `qscope sweep FILE --tensor T`.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Datatypes × block sizes on one tensor: bits per parameter, SQNR and error, Pareto-optimal rows marked.",
        discussion: HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection

    @Option(name: .long, help: "Comma-separated datatypes (default: all).")
    var dtypes: String?

    @Option(name: .long, help: "Comma-separated block sizes (default: 32,64,128,256,row).")
    var blocks: String?

    @Flag(name: .customLong("double-quant"), help: "Also run every datatype that supports it with double quantization.")
    var doubleQuant = false

    @Option(name: .long, help: "text, json, csv or markdown.")
    var format: OutputFormat = .text

    func run() throws {
        let dts = try dtypes.map { list in
            try commaList(list, { DataType(name: $0) }) { s in
                CLIError.usage("unknown datatype '\(s)'; choose from \(DataType.allValueStrings.joined(separator: ", "))")
            }
        } ?? QuantCore.Sweep.defaultDatatypes
        let bs = try blocks.map { list in
            try commaList(list, { BlockSize(argument: $0) }) { s in
                CLIError.usage("invalid block size '\(s)': use a power of two from 16 to 4096, row, column or tensor")
            }
        } ?? QuantCore.Sweep.defaultBlocks
        var configs = QuantCore.Sweep.configurations(datatypes: dts, blocks: bs)
        if doubleQuant {
            configs = QuantCore.Sweep.addingDoubleQuant(configs)
        }
        let f = try TensorLoading.open(selection.file)
        let t = try TensorLoading.load(f, try TensorLoading.pick(f, name: selection.tensor))
        let sweep = try QuantCore.Sweep.run(t, configurations: configs)
        print(SweepRenderer(file: selection.file, tensor: t.name, sweep: sweep).render(format), terminator: "")
    }
}

/// `qscope quantize FILE --tensor T --dtype D --block N -o OUT.safetensors`.
struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize one tensor and write it in bitsandbytes' serialisation layout (safetensors).",
        discussion: """
        nf4/fp4 (numeric block): NAME (U8 packed, element 2i in the high nibble), NAME.absmax, NAME.quant_map, \
        with --double-quant NAME.nested_absmax and NAME.nested_quant_map, and NAME.quant_state.bitsandbytes__nf4 \
        (or __fp4). int8 with --block row: NAME (I8) and NAME.SCB (row absmax). dynamic8: NAME (U8 codes), \
        NAME.absmax, NAME.quant_map. Other datatypes: NAME (codes), NAME.quant_map, NAME.scales and \
        NAME.dequantized. The output is written to a temporary file and renamed into place; an existing file \
        is replaced only with --force.

        """ + HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @OptionGroup var selection: TensorSelection
    @OptionGroup var quant: QuantOptions

    @Flag(name: .customLong("with-dequantized"), help: "Also store NAME.dequantized (F32).")
    var withDequantized = false

    @Option(name: .shortAndLong, help: "The output .safetensors file.")
    var output: String

    @Flag(name: .long, help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        let f = try TensorLoading.open(selection.file)
        let info = try TensorLoading.pick(f, name: selection.tensor)
        let t = try TensorLoading.load(f, info)
        let config = try quant.config()
        if URL(fileURLWithPath: output).standardizedFileURL == URL(fileURLWithPath: selection.file).standardizedFileURL {
            throw CLIError.usage("the output would replace the input file \(selection.file); choose another -o")
        }
        let q = try Quantizer.quantize(t, config: config)
        let entries = CheckpointLayout.entries(name: t.name, tensor: t, quantized: q, withDequantized: withDequantized)
        let metadata = [
            "format": "pt", "qscope.source": selection.file, "qscope.tensor": t.name,
            "qscope.dtype": config.dtype.name, "qscope.block": config.block.description,
            "qscope.double_quant": String(config.doubleQuant),
        ]
        try SafetensorsWriter.write(entries, metadata: metadata, to: output, force: force)
        let bits = q.bitsPerParam
        FileHandle.standardError.write(Data("wrote \(output): \(entries.count) tensors, \(t.count) values at \(String(format: "%.4f", bits)) bits/param\n".utf8))
    }
}

extension ScanSort: ExpressibleByArgument {}

/// `qscope scan FILE`: every floating-point tensor under one configuration, one at a time.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse every floating-point tensor of a file and print a table sorted by relative error (or outliers, SQNR, name).",
        discussion: """
        Tensors are loaded one at a time through the memory map, so memory stays bounded by the largest \
        tensor. Progress goes to stderr when it is a terminal. Tensors that are not numeric, empty, or that \
        the configuration cannot apply to are listed as skipped.

        """ + HelpText.datatypes + "\n" + HelpText.blocks + "\n\n" + HelpText.exitCodes)

    @Argument(help: "A .safetensors, .npy or .gguf file.")
    var file: String

    @OptionGroup var quant: QuantOptions

    @Option(name: .long, help: "Sort by error (default; worst first), outliers, sqnr (lowest first) or name.")
    var sort: ScanSort = .error

    @Option(name: .customLong("outlier-threshold"), help: "Absolute column-absmax threshold for outlier columns.")
    var outlierThreshold: Float = 6

    @Option(name: .long, help: "text, json, csv or markdown.")
    var format: OutputFormat = .text

    func run() throws {
        let f = try TensorLoading.open(file)
        let config = try quant.config()
        var rows: [ScanRow] = []
        var skipped: [(name: String, reason: String)] = []
        let progress = isatty(STDERR_FILENO) == 1
        let start = Date()
        let total = f.tensors.reduce(0) { $0 + $1.count }
        var done = 0
        ScanInterrupt.install()
        func finish(interrupted: Bool) -> Never {
            if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            print(ScanRenderer(file: file, config: config, rows: rows, skipped: skipped, sort: sort).render(format), terminator: "")
            if interrupted {
                FileHandle.standardError.write(Data("qscope: interrupted after \(rows.count) of \(f.tensors.count) tensors\n".utf8))
                Foundation.exit(130)
            }
            Foundation.exit(0)
        }
        for (i, info) in f.tensors.enumerated() {
            defer { done += info.count }
            if ScanInterrupt.count > 0 { finish(interrupted: true) }
            if progress {
                let elapsed = Date().timeIntervalSince(start)
                let rate = elapsed > 0 ? Double(done) / elapsed : 0
                let eta = rate > 0 ? Double(total - done) / rate : 0
                FileHandle.standardError.write(Data(String(format: "\r\u{1B}[K[%d/%d] %3.0f%%  %.1f M values/s  ETA %.0fs  %@",
                                                           i + 1, f.tensors.count, 100 * Double(done) / Double(max(total, 1)),
                                                           rate / 1e6, eta, String(info.name.prefix(40))).utf8))
            }
            guard info.isFloatConvertible else { skipped.append((info.name, "dtype \(info.dtype) is not numeric")); continue }
            guard info.count > 0 else { skipped.append((info.name, "empty")); continue }
            guard !info.isInteger else { skipped.append((info.name, "integer tensor (\(info.dtype))")); continue }
            // The analysis runs on a worker so that a second Ctrl-C stops the scan at once, with the table so far.
            let outcome = ScanInterrupt.run { () -> Result<ScanRow, Error> in
                Result {
                    let t = try f.load(info.name)
                    let a = try Analyzer.analyze(t, config: config, options: AnalysisOptions(bins: 8, outlierThreshold: outlierThreshold))
                    return ScanRow(name: t.name, shape: t.shape, sourceDType: t.sourceDType, count: t.count,
                                   metrics: a.metrics, outlierColumns: a.outliers.columns.count)
                }
            }
            guard let outcome else { finish(interrupted: true) }
            switch outcome {
            case .success(let row): rows.append(row)
            case .failure(let e as TensorFileError): throw e
            case .failure(let e): skipped.append((info.name, "\(e)"))
            }
        }
        finish(interrupted: false)
    }
}

/// A slot a worker fills before it signals the waiting thread.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// Ctrl-C during `scan`: the first stops after the current tensor, the second at once; either way the
/// table so far is printed and the exit code is 130.
enum ScanInterrupt {
    nonisolated(unsafe) static var count: sig_atomic_t = 0

    static func install() {
        // A parent may have left SIGINT blocked (the mask survives exec); a scan must hear it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            ScanInterrupt.count += 1
            if ScanInterrupt.count == 1 {
                let msg = "\nqscope: stopping after this tensor (Ctrl-C again to stop now)\n"
                _ = msg.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
        }
    }

    /// Runs `work` on a worker; nil if a second Ctrl-C arrives first.
    static func run<T>(_ work: @escaping @Sendable () -> T) -> T? {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global(qos: .userInitiated).async {
            box.value = work()
            done.signal()
        }
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if count >= 2 { return nil }
        }
        return box.value
    }
}

extension SyntheticTensor.Distribution: ExpressibleByArgument {}

/// `qscope synth`: a deterministic synthetic tensor with outlier columns at known indices.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic tensor (normal, laplace, student-t, uniform) with optional outlier columns.",
        discussion: """
        The same seed gives the same tensor on every machine. Outlier columns are chosen by the seed, scaled \
        by --outlier-scale, and recorded in the file's metadata (qscope.outlier_columns) so a lesson can point \
        at them. The tensor is named 'synthetic'; the output is written atomically (--force to replace).
        """)

    @Option(name: .long, help: "normal, laplace, student-t or uniform.")
    var dist: SyntheticTensor.Distribution = .normal

    @Option(name: .long, help: "Rows × columns, e.g. 1024x4096.")
    var shape: String

    @Option(name: .customLong("outlier-cols"), help: "How many columns to scale up.")
    var outlierCols: Int = 0

    @Option(name: .customLong("outlier-scale"), help: "Factor for the outlier columns.")
    var outlierScale: Float = 20

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Degrees of freedom for student-t.")
    var df: Int = 3

    @Option(name: .shortAndLong, help: "The output .safetensors file.")
    var output: String

    @Flag(name: .long, help: "Replace the output file if it exists.")
    var force = false

    func parsedShape() throws -> (Int, Int) {
        let parts = shape.lowercased().split(whereSeparator: { $0 == "x" || $0 == "×" || $0 == "," }).map { Int($0) }
        guard parts.count == 2, let r = parts[0], let c = parts[1], r > 0, c > 0, r <= 1 << 20, c <= 1 << 20,
              r.multipliedReportingOverflow(by: c).partialValue <= 1 << 30 else {
            throw CLIError.usage("--shape must be ROWSxCOLS with positive sizes and at most 2^30 values (got '\(shape)')")
        }
        return (r, c)
    }

    func run() throws {
        let (rows, cols) = try parsedShape()
        guard outlierCols >= 0, outlierCols <= cols else { throw CLIError.usage("--outlier-cols must be between 0 and \(cols)") }
        guard outlierScale.isFinite else { throw CLIError.usage("--outlier-scale must be finite") }
        guard (1...1000).contains(df) else { throw CLIError.usage("--df must be between 1 and 1000") }
        let spec = SyntheticTensor(distribution: dist, rows: rows, cols: cols, outlierColumns: outlierCols,
                                   outlierScale: outlierScale, seed: seed, degreesOfFreedom: df)
        let t = spec.make()
        let metadata = [
            "format": "pt", "qscope.synth.dist": dist.rawValue, "qscope.synth.seed": String(seed),
            "qscope.synth.outlier_scale": String(outlierScale),
            "qscope.outlier_columns": spec.outlierIndices.map(String.init).joined(separator: ","),
        ]
        try SafetensorsWriter.write([SafetensorsEntry(name: t.name, shape: t.shape, floats: t.values)], metadata: metadata,
                                    to: output, force: force)
        FileHandle.standardError.write(Data("wrote \(output): synthetic \(rows)×\(cols) \(dist.rawValue), outlier columns [\(metadata["qscope.outlier_columns"]!)]\n".utf8))
    }
}
