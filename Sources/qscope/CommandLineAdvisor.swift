import ArgumentParser
import Foundation
import Reports

/// Usage errors that say what is wrong and what was probably meant.
///
/// The argument parser reads `qscope reprot F` as the workbench opening a file `reprot` with one argument
/// too many, `--block -64` as `--block` without a value followed by an option `-64`, and rejects
/// `--dtype nf5` with the list of every datatype. The advisor looks at the arguments again: before
/// parsing, for a first word that is neither a subcommand nor a path; after the parser refused them,
/// for an unknown option, datatype or block size, with the nearest valid name (`NameSuggestion`).
enum CommandLineAdvisor {
    /// The subcommands by name, `help` included.
    static var subcommands: [(name: String, type: ParsableCommand.Type)] {
        Qscope.configuration.subcommands.map { ($0._commandName, $0) }
    }

    static var subcommandNames: [String] { subcommands.map(\.name) + ["help"] }

    /// Refuses a first word that is neither a subcommand nor an existing file or folder: a usage error
    /// (exit 2) naming the nearest subcommand when one is near, or when more arguments follow (the
    /// workbench takes one FILE, so a subcommand was meant); otherwise a missing file (exit 1), saying
    /// that no subcommand has that name either.
    static func checkFirstWord(_ args: [String]) throws {
        let list = "qscope --help lists the subcommands"
        // `qscope help NAME` for a NAME that is no subcommand would print the general help and succeed.
        if args.count >= 2, args[0] == "help", !args[1].hasPrefix("-"), !subcommandNames.contains(args[1]) {
            throw CLIError.usage("no subcommand '\(args[1])'" + NameSuggestion.didYouMean(args[1], in: subcommandNames) + " (\(list))")
        }
        guard let first = args.first, !first.hasPrefix("-"), !first.contains("/"), !subcommandNames.contains(first),
              !FileManager.default.fileExists(atPath: first) else { return }
        if let near = NameSuggestion.nearest(to: first, in: subcommandNames) {
            throw CLIError.usage("'\(first)' is neither a subcommand nor a file; did you mean '\(near)'? (\(list))")
        }
        if args.count > 1, !args[1].hasPrefix("-") {
            throw CLIError.usage("'\(first)' is not a subcommand, and no file of that name exists (\(list))")
        }
        throw CLIError.runtime("'\(first)' is neither a file nor a subcommand (\(list))")
    }

    /// The options a subcommand takes, read from its help: each long and short name, and whether it takes a value.
    static func options(of command: ParsableCommand.Type) -> [String: Bool] {
        let help = Qscope.helpMessage(for: command, includeHidden: true, columns: 10_000)
        var out: [String: Bool] = ["--help": false, "-h": false, "--version": false]
        let pattern = try! NSRegularExpression(pattern: #"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)( <)?"#)
        let ns = help as NSString
        for m in pattern.matches(in: help, range: NSRange(location: 0, length: ns.length)) {
            let name = ns.substring(with: m.range(at: 1))
            if name.count == 2 || name.hasPrefix("--") { out[name] = (out[name] ?? false) || m.range(at: 2).location != NSNotFound }
        }
        return out
    }

    /// Why the parser refused `args`, in a sentence that names the nearest valid spelling; nil keeps the
    /// parser's own message.
    static func diagnose(_ args: [String]) -> String? {
        var rest = args[...]
        var command: ParsableCommand.Type = Open.self
        var commandName = "qscope"
        if let first = args.first, let sub = subcommands.first(where: { $0.name == first }) {
            command = sub.type
            commandName = "qscope \(sub.name)"
            rest = args.dropFirst()
        }
        let options = options(of: command)
        let longNames = options.keys.filter { $0.hasPrefix("--") }.sorted()
        var i = rest.startIndex
        while i < rest.endIndex {
            let token = rest[i]
            i += 1
            if token == "--" { break }
            guard token.hasPrefix("-"), Double(token) == nil else { continue }
            let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            guard let takesValue = options[name] else {
                let near = name.hasPrefix("--") ? NameSuggestion.nearest(to: name, in: longNames) : nil
                return "unknown option '\(name)' for \(commandName)"
                    + (near.map { "; did you mean '\($0)'?" } ?? " ('\(commandName) --help' lists its options)")
            }
            guard takesValue else { continue }
            let value: String
            if parts.count == 2 {
                value = parts[1]
            } else {
                guard i < rest.endIndex else { continue }
                value = rest[i]
                i += 1
                // The parser reads a negative number after an option as an option of its own.
                if value.hasPrefix("-"), Double(value) != nil, name != "--block" {
                    return "\(name) \(value): a value that starts with '-' reads as an option; write \(name)=\(value) if you mean it"
                }
            }
            switch name {
            case "--dtype": if let advice = UsageAdvice.datatype(value) { return advice }
            case "--block": if let advice = UsageAdvice.blockSize(value) { return advice }
            case "--format" where OutputFormat(rawValue: value) == nil:
                let formats = OutputFormat.allCases.map(\.rawValue)
                return "--format: '\(value)' is not an output format" + NameSuggestion.didYouMean(value, in: formats)
                    + " (\(formats.joined(separator: ", ")); '\(commandName) --help' says which this command prints)"
            default: break
            }
        }
        return nil
    }
}
