import Foundation
import Testing
@testable import TensorIO

/// The restricted unpickler on hand-assembled pickles: what a state dict needs is read, everything else
/// stops the run at its byte, and hostile shapes (cycles, deep nesting) cost nothing.
@Suite("restricted unpickler")
struct PickleMachineTests {
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func str(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        return [0x58, UInt8(b.count & 0xFF), UInt8(b.count >> 8 & 0xFF), UInt8(b.count >> 16 & 0xFF), 0] + b
    }
    static func int(_ n: UInt8) -> [UInt8] { [0x4B, n] }
    static func tuple(_ items: [UInt8]...) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }
    static func storage(_ cls: String = "FloatStorage", key: String = "0", numel: UInt8 = 6) -> [UInt8] {
        tuple(str("storage"), global("torch", cls), str(key), str("cpu"), int(numel)) + [0x51]
    }
    static func tensor(offset: UInt8 = 0, size: [UInt8] = [2, 3], stride: [UInt8] = [3, 1], storage: [UInt8] = storage()) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2")
            + tuple(storage, int(offset), [0x28] + size.flatMap(int) + [0x74], [0x28] + stride.flatMap(int) + [0x74], [0x89],
                    global("collections", "OrderedDict") + [0x29, 0x52])
            + [0x52]
    }

    static func run(_ body: [UInt8]) throws(PickleError) -> (PickleMachine, PickleValue) {
        var m = PickleMachine()
        let v = try m.run([0x80, 0x02] + body + [0x2E])
        return (m, v)
    }

    static func names(_ body: [UInt8]) throws -> [String] {
        let (m, v) = try run(body)
        return try PyTorchFormat.walk(v, in: m, stem: "stem").map(\.name)
    }

    @Test func aStateDictWithViewsAndTiedWeights() throws {
        // {"w": t, "v": t[1:] transposed-ish view, "tied": the same tensor again (BINGET)}
        let body: [UInt8] = [0x7D, 0x28] + Self.str("w") + Self.tensor() + [0x71, 0x07]
            + Self.str("v") + Self.tensor(offset: 1, size: [3, 1], stride: [1, 3]) + Self.str("tied") + [0x68, 0x07] + [0x75]
        let (m, v) = try Self.run(body)
        let named = try PyTorchFormat.walk(v, in: m, stem: "s")
        #expect(named.map(\.name) == ["w", "v", "tied"])
        #expect(named[0].tensor == named[2].tensor)
        #expect(m.storages.count == 1)
        #expect(m.tensors[named[1].tensor] == PickleTensor(storage: 0, dtype: .float32, offset: 1, shape: [3, 1], strides: [1, 3], count: 3))
    }

    @Test func nestedCheckpointsAreFlattenedWithDots() throws {
        // {"epoch": 3, "model": {"fc": t}, "opt": {"state": {0: [t]}}}
        let body: [UInt8] = [0x7D, 0x28] + Self.str("epoch") + Self.int(3)
            + Self.str("model") + [0x7D] + Self.str("fc") + Self.tensor() + [0x73]
            + Self.str("opt") + [0x7D] + Self.str("state") + [0x7D] + Self.int(0) + [0x5D] + Self.tensor() + [0x61, 0x73, 0x73] + [0x75]
        #expect(try Self.names(body) == ["model.fc", "opt.state.0.0"])
        #expect(try Self.names(Self.tensor()) == ["stem"])
    }

    @Test func aDictHoldingItselfIsWalkedOnce() throws {
        // d = {}; d["self"] = d; d["w"] = t
        let body: [UInt8] = [0x7D, 0x71, 0x00] + Self.str("self") + [0x68, 0x00, 0x73] + Self.str("w") + Self.tensor() + [0x73]
        #expect(try Self.names(body) == ["w"])
    }

    @Test func aMillionNestedTuplesAreRefusedWithoutRecursion() throws {
        let body = Self.tensor() + [UInt8](repeating: 0x85, count: 1_000_000)
        let (m, v) = try Self.run(body)
        #expect(m.tupleRanges.count > 1_000_000)
        #expect(throws: PyTorchFormat.WalkError.self) { try PyTorchFormat.walk(v, in: m, stem: "s") }
    }

    @Test(arguments: [
        ("os", "system"), ("posix", "system"), ("nt", "system"), ("builtins", "eval"), ("builtins", "exec"),
        ("builtins", "getattr"), ("subprocess", "Popen"), ("torch", "load"), ("torch._utils", "_rebuild_qtensor"),
        ("torch.serialization", "_get_layout"), ("collections", "defaultdict"), ("torch", "Tensor"),
    ])
    func otherGlobalsAreRefusedWhereTheyAppear(module: String, name: String) throws {
        let body = Self.global(module, name) + Self.str("touch /tmp/x") + [0x85, 0x52]
        let e = #expect(throws: PickleError.self) { try Self.run(body) }
        #expect(e?.offset == 2)
        #expect(e?.reason.contains("\(module).\(name)") == true)
        // STACK_GLOBAL, protocol 4's spelling, too.
        var m = PickleMachine()
        let stacked: [UInt8] = [0x80, 0x04, 0x8C, UInt8(module.utf8.count)] + Array(module.utf8) + [0x8C, UInt8(name.utf8.count)] + Array(name.utf8)
            + [0x93, 0x2E]
        #expect(throws: PickleError.self) { try m.run(stacked) }
    }

    @Test(arguments: [
        ([0x28, 0x69] + Array("os\nsystem\n".utf8), "INST"),
        ([0x28] + global("collections", "OrderedDict") + [0x6F], "OBJ"),
        (global("collections", "OrderedDict") + [0x29, 0x81], "NEWOBJ"),
        (global("collections", "OrderedDict") + [0x29, 0x7D, 0x92], "NEWOBJ_EX"),
        ([0x82, 0x01], "EXT1"), ([0x83, 0x01, 0x00], "EXT2"), ([0x84, 0x01, 0x00, 0x00, 0x00], "EXT4"),
        (Array("P0\n".utf8), "PERSID"),
        (global("torch", "FloatStorage") + [0x29, 0x52], "REDUCE of torch.FloatStorage"),
        (str("x") + [0x29, 0x52], "REDUCE calls a str"),
        ([0x7D, 0x7D, 0x62], "BUILD of a dict"),
        ([0xFF], "0xFF"), (Array("I1\n".utf8), "0x49"), ([0x8B, 0, 0, 0, 0], "0x8B"),
        ([0x6A, 0xFF, 0xFF, 0xFF, 0xFF], "memo entry 4294967295"),
        ([0x8D, 0, 0, 0, 0, 0, 0, 0, 0x40], "4611686018427387904 bytes"),
        ([0x8A, 0x09] + [UInt8](repeating: 1, count: 9), "9 bytes"),
        ([0x75], "MARK"), ([0x73], "empty stack"),
        (tensor(size: [3], stride: [3]), "views elements up to 6"),
        (tensor(storage: storage(key: "0", numel: 2)), "holds 2"),
        (storage() + storage(numel: 7), "described twice"),
    ] as [([UInt8], String)])
    func everythingElseIsRefused(body: [UInt8], says: String) throws {
        let e = #expect(throws: PickleError.self) { try Self.run(body) }
        #expect(e?.reason.contains(says) == true, "\(e?.reason ?? "no error")")
    }

    /// Each bound stops a pickle that would otherwise grow memory without end (small limits here; the real
    /// ones take millions of opcodes to reach, a few MiB of deflated data.pkl).
    @Test func growthIsBounded() throws {
        let limits = PickleMachine.Limits(stack: 100, memo: 100, containers: 100, items: 100)
        func refusal(_ body: [UInt8]) -> String? {
            var m = PickleMachine(limits: limits)
            do { _ = try m.run([0x80, 0x02] + body + [0x2E]) } catch { return error.reason }
            return nil
        }
        #expect(refusal([UInt8](repeating: 0x4E, count: 101))?.contains("stack grows past 100") == true)
        #expect(refusal([UInt8](repeating: 0x28, count: 101))?.contains("open marks") == true)
        #expect(refusal([0x4E] + (0..<101).flatMap { [0x72, UInt8($0), 0, 0, 0] })?.contains("memo grows past 100") == true)
        #expect(refusal([UInt8](repeating: 0x29, count: 101))?.contains("more than 100 containers") == true)
        // SETITEM on one dict, over and over: no new container, but ever more items.
        #expect(refusal([0x7D] + [UInt8](repeating: 0, count: 51).flatMap { _ in [0x4E, 0x4E, 0x73] })?.contains("hold more than 100 values") == true)
        #expect(refusal([0x5D, 0x28] + [UInt8](repeating: 0x4E, count: 99) + [0x65, 0x4E, 0x61, 0x4E, 0x61])?.contains("hold more than 100 values") == true)
        // Rewriting one memo slot does not grow the memo.
        #expect(refusal([0x4E] + [UInt8](repeating: 0, count: 200).flatMap { _ in [0x71, 0x00] }) == nil)
    }

    @Test func integersOfEveryWidth() throws {
        func value(_ body: [UInt8]) throws -> PickleValue { try Self.run(body).1 }
        #expect(try value([0x4A, 0xFF, 0xFF, 0xFF, 0xFF]) == .int(-1))
        #expect(try value([0x4D, 0x34, 0x12]) == .int(0x1234))
        #expect(try value([0x8A, 0x00]) == .int(0))
        #expect(try value([0x8A, 0x01, 0xFF]) == .int(-1))
        #expect(try value([0x8A, 0x05, 0, 0, 0, 0, 0x01]) == .int(1 << 32))
        #expect(try value([0x8A, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x80]) == .int(Int.min))
        #expect(try value([0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0]) == .float(1.5))
        #expect(try value([0x8C, 0x02, 0x68, 0x69]) == .string("hi"))
    }

    @Test func truncationAnywhereIsAnErrorNotATrap() throws {
        let whole: [UInt8] = [0x80, 0x02, 0x7D, 0x28] + Self.str("w") + Self.tensor() + [0x75, 0x2E]
        for cut in 0..<whole.count {
            var m = PickleMachine()
            #expect(throws: PickleError.self) { try m.run(Array(whole[0..<cut])) }
        }
        var m = PickleMachine()
        #expect(throws: Never.self) { try m.run(whole) }
    }
}
