import ArgumentParser
import Foundation
import Inference
import Reports
import TUI
import QuantCore
import TensorIO
import Workbench

/// Entry point: parses, runs, and maps every failure to one `qscope: error:` line and an exit code.
///
/// Exit codes (docs/ARCHITECTURE.md): 0 success, 1 runtime failure, 2 usage error,
/// 65 malformed or unsupported input file.
@main
enum QscopeMain {
    static func main() {
        MemoryPolicy.keepFreedMemory()
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            try CommandLineAdvisor.checkFirstWord(arguments)
            var command = try Qscope.parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            if let (message, code) = exitStatus(for: error) { fail(message, code: code) }
            if Qscope.exitCode(for: error) == .success {
                print(Qscope.fullMessage(for: error))
                exit(0)
            }
            // Every other parser error is a usage error, exit 2: what is wrong and the nearest valid
            // name when the advisor can tell, else the parser's own line and the usage.
            if let advice = CommandLineAdvisor.diagnose(arguments) { fail(advice, code: 2) }
            var text = Qscope.fullMessage(for: error)
            if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
            fail(text, code: 2)
        }
    }

    /// The one mapping from a failure to the sentence the user sees and the exit code
    /// (docs/ARCHITECTURE.md): malformed input 65, usage 2, a runtime failure 1; nil for the argument
    /// parser's own errors, which it prints itself.
    static func exitStatus(for error: Error) -> (String, Int32)? {
        switch error {
        case let e as CLIError: (e.message, e.code)
        case let e as TensorFileError: (e.description, 65)
        case let e as ThemeError: (e.description, 65)
        case let e as QuantError: (e.description, 2)
        case let e as BlockInspectionError: (e.description, 2)
        case let e as OutlierIsolationError: (e.description, 2)
        case let e as Int8DecompositionError: (e.description, 2)
        case let e as StudyError: (e.description, 2)
        case let e as ComparisonError: (e.description, 65)
        case let e as StoredAnalysisError: (e.description, 2)
        case let e as GGUFExport.Failure: (e.description, 2)
        case let e as TensorWriteError: (e.description, 1)
        case let e as InferenceError: (e.description, e.exitCode)
        default: nil
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("qscope: error: \(message)\n".utf8))
        exit(code)
    }
}

/// A failure with its exit code and the sentence the user sees.
struct CLIError: Error {
    var message: String
    var code: Int32

    static func usage(_ message: String) -> CLIError { CLIError(message: message, code: 2) }
    static func malformed(_ message: String) -> CLIError { CLIError(message: message, code: 65) }
    static func runtime(_ message: String) -> CLIError { CLIError(message: message, code: 1) }
}

/// The root command.
struct Qscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qscope",
        abstract: "A terminal workbench for looking at quantization.",
        discussion: """
        Open a tensor from a safetensors, NumPy or GGUF file, pick a datatype and a block size, and see \
        the histogram with the code levels, the outlier columns and the error metrics. The batch commands \
        answer the same questions for scripts.

        Exit codes: 0 success, 1 runtime failure, 2 usage error, 65 malformed or unsupported input file.
        """,
        subcommands: [Open.self, List.self, Report.self, Sweep.self, Scan.self, Compare.self, Quantize.self, Dequantize.self, Synth.self, Inspect.self, Int8Command.self,
                      Isolate.self, Explain.self, Plot.self, Bench.self, Embed.self, Eval.self, SensitivityCommand.self, Allocate.self],
        defaultSubcommand: Open.self
    )
}
