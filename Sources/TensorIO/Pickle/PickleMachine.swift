/// A pickle that the restricted unpickler refuses or cannot read: what, and at which byte.
struct PickleError: Error, Equatable, CustomStringConvertible {
    var offset: Int
    var reason: String

    var description: String { "pickle byte \(offset): \(reason)" }
}

/// A restricted unpickler: a small stack machine that reads the pickle of a PyTorch state dict and
/// nothing else.
///
/// It is a parser, not an interpreter: nothing is imported, called or executed. It knows the opcodes
/// `torch.save` writes for a state dict (protocols 2 to 4) and the handful of globals those pickles
/// name — `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`/`v3`, `_rebuild_parameter`,
/// the storage classes and dtypes — and turns REDUCE of those into dicts and tensor records. Any other
/// global (`os.system`, `builtins.eval`, `subprocess.Popen`, …), any opcode that builds arbitrary
/// objects (INST, OBJ, NEWOBJ, EXT*), REDUCE of anything else, and any unknown opcode stop the run with
/// an error at the byte where they appear. Every length is checked against the bytes that remain before
/// anything is allocated for it, and the stack, the memo, the number of containers and the items they
/// hold are bounded, so that memory stays within a few hundred MiB whatever the pickle (a deflated
/// `data.pkl` can be a thousand times its archive). A state dict costs about ten memo entries, six
/// containers and twenty items per tensor: the bounds leave room for some 200 000 tensors in one file.
struct PickleMachine {
    /// How far a pickle may grow the machine.
    struct Limits {
        var stack = 1 << 20
        var memo = 1 << 21
        var containers = 1 << 21
        /// Values held by all containers together.
        var items = 1 << 23
    }

    static let maxDims = 64
    static let maxLine = 256

    let limits: Limits

    /// Tuples are immutable: each is a range of one flat array (a million small tuples, one allocation).
    private(set) var tupleRanges: [Range<Int>] = []
    private var tupleItems: [PickleValue] = []
    private(set) var lists: [[PickleValue]] = []
    private(set) var dicts: [PickleDict] = []
    private(set) var storages: [PickleStorage] = []
    private(set) var tensors: [PickleTensor] = []
    /// Dicts made by `OrderedDict()`: the only objects BUILD may give state to.
    private var orderedDicts: Set<Int> = []
    private var storageByKey: [String: Int] = [:]

    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var objects = 0
    private var items = 0
    private var at = 0
    private var opcodeStart = 0

    init(limits: Limits = Limits()) { self.limits = limits }

