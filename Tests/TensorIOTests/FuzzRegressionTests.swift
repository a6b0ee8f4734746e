import Foundation
import Testing
@testable import TensorIO

/// Replays the inputs that once crashed a parser (`Tests/Fixtures/fuzz-regressions`).
@Suite("fuzzing regressions")
struct FuzzRegressionTests {
    static let dir = IOFixtures.dir.deletingLastPathComponent().appendingPathComponent("fuzz-regressions")

    static func files(_ parser: String) -> [URL] {
        let folder = dir.appendingPathComponent(parser)
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().map { folder.appendingPathComponent($0) }
    }

    @Test func ggufInputsNoLongerTrap() throws {
        let files = Self.files("gguf")
        #expect(!files.isEmpty)
        for url in files {
            let file = MappedFile(path: url.lastPathComponent, bytes: try [UInt8](Data(contentsOf: url)))
            #expect(throws: TensorFileError.self) { try GGUFFormat.parse(file) }
        }
    }

    /// A million nested tuples behind 1 KiB of deflate: refused (nested past 32) in bounded time and memory.
    @Test func pickleInputsAreRefusedInBoundedTime() throws {
        let files = Self.files("pickle")
        #expect(!files.isEmpty)
        for url in files {
            let start = Date()
            #expect(throws: TensorFileError.self) { try TensorFile.open(url.path) }
            #expect(Date().timeIntervalSince(start) < 10, "\(url.lastPathComponent) took \(Date().timeIntervalSince(start)) s")
        }
    }

    /// Each refused at once: the claim is checked against the archive's size before any read.
    @Test func npzInputsAreRefusedFast() throws {
        let files = Self.files("npz")
        #expect(!files.isEmpty)
        for url in files {
            let start = Date()
            #expect(throws: TensorFileError.self) { try TensorFile.open(url.path) }
            #expect(Date().timeIntervalSince(start) < 2, "\(url.lastPathComponent) took \(Date().timeIntervalSince(start)) s")
        }
    }
}
