import Foundation

/// What a user feels, measured in the real loop: for every key, the time until the next frame is on
/// the terminal (the key acknowledged) and until the frame that shows the figures for the
/// configuration the key asked for; and the longest stretch the UI thread spent away from the
/// keyboard (drawing and applying messages, never waiting). `QSCOPE_FRAME_LOG=FILE` turns it on; the
/// log is written when the workbench exits.
final class FrameTimer {
    struct KeyTiming {
        var label: String
        var at: UInt64
        /// The analysis generation the key left current.
        var generation: Int
        /// Whether the key started deep-dive work (a sweep, a study): its figures are those of that work.
        var deep: Bool
        var ackedAt: UInt64?
        /// The first frame with figures for the key's configuration (an estimate on a large tensor).
        var firstAt: UInt64?
        var shownAt: UInt64?
    }

    private(set) var keys: [KeyTiming] = []
    private(set) var longestBlock: UInt64 = 0
    private(set) var frames = 0
    let path: String

    init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let p = environment["QSCOPE_FRAME_LOG"], !p.isEmpty else { return nil }
        path = p
    }

    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    func key(_ label: String, at: UInt64, generation: Int, deep: Bool = false) {
        keys.append(KeyTiming(label: label, at: at, generation: generation, deep: deep))
    }

    /// A frame reached the terminal. `figuresShown`: it shows figures (estimate or exact) for
    /// generation `generation`'s configuration; `figuresCurrent`: the exact ones; `deepCurrent`: no
    /// deep-dive work is pending.
    func frame(at t: UInt64, generation: Int, figuresShown: Bool, figuresCurrent: Bool, deepCurrent: Bool) {
        frames += 1
        for i in keys.indices where keys[i].at <= t {
            if keys[i].ackedAt == nil { keys[i].ackedAt = t }
            guard generation >= keys[i].generation else { continue }
            let done = keys[i].deep ? deepCurrent && figuresCurrent : figuresCurrent
            if keys[i].firstAt == nil, figuresShown || done { keys[i].firstAt = t }
            if keys[i].shownAt == nil, done { keys[i].shownAt = t }
        }
    }

    /// The UI thread was busy (not waiting for a key) for `ns`.
    func busy(_ ns: UInt64) { longestBlock = max(longestBlock, ns) }

    func report() -> String {
        func ms(_ ns: UInt64?) -> String { ns.map { String(format: "%.1f", Double($0) / 1e6) } ?? "-" }
        var out = "key  ack_ms  first_figures_ms  figures_ms\n"
        for k in keys {
            out += "\(k.label)  \(ms(k.ackedAt.map { $0 - k.at }))  \(ms(k.firstAt.map { $0 - k.at }))  \(ms(k.shownAt.map { $0 - k.at }))\n"
        }
        let acks = keys.compactMap { k in k.ackedAt.map { $0 - k.at } }, shown = keys.compactMap { k in k.shownAt.map { $0 - k.at } }
        let first = keys.compactMap { k in k.firstAt.map { $0 - k.at } }
        out += "frames \(frames)  keys \(keys.count)  max_ack_ms \(ms(acks.max()))  max_first_figures_ms \(ms(first.max()))"
            + "  max_figures_ms \(ms(shown.max()))  longest_ui_block_ms \(ms(longestBlock))\n"
        return out
    }

    func write() {
        try? report().write(toFile: path, atomically: true, encoding: .utf8)
    }
}
