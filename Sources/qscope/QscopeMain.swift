import ArgumentParser
import Foundation
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
        do {
            var command = try Qscope.parseAsRoot()
            try command.run()
        } catch let error as CLIError {
            fail(error.message, code: error.code)
        } catch let error as TensorFileError {
            fail(error.description, code: 65)
        } catch let error as QuantError {
            fail(error.description, code: 2)
        } catch let error as TensorWriteError {
            fail(error.description, code: 1)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            if Qscope.exitCode(for: error) == .success {
                print(Qscope.fullMessage(for: error))
                exit(0)
            }
            // Every other parser error is a usage error: one line, the usage, exit 2.
            var text = Qscope.fullMessage(for: error)
            if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
            FileHandle.standardError.write(Data("qscope: error: \(text)\n".utf8))
            exit(2)
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
        subcommands: [Open.self, List.self, Report.self, Sweep.self, Scan.self, Quantize.self, Synth.self, Inspect.self, Int8Command.self,
                      Isolate.self, Explain.self, Bench.self, Embed.self, Eval.self, SensitivityCommand.self, Allocate.self],
        defaultSubcommand: Open.self
    )
}
