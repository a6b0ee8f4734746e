import ArgumentParser
import QuantCore
import Reports
import Workbench

extension DataType: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.name) }
}

extension BlockSize: ExpressibleByArgument {}

extension OutputFormat: ExpressibleByArgument {}

/// Help text shared by the commands that take `--dtype` and `--block`.
enum HelpText {
    static let datatypes: String = {
        var s = "Datatypes:\n"
        for dt in DataType.allCases {
            s += "  \(dt.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(dt.summary)\n"
        }
        return s
    }()

    static let blocks = """
    Block sizes: a power of two from 16 to 4096 (consecutive elements of the row-major tensor share \
    one scale; the last block may be partial; small blocks isolate outliers), 'row' (one scale per \
    row, LLM.int8()'s vector-wise scaling), 'column' (one per last-axis index), 'tensor' (one scale). \
    MX formats fix the block at 32 and NVFP4 at 16; leaving --block out picks it.
    """

    static let exitCodes = "Exit codes: 0 success, 1 runtime failure, 2 usage error, 65 malformed or unsupported input."
}

/// A comma-separated option value (`--dtypes`, `--blocks`, `--thresholds`, `--percents`): each item,
/// trimmed, through `item`; the first that gives nil is named in `failure`'s error.
func commaList<T>(_ text: String, _ item: (String) -> T?, failure: (Substring) -> Error) throws -> [T] {
    try text.split(separator: ",").map { part in
        guard let v = item(part.trimmingCharacters(in: .whitespaces)) else { throw failure(part) }
        return v
    }
}

/// `--dtype`, `--block`, `--double-quant`.
struct QuantOptions: ParsableArguments {
    @Option(name: .long, help: "Datatype (see the list below; default nf4, or a GGUF tensor's own format in the workbench).")
    var dtype: DataType?

    @Option(name: .long, help: "Block size: a power of two from 16 to 4096, row, column or tensor (default 64, or the format's own).")
    var block: BlockSize?

    @Flag(name: .customLong("double-quant"), help: "Quantize the per-block absmax again, as bitsandbytes' compress_statistics (QLoRA).")
    var doubleQuant = false

    /// The configuration, with the format's fixed block when the user chose none.
    func config() throws -> QuantConfig {
        try config(defaultDatatype: .nf4)
    }

    /// The configuration, starting from `defaultDatatype` when `--dtype` was not given.
    func config(defaultDatatype: DataType) throws -> QuantConfig {
        let dtype = self.dtype ?? defaultDatatype
        let c = QuantConfig(dtype: dtype, block: block ?? .elements(64), doubleQuant: doubleQuant)
        let adapted = block == nil ? QuantConfig(dtype: dtype, block: dtype.fixedBlock.map { .elements($0) } ?? .elements(64),
                                                 doubleQuant: doubleQuant) : c
        do { try adapted.validate() } catch { throw CLIError.usage(error.description) }
        return adapted
    }
}

/// What a `FILE` argument may be, for the help texts.
enum FileHelp {
    static let file = "A .safetensors, .npy, .npz, .gguf or PyTorch .pt/.bin file (recognised by content), a model folder, "
        + "or a Hugging Face repo id ORG/NAME in the local hub cache."
}

/// `--revision`, beside every FILE argument.
struct ModelRevision: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "For a hub repo id: a branch or tag under refs/ (default main) or a commit hash.",
        discussion: "The repo is looked up in HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub; qscope never downloads."))
    var revision: String?
}

/// `FILE`, `--revision` and `--tensor`.
struct TensorSelection: ParsableArguments {
    @Argument(help: ArgumentHelp(FileHelp.file))
    var file: String

    @OptionGroup var model: ModelRevision

    @Option(name: .long, help: "The tensor to open (optional when the file holds one tensor).")
    var tensor: String?
}

/// `--format`: the output of a batch command. Commands that print only some formats say which in
/// `validate()` through `require(_:)`.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "text, json, csv or markdown (list and bench: text or json).")
    var format: OutputFormat = .text

    /// Refuses a format the command does not print.
    func require(_ allowed: [OutputFormat], command: String) throws {
        guard allowed.contains(format) else {
            throw ValidationError("\(command) supports --format \(allowed.map(\.rawValue).joined(separator: " or "))")
        }
    }
}
