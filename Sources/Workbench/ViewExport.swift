import Foundation
import QuantCore
import Reports
import TensorCore
import TensorIO

/// `E`: the view on screen kept as two files in the current folder — an SVG figure and the screen's
/// text — named after the tensor and the configuration.
///
/// On the panes the figure is `qscope plot`'s (`HistogramFigure`: the normalised histogram with the
/// code levels and decision boundaries); a deep-dive view, which is not a histogram, is drawn as its
/// text. `update` makes the export from the state (pure); the effect runner writes it and reports
/// where, for the status line.
public struct ViewExport: Sendable, Equatable {
    /// The folder the files go to; the current folder when nil (resolved when they are written).
    public var directory: String?
    /// The file name without its extension (`encoder.layer.0.output.dense.weight-nf4-b64`).
    public var baseName: String
    public var svg: String
    public var text: String

    public init(directory: String? = nil, baseName: String, svg: String, text: String) {
        self.directory = directory
        self.baseName = baseName
        self.svg = svg
        self.text = text
    }

    /// What `E` writes for the state on screen.
    public static func of(_ s: WorkbenchState) -> ViewExport {
        let screen = WorkbenchView.render(s).lines()
        let text = screen.joined(separator: "\n") + "\n"
        let view = s.deepView.map { "-" + $0.rawValue } ?? ""
        if s.deepView == nil, let a = s.analysis {
            // The figure is of the figures on screen: the name follows the analysis, not a pending key.
            return ViewExport(baseName: fileName(a.tensorName, a.label, a.config), svg: HistogramFigure(analysis: a, logCounts: s.logAxis).svg(),
                              text: text)
        }
        let tensor = s.openTensor ?? URL(fileURLWithPath: s.file).deletingPathExtension().lastPathComponent
        let title = s.deepView.map { "\(tensor) · \(s.config.description) · \($0.title)" } ?? tensor
        return ViewExport(baseName: fileName(tensor, s.storedView ? "stored" : nil, s.config) + view,
                          svg: HistogramFigure.textFigure(title: title, lines: screen), text: text)
    }

    /// `TENSOR-DTYPE-bBLOCK[-dq]` (or `TENSOR-stored-TYPE`), with only letters, digits, `.`, `_` and `-`.
    static func fileName(_ tensor: String, _ label: String?, _ config: QuantConfig) -> String {
        let what = label.flatMap { $0.hasPrefix("stored") ? $0.replacingOccurrences(of: " ", with: "-") : nil }
            ?? (config.dtype.hasCodes ? "\(config.dtype.name)-b\(config.block)" + (config.doubleQuant ? "-dq" : "") : config.dtype.name)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return String("\(tensor)-\(what)".map { allowed.contains($0) ? $0 : "_" })
    }

    /// Writes both files, each atomically, under the first name (`NAME`, `NAME-2`, …) that replaces
    /// neither an existing `.svg` nor an existing `.txt`; returns their paths.
    public func write() throws -> (svg: String, text: String) {
        let dir = directory ?? FileManager.default.currentDirectoryPath
        let fm = FileManager.default
        var n = 1
        func path(_ ext: String) -> String {
            (dir as NSString).appendingPathComponent(baseName + (n == 1 ? "" : "-\(n)") + "." + ext)
        }
        while fm.fileExists(atPath: path("svg")) || fm.fileExists(atPath: path("txt")) { n += 1 }
        let svgPath = path("svg"), textPath = path("txt")
        try TextFileWriter.write(svg, to: svgPath, force: false)
        try TextFileWriter.write(text, to: textPath, force: false)
        return (svgPath, textPath)
    }

    /// Writes the files; the status line's sentence either way.
    public func writeAndReport() -> String {
        do {
            let (svg, text) = try write()
            let dir = (svg as NSString).deletingLastPathComponent
            return "wrote \((svg as NSString).lastPathComponent) and \((text as NSString).lastPathComponent) in \(dir)"
        } catch {
            return "could not export the view: \(error)"
        }
    }
}
