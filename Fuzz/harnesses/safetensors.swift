/// libFuzzer harness: safetensors header validation and conversion of every tensor.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = MappedFile(path: "fuzz.safetensors", bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    if let (entries, _) = try? SafetensorsFormat.parse(file) {
        for e in entries where e.storage.isFloatConvertible && e.info.count <= 1 << 16 {
            var out = [Float](repeating: 0, count: e.info.count)
            out.withUnsafeMutableBufferPointer { o in
                file.withBytes(e.range) { raw in e.storage.convert(raw, count: e.info.count, bigEndian: false, into: o) }
            }
        }
    }
    return 0
}
