import Foundation

/// libFuzzer harness: .npz through the ZIP reader (the archive is written to a RAM-backed file first).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = "\(dir)/qscope-fuzz-\(getpid()).npz"
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    defer { try? FileManager.default.removeItem(atPath: path) }
    if let f = try? TensorFile.open(path) {
        for t in f.tensors where t.isFloatConvertible && t.count <= 1 << 16 { _ = try? f.load(t.name) }
    }
    return 0
}
