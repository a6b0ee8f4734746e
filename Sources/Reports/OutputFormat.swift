/// The output formats of the batch commands.
public enum OutputFormat: String, CaseIterable, Sendable {
    case text, json, csv, markdown
}
