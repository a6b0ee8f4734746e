/// libFuzzer harness: the .npy header (the dict-literal parser) and the data it describes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = MappedFile(path: "fuzz.npy", bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    if let h = try? NumpyFormat.parse(file), h.count <= 1 << 16, h.storage.isFloatConvertible {
        var out = [Float](repeating: 0, count: h.count)
        out.withUnsafeMutableBufferPointer { o in
            file.withBytes(h.dataOffset..<(h.dataOffset + h.count * h.storage.byteWidth)) { raw in
                h.storage.convert(raw, count: h.count, bigEndian: h.bigEndian, into: o)
            }
        }
    }
    return 0
}
