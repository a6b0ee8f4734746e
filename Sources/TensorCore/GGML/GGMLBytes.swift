/// Little-endian reads from a ggml block, at any alignment.
///
/// GGUF data is little-endian and blocks of 17, 18 or 34 bytes leave their fields unaligned, so every
/// multi-byte field is read with an unaligned load (one instruction on x86-64 and arm64).
enum GGMLBytes {
    @inline(__always)
    static func u16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    static func u32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    static func u64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The fp16 field at `offset`, converted exactly (`GGML_FP16_TO_FP32`).
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: u16(p, offset)))
    }

    @inline(__always)
    static func storeHalf(_ x: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: Float16(x).bitPattern.littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always)
    static func storeU32(_ v: UInt32, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// `x` with its sign bit flipped when `negative`: the same bits as ggml's `x * -1.f`.
    @inline(__always)
    static func signed(_ x: Float, _ negative: Bool) -> Float {
        Float(bitPattern: x.bitPattern ^ (negative ? 0x8000_0000 : 0))
    }
}
