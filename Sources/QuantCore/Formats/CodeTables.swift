/// bitsandbytes' 4-bit tables and the dynamic maps as `Float`.
///
/// Values are given as float32 bit patterns so that they are the reference's
/// exact numbers, not decimal approximations.
public enum CodeTables {
    /// NF4, indexed by nibble (sorted ascending; index 7 is the exact zero).
    public static let nf4: [Float] = [
        0xbf800000, 0xbf3239b1, 0xbf066b30, 0xbeca32a0, 0xbe91a24d, 0xbe3d353f, 0xbdba7871, 0x00000000,
        0x3da2faff, 0x3e24cae3, 0x3e7c04dd, 0x3ead033a, 0x3ee1a4b8, 0x3f1007ab, 0x3f3913b3, 0x3f800000,
    ].map { Float(bitPattern: $0) }

    /// bitsandbytes' FP4 in nibble order (sign bit 3; exponent field in reverse order), as its
    /// `quant_map` stores it: nibble 8 is written as +0.0.
    public static let fp4: [Float] = [
        0x00000000, 0x3baaaaab, 0x3f2aaaab, 0x3f800000, 0x3eaaaaab, 0x3f000000, 0x3e2aaaab, 0x3e800000,
        0x00000000, 0xbbaaaaab, 0xbf2aaaab, 0xbf800000, 0xbeaaaaab, 0xbf000000, 0xbe2aaaab, 0xbe800000,
    ].map { Float(bitPattern: $0) }

    /// The decision thresholds of bitsandbytes' CUDA FP4 encoder (`dQuantizeFP4`), as float32
    /// literals. They are not all exact midpoints; GPU-made checkpoints were encoded with these.
    public static let fp4Thresholds: [Float] = [
        0.00260417, 0.0859375, 0.20833333, 0.29166667, 0.4166667, 0.583333, 0.8333333,
    ]

    /// `create_dynamic_map(signed=True)`.
    public static let dynamicSigned: [Float] = DynamicMapTables.signedBits.map { Float(bitPattern: $0) }

    /// `create_dynamic_map(signed=False)`.
    public static let dynamicUnsigned: [Float] = DynamicMapTables.unsignedBits.map { Float(bitPattern: $0) }

    /// Encodes `a` (any float) to a bitsandbytes FP4 nibble the way the CUDA kernel does:
    /// sign from `x < 0`, then a tree of strict `>` comparisons on |x| with the literal thresholds.
    /// NaN encodes to 0.
    @inlinable
    public static func encodeFP4(_ x: Float) -> UInt8 {
        // The decision tree's thresholds, counted instead of branched on: the rank of |x| among them
        // picks the code. Written as integer arithmetic on the bit patterns (monotonic for |x|)
        // because the compiler turns compare-and-select chains back into data-dependent branches,
        // which mispredict on every other value (measured: 14 ns per value against about 1).
        let bits = x.bitPattern
        let m = bits & 0x7FFF_FFFF
        let notNaN = ((0x7F80_0000 &- m) >> 31) ^ 1          // 1 unless |x| is NaN
        // The thresholds' bit patterns (bitsandbytes' constants; `fp4Thresholds` lists them).
        let t0 = Float(0.00260417).bitPattern, t1 = Float(0.0859375).bitPattern, t2 = Float(0.20833333).bitPattern
        let t3 = Float(0.29166667).bitPattern, t4 = Float(0.4166667).bitPattern, t5 = Float(0.583333).bitPattern
        let t6 = Float(0.8333333).bitPattern
        var rank: UInt32 = 0
        rank &+= (t0 &- m) >> 31                  // 1 when |x| > threshold
        rank &+= (t1 &- m) >> 31
        rank &+= (t2 &- m) >> 31
        rank &+= (t3 &- m) >> 31
        rank &+= (t4 &- m) >> 31
        rank &+= (t5 &- m) >> 31
        rank &+= (t6 &- m) >> 31
        rank &*= notNaN
        // x < 0: the sign bit set, and neither −0 nor NaN.
        let negative = (bits >> 31) & ((0 &- m) >> 31) & notNaN
        // Codes by rank: 0, 1, 6, 7, 4, 5, 2, 3 (bitsandbytes' FP4 code order), four bits each.
        let byRank: UInt32 = 0x3254_7610
        return UInt8(truncatingIfNeeded: (negative << 3) | ((byRank >> (rank &* 4)) & 0xF))
    }

}
