import Foundation
import TensorCore

/// libFuzzer harness: the restricted unpickler and PyTorch checkpoints.
///
/// An input that starts like a ZIP goes through the whole checkpoint reader (central directory, pickle,
/// storage placement, every small tensor read, strided views included); any other input is run as a
/// `data.pkl` and its result walked into tensor names.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
        let file = MappedFile(path: "fuzz.pt", bytes: bytes)
        guard let zip = try? ZipDirectory(file), let record = PyTorchFormat.record(in: zip),
              let checkpoint = try? PyTorchFormat.parse(file, zip: zip, record: record, stem: "fuzz") else { return 0 }
        for e in checkpoint.entries where e.info.isFloatConvertible && e.info.count <= 1 << 16 {
            guard let reader = try? checkpoint.reader(e.info.name, file: file) else { continue }
            let all = reader.readAll()
            // A piece from the middle too: strided readers start mid-row.
            if all.count > 2 {
                var piece = [Float](repeating: 0, count: all.count / 2)
                piece.withUnsafeMutableBufferPointer { reader.read((all.count / 3)..<(all.count / 3 + all.count / 2), into: $0) }
            }
        }
    } else {
        var machine = PickleMachine()
        if let root = try? machine.run(bytes) { _ = try? PyTorchFormat.walk(root, in: machine, stem: "fuzz") }
    }
    return 0
}
