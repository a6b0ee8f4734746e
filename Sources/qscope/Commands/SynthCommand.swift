import ArgumentParser
import Foundation
import QuantCore
import Reports
import TUI
import TensorCore
import TensorIO
import Workbench

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
