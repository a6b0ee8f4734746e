import Foundation
import Synchronization
import Testing

/// A tensor of tens of millions of bfloat16 values streams through `report` with bounded anonymous
/// memory: the peak RssAnon of the process (sampled from /proc) stays far below the float32 copy the
/// old engine made, and does not grow with the tensor (two sizes).
@Suite("memory bound", .serialized)
struct MemoryBoundTests {
    /// Writes a `rows × 4096` bfloat16 safetensors file of a deterministic pattern.
    static func writeBF16(rows: Int, to url: URL) throws {
        let cols = 4096
        let header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[\(rows),\(cols)],\"data_offsets\":[0,\(rows * cols * 2)]}}"
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        try #require(FileManager.default.createFile(atPath: url.path, contents: nil))
        let f = try FileHandle(forWritingTo: url)
        defer { try? f.close() }
        var len = UInt64(h.count).littleEndian
        try f.write(contentsOf: Data(bytes: &len, count: 8) + Data(h))
        // 64 different rows of uniform values in ±0.05, repeated: enough variety for the engine.
        var slab = [UInt16](repeating: 0, count: 64 * cols)
        var state: UInt32 = 12345
        for i in slab.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            let v = Float(Int32(bitPattern: state) >> 8) / Float(1 << 23) * 0.05
            slab[i] = UInt16(truncatingIfNeeded: v.bitPattern >> 16)
        }
        let data = slab.withUnsafeBytes { Data($0) }
        for _ in 0..<(rows / 64) { try f.write(contentsOf: data) }
    }

    /// Peak RssAnon (KiB) of `qscope args`, sampled every 5 ms.
    static func peakAnon(_ args: [String]) throws -> (Int, Int32) {
        let child = try ChildProcess(CLI.binary.path, args, captureOutput: false)
        let peak = Mutex(0)
        let pid = child.pid
        let sampler = Thread {
            // Until the child is reaped: a zombie has no status lines to read, and then the pid is gone.
            while kill(pid, 0) == 0 {
                if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                   let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
                   let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") {
                    peak.withLock { $0 = max($0, kib) }
                }
                usleep(5_000)
            }
        }
        sampler.start()
        let status = child.wait(timeout: 300).status
        usleep(20_000)
        return (peak.withLock { $0 }, status)
    }

    @Test func reportKeepsAnonymousMemoryBounded() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-mem-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var peaks: [Int] = []
        for rows in [2048, 6144] {           // 8.4 M and 25 M values (16 and 48 MiB of bfloat16)
            let url = dir.appendingPathComponent("w\(rows).safetensors")
            try Self.writeBF16(rows: rows, to: url)
            let (peak, status) = try Self.peakAnon(["report", url.path, "--tensor", "w", "--format", "json"])
            #expect(status == 0)
            peaks.append(peak)
        }
        // A float32 copy of the larger tensor alone would be 96 MiB; the engine holds at most its
        // decoded-chunk budget (64 MiB) and small buffers, whatever the size.
        #expect(peaks[1] < 90 * 1024, "peak RssAnon \(peaks[1] / 1024) MiB for 25 M values")
        #expect(peaks[1] < peaks[0] + 70 * 1024, "peaks \(peaks.map { $0 / 1024 }) MiB")
    }
}