    /// Runs the pickle in `bytes` to its STOP and returns the value it leaves.
    mutating func run(_ bytes: [UInt8]) throws(PickleError) -> PickleValue {
        try bytes.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) throws(PickleError) -> PickleValue in try run(b) }
    }

    mutating func run(_ bytes: UnsafeBufferPointer<UInt8>) throws(PickleError) -> PickleValue {
        at = 0
        while at < bytes.count {
            opcodeStart = at
            let op = bytes[at]
            at += 1
            switch op {
            case 0x80: // PROTO
                let v = try uint(bytes, 1)
                guard (2...5).contains(v) else { throw fail("pickle protocol \(v) (expected 2 to 5)") }
            case 0x95: // FRAME: a length prefix for buffering, meaningless to a reader of the whole stream
                let n = try uint(bytes, 8)
                guard n <= UInt64(bytes.count - at) else { throw fail("a frame of \(n) bytes runs past the end of the pickle") }
            case 0x2E: // STOP
                return try pop()
            case 0x28: // MARK
                guard marks.count < limits.stack else { throw fail("more than \(limits.stack) open marks") }
                marks.append(stack.count)
            case 0x30: // POP
                if let m = marks.last, m == stack.count { marks.removeLast() } else { _ = try pop() }
            case 0x31: // POP_MARK
                _ = try popMark()
            case 0x4E: try push(.none) // NONE
            case 0x88: try push(.bool(true)) // NEWTRUE
            case 0x89: try push(.bool(false)) // NEWFALSE
            case 0x4A: // BININT
                try push(.int(Int(Int32(bitPattern: UInt32(try uint(bytes, 4))))))
            case 0x4B: try push(.int(Int(try uint(bytes, 1)))) // BININT1
            case 0x4D: try push(.int(Int(try uint(bytes, 2)))) // BININT2
            case 0x8A: // LONG1: a little-endian two's-complement integer of n bytes
                let n = Int(try uint(bytes, 1))
                guard n <= 8 else { throw fail("an integer of \(n) bytes (more than 64 bits)") }
                let raw = try read(bytes, n)
                var v: UInt64 = 0
                for (k, byte) in raw.enumerated() { v |= UInt64(byte) << (8 * UInt64(k)) }
                if n > 0 && n < 8 && raw[n - 1] & 0x80 != 0 { v |= ~UInt64(0) << (8 * UInt64(n)) }
                try push(.int(Int(Int64(bitPattern: v))))
            case 0x47: // BINFLOAT, big-endian
                let raw = try read(bytes, 8)
                var v: UInt64 = 0
                for byte in raw { v = v << 8 | UInt64(byte) }
                try push(.float(Double(bitPattern: v)))
            case 0x58: try push(.string(try string(bytes, lengthBytes: 4))) // BINUNICODE
            case 0x8C: try push(.string(try string(bytes, lengthBytes: 1))) // SHORT_BINUNICODE
            case 0x8D: try push(.string(try string(bytes, lengthBytes: 8))) // BINUNICODE8
            case 0x29: try push(.tuple(try newTuple(from: stack.count))) // EMPTY_TUPLE
            case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
                let n = Int(op - 0x84)
                guard stack.count - (marks.last ?? 0) >= n else { throw fail("TUPLE\(n) needs \(n) values on the stack") }
                try push(.tuple(try newTuple(from: stack.count - n)))
            case 0x74: // TUPLE
                guard let m = marks.popLast() else { throw fail("an opcode needs a MARK that was never set") }
                try push(.tuple(try newTuple(from: m)))
            case 0x5D: // EMPTY_LIST
                try allocate()
                lists.append([])
                try push(.list(lists.count - 1))
            case 0x61: // APPEND
                let v = try pop()
                let l = try listIndex(try top())
                try hold(1)
                lists[l].append(v)
            case 0x65: // APPENDS
                let items = try popMark()
                let l = try listIndex(try top())
                try hold(items.count)
                lists[l].append(contentsOf: items)
            case 0x7D: // EMPTY_DICT
                try allocate()
                dicts.append(PickleDict())
                try push(.dict(dicts.count - 1))
            case 0x73: // SETITEM
                let v = try pop(), k = try pop()
                let d = try dictIndex(try top())
                try hold(2)
                dicts[d].set(k, v)
            case 0x75: // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values") }
                let d = try dictIndex(try top())
                try hold(items.count)
                for i in stride(from: 0, to: items.count, by: 2) { dicts[d].set(items[i], items[i + 1]) }
            case 0x71: try put(Int(try uint(bytes, 1))) // BINPUT
            case 0x72: try put(Int(try uint(bytes, 4))) // LONG_BINPUT
            case 0x94: try put(memo.count) // MEMOIZE
            case 0x68: try get(Int(try uint(bytes, 1))) // BINGET
            case 0x6A: try get(Int(try uint(bytes, 4))) // LONG_BINGET
            case 0x63: // GLOBAL: "module\nname\n"
                let module = try line(bytes), name = try line(bytes)
                try push(.global(try global(module, name)))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw fail("STACK_GLOBAL needs two strings, not \(module.kind) and \(name.kind)")
                }
                try push(.global(try global(m, n)))
            case 0x52: // REDUCE
                let args = try pop(), callable = try pop()
                try push(try reduce(callable, args))
            case 0x62: // BUILD
                let state = try pop()
                let target = try top()
                guard case .dict(let d) = target, orderedDicts.contains(d), case .dict = state else {
                    throw fail("BUILD of \(target.kind) with \(state.kind) (only an OrderedDict's attributes, such as a state dict's _metadata, are read)")
                }
            case 0x51: // BINPERSID
                try push(.storage(try persistentStorage(try pop())))
            case 0x69: throw refuse("INST", "it creates an object of any class")
            case 0x6F: throw refuse("OBJ", "it creates an object of any class")
            case 0x81: throw refuse("NEWOBJ", "it creates an object of any class")
            case 0x92: throw refuse("NEWOBJ_EX", "it creates an object of any class")
            case 0x82, 0x83, 0x84: throw refuse("EXT\(op == 0x82 ? 1 : op == 0x83 ? 2 : 4)", "it names a global through the extension registry")
            case 0x50: throw refuse("PERSID", "torch writes its persistent ids as BINPERSID")
            default:
                throw fail(String(format: "opcode 0x%02X is not one a PyTorch state dict uses", Int(op)))
            }
        }
        throw PickleError(offset: bytes.count, reason: "the pickle ends before its STOP opcode")
    }

    // MARK: Reading

    /// The next `n` bytes, in place (valid while `b` is).
    private mutating func read(_ b: UnsafeBufferPointer<UInt8>, _ n: Int) throws(PickleError) -> UnsafeBufferPointer<UInt8> {
        guard n >= 0, n <= b.count - at else {
            throw fail("the pickle ends inside an opcode's \(n)-byte argument (\(b.count - at) bytes left)")
        }
        defer { at += n }
        return UnsafeBufferPointer(rebasing: b[at..<(at + n)])
    }

    /// An unsigned little-endian integer of `n` bytes (at most 8).
    private mutating func uint(_ b: UnsafeBufferPointer<UInt8>, _ n: Int) throws(PickleError) -> UInt64 {
        guard n <= b.count - at else {
            throw fail("the pickle ends inside an opcode's \(n)-byte argument (\(b.count - at) bytes left)")
        }
        var v: UInt64 = 0
        for k in 0..<n { v |= UInt64(b[at + k]) << (8 * UInt64(k)) }
        at += n
        return v
    }

    /// A UTF-8 string after its length, the length checked against the bytes left before anything is copied.
    private mutating func string(_ b: UnsafeBufferPointer<UInt8>, lengthBytes: Int) throws(PickleError) -> String {
        let n = try uint(b, lengthBytes)
        guard n <= UInt64(b.count - at) else {
            throw fail("a string of \(n) bytes, but only \(b.count - at) bytes are left")
        }
        return String(decoding: try read(b, Int(n)), as: UTF8.self)
    }

    /// A newline-terminated ASCII line (GLOBAL's module and name).
    private mutating func line(_ b: UnsafeBufferPointer<UInt8>) throws(PickleError) -> String {
        var end = at
        while end < b.count, b[end] != 0x0A {
            guard end - at < Self.maxLine else { throw fail("a GLOBAL name longer than \(Self.maxLine) bytes") }
            end += 1
        }
        guard end < b.count else { throw fail("the pickle ends inside a GLOBAL name") }
        let s = String(decoding: try read(b, end - at), as: UTF8.self)
        at += 1
        return s
    }

    // MARK: Stack and memo

    private mutating func push(_ v: PickleValue) throws(PickleError) {
        guard stack.count < limits.stack else { throw fail("the stack grows past \(limits.stack) values") }
        stack.append(v)
    }

    private mutating func pop() throws(PickleError) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.popLast() else { throw fail("an opcode pops from an empty stack") }
        return v
    }

    private func top() throws(PickleError) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.last else { throw fail("an opcode needs a value the stack does not hold") }
        return v
    }

    private mutating func popMark() throws(PickleError) -> [PickleValue] {
        guard let m = marks.popLast() else { throw fail("an opcode needs a MARK that was never set") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    private mutating func put(_ index: Int) throws(PickleError) {
        guard memo[index] != nil || memo.count < limits.memo else { throw fail("the memo grows past \(limits.memo) entries") }
        memo[index] = try top()
    }

    private mutating func get(_ index: Int) throws(PickleError) {
        guard let v = memo[index] else { throw fail("memo entry \(index) was never stored") }
        try push(v)
    }

    private mutating func allocate() throws(PickleError) {
        objects += 1
        guard objects <= limits.containers else { throw fail("more than \(limits.containers) containers") }
    }

    /// Counts `n` more values held by containers against `maxItems`.
    private mutating func hold(_ n: Int) throws(PickleError) {
        items += n
        guard items <= limits.items else { throw fail("containers hold more than \(limits.items) values") }
    }

    /// A tuple of the stack's values from `start` on, which leave the stack.
    private mutating func newTuple(from start: Int) throws(PickleError) -> Int {
        try allocate()
        try hold(stack.count - start)
        let first = tupleItems.count
        tupleItems.append(contentsOf: stack[start...])
        stack.removeSubrange(start...)
        tupleRanges.append(first..<tupleItems.count)
        return tupleRanges.count - 1
    }

    /// The items of tuple `i`.
    func tuple(_ i: Int) -> ArraySlice<PickleValue> { tupleItems[tupleRanges[i]] }

    private func listIndex(_ v: PickleValue) throws(PickleError) -> Int {
        guard case .list(let i) = v else { throw fail("APPEND to \(v.kind), not a list") }
        return i
    }

    private func dictIndex(_ v: PickleValue) throws(PickleError) -> Int {
        guard case .dict(let i) = v else { throw fail("SETITEM on \(v.kind), not a dict") }
        return i
    }

    // MARK: Globals, REDUCE and persistent ids

    private func global(_ module: String, _ name: String) throws(PickleError) -> PickleGlobal {
        guard let g = PickleGlobal(module: module, name: name) else {
            throw fail("the pickle names the global \(module).\(name), which a state dict never needs; refused without importing or running anything")
        }
        return g
    }

    private mutating func reduce(_ callable: PickleValue, _ argsValue: PickleValue) throws(PickleError) -> PickleValue {
        guard case .global(let g) = callable else { throw fail("REDUCE calls \(callable.kind), which is not a callable global") }
        guard case .tuple(let t) = argsValue else { throw fail("REDUCE of \(g.qualifiedName) with \(argsValue.kind) as its arguments") }
        let args = Array(tuple(t))
        switch g {
        case .orderedDict:
            guard args.isEmpty else { throw fail("collections.OrderedDict is called with \(args.count) arguments (torch passes none)") }
            try allocate()
            dicts.append(PickleDict())
            orderedDicts.insert(dicts.count - 1)
            return .dict(dicts.count - 1)
        case .rebuildTensorV2, .rebuildTensorV3:
            return .tensor(try rebuildTensor(args, v3: g == .rebuildTensorV3))
        case .rebuildParameter, .rebuildParameterWithState:
            guard args.count == (g == .rebuildParameter ? 3 : 4), case .tensor = args[0], case .bool = args[1] else {
                throw fail("\(g.qualifiedName) expects (tensor, requires_grad, backward_hooks\(g == .rebuildParameter ? "" : ", state")), not \(args.count) arguments")
            }
            return args[0]
        case .storageClass, .dtype:
            throw fail("REDUCE of \(g.qualifiedName), which a state dict never calls")
        }
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])` and
    /// `_rebuild_tensor_v3(…, backward_hooks, dtype[, metadata])`: a view, checked to lie inside its storage.
    private mutating func rebuildTensor(_ args: [PickleValue], v3: Bool) throws(PickleError) -> Int {
        let fixed = v3 ? 7 : 6
        let name = v3 ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2"
        guard args.count == fixed || args.count == fixed + 1 else {
            throw fail("\(name) is called with \(args.count) arguments (expected \(fixed) or \(fixed + 1))")
        }
        guard case .storage(let s) = args[0] else { throw fail("\(name)'s storage is \(args[0].kind)") }
        guard case .int(let offset) = args[1], offset >= 0 else { throw fail("\(name)'s storage offset is \(args[1].kind), not an int ≥ 0") }
        let shape = try ints(args[2], what: "size")
        let strides = try ints(args[3], what: "stride")
        guard shape.count == strides.count else {
            throw fail("\(name) gives \(shape.count) sizes but \(strides.count) strides")
        }
        guard case .bool = args[4] else { throw fail("\(name)'s requires_grad is \(args[4].kind)") }
        switch args[5] {
        case .dict, .none: break
        default: throw fail("\(name)'s backward hooks are \(args[5].kind)")
        }
        let storage = storages[s]
        let dtype: PyTorchDType
        if v3 {
            guard case .global(.dtype(let d)) = args[6] else { throw fail("\(name)'s dtype is \(args[6].kind)") }
            if let typed = storage.dtype, typed != d {
                throw fail("\(name) reads a \(typed.name) storage as \(d.name)")
            }
            dtype = d
        } else {
            guard let d = storage.dtype else { throw fail("\(name) is given an untyped storage without a dtype") }
            dtype = d
        }
        if args.count == fixed + 1 {
            switch args[fixed] {
            case .dict, .none: break
            default: throw fail("\(name)'s metadata is \(args[fixed].kind)")
            }
        }
        // Elements the storage holds: typed storages count elements, untyped ones bytes.
        let available = storage.dtype == nil ? storage.numel / dtype.width : storage.numel
        var count = 1
        var last = offset
        for (size, stride) in zip(shape, strides) {
            guard size >= 0 else { throw fail("\(name) has a negative size \(size)") }
            guard stride >= 0 else { throw fail("\(name) has a negative stride \(stride)") }
            let (c, o1) = count.multipliedReportingOverflow(by: size)
            guard !o1, c <= 1 << 50 else { throw fail("\(name)'s size \(shape) overflows the element count") }
            count = c
            if size > 0 {
                let (reach, o2) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, o3) = last.addingReportingOverflow(reach)
                guard !o2, !o3 else { throw fail("\(name)'s size \(shape) and stride \(strides) reach past any storage") }
                last = sum
            }
        }
        if count > 0 {
            guard last < available else {
                throw fail("\(name) views elements up to \(last) (offset \(offset), size \(shape), stride \(strides)) of storage \(storage.key), which holds \(available)")
            }
        }
        try allocate()
        tensors.append(PickleTensor(storage: s, dtype: dtype, offset: offset, shape: shape, strides: strides, count: count))
        return tensors.count - 1
    }

    private func ints(_ v: PickleValue, what: String) throws(PickleError) -> [Int] {
        guard case .tuple(let t) = v else { throw fail("a tensor's \(what) is \(v.kind), not a tuple") }
        let items = tuple(t)
        guard items.count <= Self.maxDims else { throw fail("a tensor's \(what) has \(items.count) dimensions (at most \(Self.maxDims))") }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .int(let i) = item else { throw fail("a tensor's \(what) holds \(item.kind)") }
            out.append(i)
        }
        return out
    }

    /// `('storage', storage_class, key, location, numel)`, the only persistent id torch writes.
    private mutating func persistentStorage(_ pid: PickleValue) throws(PickleError) -> Int {
        guard case .tuple(let t) = pid, tuple(t).count == 5, case .string("storage") = tuple(t).first else {
            throw fail("a persistent id that is not ('storage', class, key, location, numel)")
        }
        let items = Array(tuple(t))
        guard case .global(.storageClass(let dtype)) = items[1] else { throw fail("a storage's class is \(items[1].kind)") }
        guard case .string(let key) = items[2], !key.isEmpty, key.utf8.count <= Self.maxLine else {
            throw fail("a storage's key is \(items[2].kind), not a name of 1 to \(Self.maxLine) bytes")
        }
        guard case .string(let location) = items[3] else { throw fail("a storage's location is \(items[3].kind)") }
        guard case .int(let numel) = items[4], numel >= 0, numel <= 1 << 50 else {
            let what = if case .int(let n) = items[4] { String(n) } else { items[4].kind }
            throw fail("storage \(key)'s element count is \(what), not an int from 0 to 2^50")
        }
        let storage = PickleStorage(dtype: dtype, key: key, location: location, numel: numel)
        if let i = storageByKey[key] {
            guard storages[i].dtype == dtype, storages[i].numel == numel else {
                throw fail("storage \(key) is described twice, differently")
            }
            return i
        }
        try allocate()
        storages.append(storage)
        storageByKey[key] = storages.count - 1
        return storages.count - 1
    }

    // MARK: Errors

    private func fail(_ reason: String) -> PickleError { PickleError(offset: opcodeStart, reason: reason) }

    private func refuse(_ opcode: String, _ why: String) -> PickleError {
        fail("opcode \(opcode) is refused: \(why), which a state dict never needs (nothing was run)")
    }
}
