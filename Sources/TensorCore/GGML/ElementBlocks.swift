/// The element types GGUF stores one value per "block": floats and integers, converted to `Float`.
enum ElementBlocks {
    static func decode(_ type: GGMLType, _ src: UnsafeRawPointer, _ n: Int, _ y: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32:
            for i in 0..<n { y[i] = Float(bitPattern: GGMLBytes.u32(src, 4 * i)) }
        case .f16:
            for i in 0..<n { y[i] = GGMLBytes.half(src, 2 * i) }
        case .bf16:
            for i in 0..<n { y[i] = Float(bitPattern: UInt32(GGMLBytes.u16(src, 2 * i)) << 16) }
        case .f64:
            for i in 0..<n { y[i] = Float(Double(bitPattern: GGMLBytes.u64(src, 8 * i))) }
        case .i8:
            for i in 0..<n { y[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
        case .i16:
            for i in 0..<n { y[i] = Float(Int16(bitPattern: GGMLBytes.u16(src, 2 * i))) }
        case .i32:
            for i in 0..<n { y[i] = Float(Int32(bitPattern: GGMLBytes.u32(src, 4 * i))) }
        case .i64:
            for i in 0..<n { y[i] = Float(Int64(bitPattern: GGMLBytes.u64(src, 8 * i))) }
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .q1_0, .q2_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
             .iq2_XXS, .iq2_XS, .iq2_S, .iq3_XXS, .iq3_S, .iq1_S, .iq1_M, .iq4_NL, .iq4_XS, .tq1_0, .tq2_0, .mxfp4, .nvfp4:
            preconditionFailure("\(type.name) is not an element type")
        }
    }
}
