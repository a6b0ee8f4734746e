import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

/// `qscope [FILE]`: the interactive workbench, on the bundled sample without FILE.
struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open a file in the interactive workbench (the default command; the bundled sample without FILE).",
        discussion: """
        Keys: d/D datatype, b/B block, x double quantization, l log axis, n normalised/raw domain, \
        c code usage, p pin a baseline, o/O outlier threshold, / filter, Enter open, E export the view (SVG + text), \
        t theme, ? help, q quit. \
        Views (Esc returns): i block inspector, s sweep frontier, a A/B against the pin, m LLM.int8() \
        decomposition (with an activation tensor), u outlier isolation, e explanation.
        A tensor a GGUF file stores quantized (Q4_K, IQ2_XXS, …) opens on its stored entry, 'stored Q4_K': the codes, \
        levels and values of the file's own blocks, and with --original FILE their error against the tensor they \
        were made from (matched by name or llama.cpp's names, as qscope compare does); d moves on to re-quantizing.
        The workbench needs a terminal; for scripts use 'qscope report'. QSCOPE_ASCII=1 draws with ASCII only; \
        NO_COLOR turns colours off.

        """ + HelpText.datatypes + "\n" + HelpText.blocks)

    @Argument(help: ArgumentHelp(FileHelp.file + " The bundled MiniLM sample when left out."))
    var file: String?

    @OptionGroup var model: ModelRevision

    @Option(name: .long, help: "The tensor to open first.")
    var tensor: String?

    @OptionGroup var quant: QuantOptions

    @Option(name: .long, help: "Colour theme: a name from themes/ (default, light, high-contrast, mono, gruvbox) or a TOML file.")
    var theme: String?

    @Option(name: .long, help: ArgumentHelp(
        "A file of activation tensors for the LLM.int8() view (m).",
        discussion: "Default: NAME-activations.safetensors beside NAME.safetensors when it exists (the bundled sample has one); the open file's own 2-D tensors are candidates too."))
    var activations: String?

    @Option(name: .long, help: ArgumentHelp(
        "The file the open one was quantized from: the stored quantization's error is measured against it.",
        discussion: "A safetensors model, folder or repo id; GGUF tensors are matched by llama.cpp's names too.", valueName: "file"))
    var original: String?

    func run() throws {
        guard let path = file ?? TensorLoading.bundledSample() else {
            throw CLIError.usage("no FILE given and the bundled sample samples/minilm-l6.safetensors was not found")
        }
        let f = try TensorLoading.open(path, revision: model.revision)
        if let tensor { _ = try TensorLoading.pick(f, name: tensor) }
        var themes = ThemeCatalog.all()
        if let theme {
            let chosen = try ThemeCatalog.load(theme)
            themes.removeAll { $0.name == chosen.name }
            themes.insert(chosen, at: 0)
        }
        if let explicit = self.activations, !FileManager.default.fileExists(atPath: explicit) {
            throw CLIError.runtime("\(explicit): no such file")
        }
        let activations = try WorkbenchLauncher.activationCandidates(file: f, explicit: self.activations)
        let source = try original.map { OriginalSource(original: try TensorLoading.open($0), quantized: f) }
        var failure: Error?
        let state = WorkbenchLauncher.state(file: f, tensor: tensor, config: { own in
            do { return try quant.config(defaultDatatype: own) } catch { failure = error; return QuantConfig() }
        }, userChoseBlock: quant.block != nil, userChoseDatatype: quant.dtype != nil, original: original,
           themes: themes, activations: activations)
        if let failure { throw failure }
        do {
            try WorkbenchApp(file: f, state: state, original: source).run()
        } catch {
            throw CLIError.runtime(error.description)
        }
    }
}
