/// The nearest valid name to a mistyped one, for the "did you mean …" of a usage error.
///
/// Distance is the optimal-string-alignment edit distance (insert, delete, substitute, swap two
/// neighbours), compared without case: `reprot` is one swap from `report`, `nf5` one substitution from
/// `nf4`. A name further than a plausible typo gets no suggestion rather than a misleading one.
public enum NameSuggestion {
    /// The edit distance between `a` and `b` (case-insensitive).
    public static func distance(_ a: String, _ b: String) -> Int {
        let s = Array(a.lowercased()), t = Array(b.lowercased())
        if s.isEmpty { return t.count }
        if t.isEmpty { return s.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: t.count + 1), count: s.count + 1)
        for i in 0...s.count { d[i][0] = i }
        for j in 0...t.count { d[0][j] = j }
        for i in 1...s.count {
            for j in 1...t.count {
                let cost = s[i - 1] == t[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, s[i - 1] == t[j - 2], s[i - 2] == t[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[s.count][t.count]
    }

    /// How many edits still read as a typo of a word this long: 1 up to 4 characters, 2 up to 8, then 3.
    static func tolerance(_ word: String) -> Int { word.count <= 4 ? 1 : word.count <= 8 ? 2 : 3 }

    /// The candidate nearest to `word`, when it is within a typo's reach (the first of equals, in the
    /// candidates' order); a word that starts exactly one candidate (`quant` → `quantize`) counts too.
    public static func nearest(to word: String, in candidates: [String]) -> String? {
        guard !word.isEmpty else { return nil }
        let lower = word.lowercased()
        if let exact = candidates.first(where: { $0.lowercased() == lower }) { return exact }
        var best: (name: String, distance: Int)?
        for c in candidates {
            let d = distance(word, c)
            if d <= tolerance(word), d < (best?.distance ?? .max) { best = (c, d) }
        }
        if let best { return best.name }
        let starting = candidates.filter { $0.lowercased().hasPrefix(lower) }
        return word.count >= 3 && starting.count == 1 ? starting[0] : nil
    }

    /// `; did you mean 'nf4'?`, or empty when nothing is near.
    public static func didYouMean(_ word: String, in candidates: [String]) -> String {
        nearest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
