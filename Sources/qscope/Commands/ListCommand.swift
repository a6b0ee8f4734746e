import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

/// `qscope list FILE`.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors of a file (reads only its header).")

    @Argument(help: ArgumentHelp(FileHelp.file))
    var file: String

    @OptionGroup var model: ModelRevision

    @OptionGroup var output: OutputOptions
    var format: OutputFormat { output.format }

    func validate() throws {
        try output.require([.text, .json], command: "list")
    }

    func run() throws {
        print(ListRenderer(file: file, catalog: try TensorLoading.open(file, revision: model.revision)).render(format), terminator: "")
    }
}
