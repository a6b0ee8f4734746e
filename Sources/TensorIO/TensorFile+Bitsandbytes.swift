import TensorCore

/// Readers of bitsandbytes weights: the side tensors (absmax, code tables, row statistics) are read
/// into memory, the codes stay in the file's map.
extension TensorFile {
    func reader(_ weight: BitsandbytesLayout.Weight) throws(TensorFileError) -> any TensorReader {
        switch weight.kind {
        case .fourBit(let fb):
            let codes = try part(fb.codes)
            let map = try rawFloats(fb.quantMap)
            let absmax: [Float]
            if let nested = fb.nested {
                let q = try rawBytes(fb.absmax)
                let scales = try rawFloats(nested.absmax)
                let levels = try rawFloats(nested.quantMap)
                // bitsandbytes: dequantize_blockwise (one float32 product) and then `absmax += offset`.
                absmax = q.enumerated().map { i, c in levels[Int(c)] * scales[i / nested.blocksize] + nested.offset }
            } else {
                absmax = try rawFloats(fb.absmax)
            }
            return BitsandbytesFourBitReader(info: weight.info, file: codes.file, codes: codes.location.range,
                                             blocksize: fb.blocksize, codeValues: map, absmax: absmax, output: fb.output)
        case .int8(let rows):
            let codes = try part(rows.codes)
            return BitsandbytesInt8Reader(info: weight.info, file: codes.file, codes: codes.location.range,
                                          cols: rows.cols, scb: try rawFloats(rows.scb))
        }
    }

    /// One of the file's own tensors, checked to lie inside its file.
    private func part(_ name: String) throws(TensorFileError) -> (file: MappedFile, location: Location, info: TensorInfo) {
        guard let p = rawPart(name) else { throw TensorFileError(file: path, tensor: name, reason: "no such tensor") }
        guard p.location.range.upperBound <= p.file.size else {
            throw TensorFileError(file: p.file.path, tensor: name, offset: p.location.range.lowerBound, reason: "the data is truncated")
        }
        return p
    }

    /// A tensor's bytes as the file holds them (small tensors: quant-state JSON, codes of absmax).
    func rawBytes(_ name: String) throws(TensorFileError) -> [UInt8] {
        let p = try part(name)
        return try p.file.bytes(p.location.range, what: "the data of '\(name)'")
    }

    /// A float tensor's values (absmax, code tables, row statistics).
    func rawFloats(_ name: String) throws(TensorFileError) -> [Float] {
        let p = try part(name)
        let n = p.info.count
        return [Float](unsafeUninitializedCapacity: n) { buf, count in
            p.file.withBytes(p.location.range) { raw in
                p.location.storage.convert(raw, count: n, bigEndian: p.location.bigEndian, into: buf)
            }
            count = n
        }
    }
}
