import Foundation
import Testing
import TensorCore
@testable import TensorIO

/// Every ggml block type decoded bit for bit as gguf-py decodes it, and the codes the workbench reads.
@Suite("GGML blocks")
struct GGMLBlockTests {
    static let dir = IOFixtures.dir.deletingLastPathComponent().appendingPathComponent("gguf")
    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// The raw block bytes of every tensor of a GGUF file, by name.
    static func rawTensors(_ name: String) throws -> [String: (type: GGMLType, shape: [Int], bytes: [UInt8])] {
        let file = try MappedFile(path: path(name))
        var out: [String: (GGMLType, [Int], [UInt8])] = [:]
        for t in try GGUFFormat.parse(file).tensors {
            out[t.info.name] = (t.type!, t.info.shape, try file.bytes(t.range, what: t.info.name))
        }
        return out
    }

    @Test func everyTypeIsReadableAndNamed() {
        for t in GGMLType.allCases {
            #expect(t.isReadable)
            #expect(GGMLType(name: t.name) == t)
            #expect(GGMLType(name: t.name.lowercased()) == t)
        }
        #expect(GGMLType.mxfp4.rawValue == 39 && GGMLType.mxfp4.blockLayout == (32, 17))
        #expect(GGMLType.nvfp4.rawValue == 40 && GGMLType.nvfp4.blockLayout == (64, 36))
    }

