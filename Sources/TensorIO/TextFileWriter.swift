import Foundation

/// A text output (an SVG figure, a screen's text) written as every qscope output is: into a temporary
/// file in the destination folder, synchronised, then renamed into place, so that a reader never sees
/// half a file; an existing file is replaced only with `force`.
public enum TextFileWriter {
    public static func write(_ text: String, to path: String, force: Bool) throws {
        try AtomicFile.refuseExisting(path, force: force)
        try AtomicFile.write(to: path) { handle in try handle.write(contentsOf: Data(text.utf8)) }
    }
}
