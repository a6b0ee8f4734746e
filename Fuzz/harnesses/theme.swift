/// libFuzzer harness: theme files (TOML through TOMLKit, then qscope's role and colour rules).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTheme(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? Theme.parse(text, source: "fuzz.toml")
    return 0
}
