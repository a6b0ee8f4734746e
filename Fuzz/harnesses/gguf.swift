/// libFuzzer harness: GGUF header, metadata and tensor infos.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = MappedFile(path: "fuzz.gguf", bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    if let parsed = try? GGUFFormat.parse(file) {
        // Dequantize every readable tensor the header describes: ranges were checked against the file.
        for t in parsed.tensors where t.info.isFloatConvertible && t.info.count <= 1 << 16 {
            if let type = t.type {
                var out = [Float](repeating: 0, count: t.info.count)
                out.withUnsafeMutableBufferPointer { o in
                    file.withBytes(t.range) { raw in
                        if let base = o.baseAddress { type.dequantize(raw, blocks: t.info.count / type.blockLayout.elements, into: base) }
                    }
                }
            }
        }
    }
    return 0
}
