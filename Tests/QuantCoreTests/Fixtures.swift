import Foundation
import TensorCore
import TensorIO
import Testing
@testable import QuantCore

/// Loads the reference vectors in `Tests/Fixtures/refvec` (see `Tests/Fixtures/README.md`).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { root.appendingPathComponent("refvec/\(name).npy") }

    /// A reference array as `Float` (integer codes and bit patterns convert exactly).
    static func load(_ name: String) throws -> Tensor {
        let file = try TensorFile.open(url(name).path)
        return try file.load(file.tensors[0].name)
    }

    static func floats(_ name: String) throws -> [Float] { try load(name).values }
    static func bytes(_ name: String) throws -> [UInt8] { try load(name).values.map { UInt8($0) } }

    /// Packs 4-bit codes as bitsandbytes does: element 2i in the high nibble.
    static func pack(_ codes: [UInt8]) -> [UInt8] {
        stride(from: 0, to: codes.count, by: 2).map { i in
            (codes[i] << 4) | (i + 1 < codes.count ? codes[i + 1] : 0)
        }
    }
}

/// Deterministic pseudo-random normal values (xorshift + Box–Muller) for tests that need many values.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Float {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2))
    }
    mutating func normals(_ n: Int) -> [Float] { (0..<n).map { _ in normal() } }
}
