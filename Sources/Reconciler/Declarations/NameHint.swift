/// "Did you mean" suggestions for misspelled field names, kinds and references.
public enum NameHint {
    /// The candidate closest to `name` by edit distance, when it is close
    /// enough to be a likely typo (at most a third of the name's length, and
    /// at least one edit), or equal ignoring case.
    ///
    /// Bounded: candidates whose length alone rules them out are skipped,
    /// at most `maxCandidates` are compared, and each comparison stops once
    /// it cannot come within the allowed distance.
    public static func closest(to name: String, among candidates: [String]) -> String? {
        let lowered = name.lowercased()
        let length = lowered.count
        var best: (String, Int)?
        var compared = 0
        for candidate in candidates {
            let other = candidate.lowercased()
            if other == lowered { return candidate }
            let otherLength = other.count
            let allowed = max(1, min(length, otherLength) / 3)
            guard abs(length - otherLength) <= allowed else { continue }
            guard compared < maxCandidates else { break }
            compared += 1
            let limit = min(allowed, (best?.1 ?? Int.max) - 1)
            guard limit >= 0, let distance = editDistance(lowered, other, atMost: limit) else { continue }
            best = (candidate, distance)
        }
        return best?.0
    }

    /// The most candidates one name is compared with, and the most distinct
    /// unknown names of one revision that get a hint.
    public static let maxCandidates = 500
    public static let maxNamesHinted = 100

    /// The optimal-string-alignment distance (Levenshtein plus adjacent
    /// swaps) when it is at most `limit`, or nil (stops as soon
    /// as every cell of a row exceeds the limit).
    static func editDistance(_ a: String, _ b: String, atMost limit: Int) -> Int? {
        let a = Array(a), b = Array(b)
        if abs(a.count - b.count) > limit { return nil }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
                rowMinimum = min(rowMinimum, current[j])
            }
            // Rows never decrease below their minimum plus what the swap
            // rule can save (one), so two rows above the limit end it.
            if rowMinimum > limit + 1 { return nil }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count] <= limit ? previous[b.count] : nil
    }
}
