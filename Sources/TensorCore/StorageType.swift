/// How tensor elements are stored on disk, and how to turn them into `Float`.
///
/// One enum serves every format: safetensors names (`F32`, `BF16`, ...), NumPy
/// descriptors (`<f4`, `>i2`, ...) and GGUF types all map onto it.
public enum StorageType: Sendable, Equatable {
    case float64, float32, float16, bfloat16, float8E4M3, float8E5M2
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64
    /// Known to the format but without a float meaning here (bool, complex, packed sub-byte floats).
    case unsupported(String)

    /// Bytes per element (unsupported types report what the format says, or 0 if sub-byte).
    public var byteWidth: Int {
        switch self {
        case .float64, .int64, .uint64: 8
        case .float32, .int32, .uint32: 4
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float8E4M3, .float8E5M2, .int8, .uint8: 1
        case .unsupported: 0
        }
    }

    public var isFloatConvertible: Bool {
        if case .unsupported = self { return false }
        return true
    }

    /// Converts `count` elements from raw bytes into `out`, swapping bytes when `bigEndian`.
    package func convert(_ raw: UnsafeRawBufferPointer, count: Int, bigEndian: Bool, into out: UnsafeMutableBufferPointer<Float>) {
        // The dtypes of real checkpoints, little-endian: straight loops the compiler vectorises (a copy
        // for float32, a shift for bfloat16, F16C's conversion for float16), eight values at a time.
        if !bigEndian, count > 0, let src = raw.baseAddress, let dst = out.baseAddress {
            switch self {
            case .float32:
                UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
                return
            case .bfloat16:
                StorageType.widenBFloat16(src, count: count, into: dst)
                return
            case .float16:
                StorageType.widenHalf(src, count: count, into: dst)
                return
            default:
                break
            }
        }
        @inline(__always) func load<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return bigEndian ? T(bigEndian: v) : T(littleEndian: v)
        }
        switch self {
        case .float32: for i in 0..<count { out[i] = Float(bitPattern: load(i, UInt32.self)) }
        case .float64: for i in 0..<count { out[i] = Float(Double(bitPattern: load(i, UInt64.self))) }
        case .float16: for i in 0..<count { out[i] = HalfPrecision.float(fromHalfBits: load(i, UInt16.self)) }
        case .bfloat16: for i in 0..<count { out[i] = HalfPrecision.float(fromBFloat16Bits: load(i, UInt16.self)) }
        case .float8E4M3: for i in 0..<count { out[i] = StorageType.e4m3Table[Int(raw[i])] }
        case .float8E5M2: for i in 0..<count { out[i] = StorageType.e5m2Table[Int(raw[i])] }
        case .int8: for i in 0..<count { out[i] = Float(Int8(bitPattern: raw[i])) }
        case .uint8: for i in 0..<count { out[i] = Float(raw[i]) }
        case .int16: for i in 0..<count { out[i] = Float(Int16(bitPattern: load(i, UInt16.self))) }
        case .uint16: for i in 0..<count { out[i] = Float(load(i, UInt16.self)) }
        case .int32: for i in 0..<count { out[i] = Float(Int32(bitPattern: load(i, UInt32.self))) }
        case .uint32: for i in 0..<count { out[i] = Float(load(i, UInt32.self)) }
        case .int64: for i in 0..<count { out[i] = Float(Int64(bitPattern: load(i, UInt64.self))) }
        case .uint64: for i in 0..<count { out[i] = Float(load(i, UInt64.self)) }
        case .unsupported: for i in 0..<count { out[i] = .nan }
        }
    }

    /// bfloat16 bit patterns (little-endian, any alignment) to float32: each is the upper half.
    @inline(never)
    static func widenBFloat16(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            let h = src.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self)
            let w = SIMD8<UInt32>(truncatingIfNeeded: h) &<< 16
            UnsafeMutableRawPointer(dst + i).storeBytes(of: w, as: SIMD8<UInt32>.self)
            i += 8
        }
        while i < count {
            dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) << 16)
            i += 1
        }
    }

    /// IEEE binary16 bit patterns (little-endian, any alignment) to float32, eight at a time.
    @inline(never)
    static func widenHalf(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            let h = src.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<Float16>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: SIMD8<Float>(h), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 2, as: Float16.self))
            i += 1
        }
    }

    /// OCP FP8 E4M3 (E4M3FN): bias 7, no infinity, S.1111.111 is NaN — the element format's own table.
    package static let e4m3Table: [Float] = ElementFormat.e4m3.codeValues

    /// OCP FP8 E5M2: IEEE-like, bias 15, with infinities and NaNs.
    package static let e5m2Table: [Float] = (0..<256).map { b in
        HalfPrecision.float(fromHalfBits: UInt16(b) << 8)
    }
}
