/// Finds the known key a mistyped one was probably meant to be.
enum KeySuggestion {
    /// The known key closest to `typed`, if it is close enough to be a plausible typo.
    ///
    /// Case, underscores and hyphens are ignored first, so `maxSetVolts` and `max-set-volts`
    /// both find `max_set_volts`; then the edit distance must be at most a third of the key.
    static func closest(to typed: String, among known: [String]) -> String? {
        let t = normalized(typed)
        var best: (key: String, distance: Int)?
        for key in known {
            let d = editDistance(t, normalized(key))
            if d < best?.distance ?? .max { best = (key, d) }
        }
        guard let best else { return nil }
        let allowed = max(2, max(t.count, normalized(best.key).count) / 3)
        return best.distance <= allowed ? best.key : nil
    }

    private static func normalized(_ s: String) -> [Character] {
        Array(s.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " })
    }

    /// Levenshtein distance.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