    @Test func everyQuantizedTypeDecodesLikeTheGGUFPackage() throws {
        let expected = try TensorFile.open(Self.path("all_types_expected.npz"))
        let file = try TensorFile.open(Self.path("all_types.gguf"))
        var seen = Set<GGMLType>()
        for info in file.tensors {
            let type = try #require(GGMLType(name: String(info.name.dropFirst(2))))
            seen.insert(type)
            #expect(info.dtype == type.name)
            let got = try file.load(info.name).values
            let want = try expected.load(info.name).values
            #expect(got.count == want.count)
            let differ = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0, "\(info.name): \(differ) of \(got.count) values differ")
        }
        // gguf-py 0.19.0 decodes every quantized type except Q8_1, Q8_K, Q1_0 and Q2_0 (tested below).
        let untested = GGMLType.allCases.filter { $0.isQuantized && !seen.contains($0) }
        #expect(Set(untested) == [.q8_1, .q8_K, .q1_0, .q2_0])
    }

    /// Decodes one block of `bytes`.
    static func decode(_ type: GGMLType, _ bytes: [UInt8]) -> [Float] {
        var out = [Float](repeating: .nan, count: type.blockLayout.elements * (bytes.count / type.blockLayout.bytes))
        bytes.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { type.dequantize(raw, blocks: bytes.count / type.blockLayout.bytes, into: $0.baseAddress!) } }
        return out
    }

    static func half(_ x: Float) -> [UInt8] { let b = Float16(x).bitPattern; return [UInt8(b & 0xFF), UInt8(b >> 8)] }

    /// The types gguf-py cannot decode, against ggml's formulas written out by hand.
    @Test func typesWithoutAGGUFPackageDecoder() {
        // Q1_0: bit set → +d, clear → −d (128 per block).
        let q1 = Self.half(0.5) + [0b0000_0101] + [UInt8](repeating: 0, count: 14) + [0x80]
        let y1 = Self.decode(.q1_0, q1)
        #expect(y1[0] == 0.5 && y1[1] == -0.5 && y1[2] == 0.5 && y1[3] == -0.5 && y1[127] == 0.5 && y1[126] == -0.5)
        // Q2_0: (q − 1)·d, four per byte, low bits first (64 per block).
        let q2 = Self.half(-2) + [0b11_10_01_00] + [UInt8](repeating: 0x55, count: 15)
        #expect(Array(Self.decode(.q2_0, q2).prefix(5)) == [2, -0.0, -2, -4, -0.0])
        // Q8_1: q·d; the fp16 sum s is ignored.
        let q8_1 = Self.half(0.25) + Self.half(99) + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
        #expect(Self.decode(.q8_1, q8_1) == (0..<32).map { Float($0 - 16) * 0.25 })
        // Q8_K: a float32 d, 256 int8, then 16 int16 sums.
        let d = Float(0.1).bitPattern
        let q8k = [UInt8(d & 0xFF), UInt8((d >> 8) & 0xFF), UInt8((d >> 16) & 0xFF), UInt8(d >> 24)]
            + (0..<256).map { UInt8(truncatingIfNeeded: $0) } + [UInt8](repeating: 7, count: 32)
        #expect(Self.decode(.q8_K, q8k) == (0..<256).map { 0.1 * Float(Int8(truncatingIfNeeded: $0)) })
    }

    /// Blocks whose scales make every element's value its level: random code bits, fixed scale fields.
    static func unitBlocks(_ type: GGMLType, count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix(seed: seed)
        let size = type.blockLayout.bytes
        var bytes = (0..<(count * size)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        func set(_ b: Int, _ offset: Int, _ values: [UInt8]) { for (k, v) in values.enumerated() { bytes[b * size + offset + k] = v } }
        let one = Self.half(1)
        for b in 0..<count {
            switch type {
            case .q4_0, .q5_0, .q8_0, .q1_0, .q2_0, .iq4_NL: set(b, 0, one)
            case .q8_1: set(b, 0, one)
            case .q4_1, .q5_1: set(b, 0, one + [0, 0])
            case .q2_K: set(b, 0, [UInt8](repeating: 0x01, count: 16)); set(b, 80, one + [0, 0])
            case .q3_K: set(b, 96, [UInt8](repeating: 0x11, count: 8) + [UInt8](repeating: 0xAA, count: 4) + one) // 33 − 32 = 1
            case .q4_K, .q5_K: set(b, 0, one + [0, 0] + [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1])
            case .q6_K: set(b, 192, [UInt8](repeating: 1, count: 16) + one)
            case .q8_K: set(b, 0, [0, 0, 0x80, 0x3F])
            case .iq4_XS: set(b, 0, one + [0xAA, 0xAA, 0x11, 0x11, 0x11, 0x11]) // ls = 1 | 2 << 4 = 33
            case .tq1_0: set(b, 52, one)
            case .tq2_0: set(b, 64, one)
            case .mxfp4: set(b, 0, [127]) // scale/2 = 2^-1: values are E2M1
            case .nvfp4: set(b, 0, [0x38, 0x38, 0x38, 0x38]) // UE4M3 1.0
            case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64, .iq2_XXS, .iq2_XS, .iq2_S, .iq3_XXS, .iq3_S, .iq1_S, .iq1_M: break
            }
        }
        return bytes
    }

    @Test(arguments: GGMLType.allCases.filter { $0.codeBook != nil })
    func scalarCodesIndexTheLevelsTheDecoderUses(type: GGMLType) throws {
        let book = try #require(type.codeBook)
        let blocks = 3
        let bytes = Self.unitBlocks(type, count: blocks, seed: UInt64(type.rawValue))
        let n = blocks * type.blockLayout.elements
        var codes = [UInt8](repeating: 0xFF, count: n)
        bytes.withUnsafeBytes { raw in codes.withUnsafeMutableBufferPointer { type.codes(raw, blocks: blocks, into: $0.baseAddress!) } }
        let values = Self.decode(type, bytes)
        #expect(codes.allSatisfy { Int($0) < book.count })
        let wrong = (0..<n).filter { values[$0] != book.levels[Int(codes[$0])] }
        #expect(wrong.isEmpty, "\(type.name): \(wrong.count) elements, first at \(wrong.first ?? -1)")
        #expect(Set(codes).count > min(book.count, n) / 2, "random bits should use many codes")
        if let levels = type.levels { #expect(levels == book.levels) }
    }

    @Test func levelTables() {
        #expect(GGMLType.iq4_NL.levels == [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113])
        #expect(GGMLType.mxfp4.levels == [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6])
        #expect(GGMLType.mxfp4.levels?[8].sign == .minus)
        #expect(GGMLType.q4_K.levels == nil && GGMLType.q4_K.codeBook?.count == 16)
        #expect(GGMLType.q3_K.codeBook?.levels.first == -4)
        #expect(GGMLType.f32.codeKind == .none)
    }

    @Test(arguments: GGMLType.allCases.filter { $0.lattice != nil })
    func latticeCodesRebuildTheDecodedValues(type: GGMLType) throws {
        let lattice = try #require(type.lattice)
        #expect(lattice.values.count == lattice.points * lattice.groupSize)
        #expect(lattice.groupsPerBlock * lattice.groupSize == 256)
        // Random blocks with fixed scale fields; the group scale is then a known constant.
        let blocks = 4
        var rng = SplitMix(seed: UInt64(type.rawValue))
        var bytes = (0..<(blocks * type.blockLayout.bytes)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let size = type.blockLayout.bytes
        let one = Self.half(1)
        var scale: Float = 1
        for b in 0..<blocks {
            func set(_ offset: Int, _ v: [UInt8]) { for (k, x) in v.enumerated() { bytes[b * size + offset + k] = x } }
            switch type {
            case .iq2_XXS:
                set(0, one)
                for ib in 0..<8 { bytes[b * size + 2 + 8 * ib + 7] = (bytes[b * size + 2 + 8 * ib + 7] & 0x0F) | 0x10 } // s = 1
                scale = 1.5 * 0.25
            case .iq2_XS: set(0, one); set(66, [UInt8](repeating: 0x11, count: 8)); scale = 1.5 * 0.25
            case .iq2_S: set(0, one); set(74, [UInt8](repeating: 0x11, count: 8)); scale = 1.5 * 0.25
            case .iq3_XXS:
                set(0, one)
                for ib in 0..<8 { bytes[b * size + 66 + 4 * ib + 3] = (bytes[b * size + 66 + 4 * ib + 3] & 0x0F) | 0x10 }
                scale = 1.5 * 0.5
            case .iq3_S: set(0, one); set(106, [0, 0, 0, 0]); scale = 1
            case .iq1_S:
                set(0, one)
                for ib in 0..<8 { bytes[b * size + 34 + 2 * ib + 1] &= 0x8F } // 3-bit scale 0
                scale = 1
            case .iq1_M:
                // d = 1.0 = 0x3C00 spread over the top nibbles (0, 0, C, 3); 3-bit scales 0.
                set(48, [0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x30])
                scale = 1
            case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .q1_0, .q2_0,
                 .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq4_NL, .iq4_XS, .tq1_0, .tq2_0, .mxfp4, .nvfp4:
                Issue.record("not a lattice type")
            }
        }
        var codes = [GGMLLatticeCode](repeating: GGMLLatticeCode(point: 0, signs: 0, shift: 0), count: blocks * lattice.groupsPerBlock)
        bytes.withUnsafeBytes { raw in codes.withUnsafeMutableBufferPointer { type.latticeCodes(raw, blocks: blocks, into: $0.baseAddress!) } }
        let values = Self.decode(type, bytes)
        var wrong = 0
        for (g, c) in codes.enumerated() {
            #expect(Int(c.point) < lattice.points)
            for j in 0..<lattice.groupSize {
                let v = lattice.values[Int(c.point) * lattice.groupSize + j]
                let want: Float = lattice.hasSigns
                    ? scale * v * ((c.signs >> UInt8(j)) & 1 != 0 ? -1 : 1)
                    : scale * (v + Float(c.shift) * 0.125)
                if values[g * lattice.groupSize + j] != want { wrong += 1 }
            }
            if lattice.hasSigns { #expect(c.shift == 0) } else { #expect(c.signs == 0 && (c.shift == 1 || c.shift == -1)) }
        }
        #expect(wrong == 0, "\(type.name): \(wrong) values differ")
    }

    /// A partial read (a range that cuts blocks) gives the same values as the whole decode.
    @Test func rangesThatCutBlocksReadTheSameValues() throws {
        let file = try TensorFile.open(Self.path("all_types.gguf"))
        for info in file.tensors {
            let reader = try file.reader(info.name)
            let all = reader.readAll()
            let start = reader.granularity / 2 + 3, end = min(info.count, start + reader.granularity * 2 + 5)
            var part = [Float](repeating: .nan, count: end - start)
            part.withUnsafeMutableBufferPointer { reader.read(start..<end, into: $0) }
            #expect(part.map(\.bitPattern) == all[start..<end].map(\.bitPattern), "\(info.name)")
        }
    }

    /// Every type's data is checked against the file's size before a byte is read.
    @Test(arguments: GGMLType.allCases)
    func truncatedDataIsRefused(type: GGMLType) {
        let (qk, size) = type.blockLayout
        let bytes = GGUFTests.gguf(infos: GGUFTests.info("w", dims: [UInt64(qk), 2], type: type.rawValue),
                                   data: [UInt8](repeating: 0, count: 2 * size - 1))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-trunc-\(UUID().uuidString).gguf")
        try? Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let e = MalformedTests.firstError(url.path)
        #expect(e?.description.contains("past the end") == true, "\(type.name): \(e?.description ?? "no error")")
    }
}

/// A small deterministic generator for test bytes.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Decode speed per type, on 4 MiB of random valid blocks: `QSCOPE_BENCH_GGML=1 swift test -c release
/// -Xswiftc -enable-testing --filter GGMLDecodeSpeed` prints MB/s of blocks and millions of values/s.
@Suite("GGML decode speed", .enabled(if: ProcessInfo.processInfo.environment["QSCOPE_BENCH_GGML"] == "1"))
struct GGMLDecodeSpeed {
    @Test func decodeSpeedPerType() {
        var lines: [String] = []
        for type in GGMLType.allCases {
            let (qk, size) = type.blockLayout
            let blocks = (4 << 20) / size
            var bytes = GGMLBlockTests.unitBlocks(type, count: blocks, seed: 1)
            if type == .f32 || type == .f64 || type == .f16 || type == .bf16 { bytes = [UInt8](repeating: 0x3C, count: blocks * size) }
            var out = [Float](repeating: 0, count: blocks * qk)
            var best = Double.infinity
            for _ in 0..<5 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                bytes.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { type.dequantize(raw, blocks: blocks, into: $0.baseAddress!) } }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            lines.append(String(format: "%-8@ %8.0f MB/s of blocks %8.0f M values/s", type.name, Double(blocks * size) / best / 1e6, Double(blocks * qk) / best / 1e6))
        }
        print(lines.joined(separator: "\n"))
    }
}
