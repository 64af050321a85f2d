/// The Porter (1980) stemming algorithm, as SQLite's FTS5 `porter`
/// tokenizer applies it, so a passage's terms computed here agree with the
/// terms its index holds. Works on lowercase ASCII words; any other word is
/// returned as it is.
public enum PorterStemmer {
    public static func stem(_ word: String) -> String {
        var bytes = Array(word.utf8)
        // FTS5's porter tokenizer leaves tokens over 64 bytes alone; so does
        // this (and the recursion over runs of "y" stays shallow).
        guard bytes.count > 2, bytes.count <= 64, bytes.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else { return word }
        var w = Word(bytes)
        w.step1a(); w.step1b(); w.step1c(); w.step2(); w.step3(); w.step4(); w.step5()
        bytes = w.b
        return String(decoding: bytes, as: UTF8.self)
    }

    private struct Word {
        var b: [UInt8]
        init(_ b: [UInt8]) { self.b = b }

        /// Whether the letter at `i` is a consonant ('y' after a consonant is a vowel).
        func isConsonant(_ i: Int) -> Bool {
            switch b[i] {
            case 0x61, 0x65, 0x69, 0x6F, 0x75: return false
            case 0x79: return i == 0 ? true : !isConsonant(i - 1)
            default: return true
            }
        }

        /// m: the number of vowel-consonant sequences in the first `length` letters.
        func measure(_ length: Int) -> Int {
            var m = 0, i = 0
            while i < length && isConsonant(i) { i += 1 }
            while i < length {
                while i < length && !isConsonant(i) { i += 1 }
                guard i < length else { break }
                while i < length && isConsonant(i) { i += 1 }
                m += 1
            }
            return m
        }

        func hasVowel(_ length: Int) -> Bool { (0..<length).contains { !isConsonant($0) } }

        func endsDoubleConsonant(_ length: Int) -> Bool {
            length >= 2 && b[length - 1] == b[length - 2] && isConsonant(length - 1)
        }

        /// consonant-vowel-consonant at the end of the first `length` letters, the last not w, x or y.
        func endsCVC(_ length: Int) -> Bool {
            guard length >= 3, isConsonant(length - 1), !isConsonant(length - 2), isConsonant(length - 3) else { return false }
            let last = b[length - 1]
            return last != 0x77 && last != 0x78 && last != 0x79
        }

        /// Whether the word ends with `suffix` (compared in place: this runs
        /// a few dozen times per word, on every question).
        func ends(_ suffix: String) -> Bool {
            let count = suffix.utf8.count
            guard b.count >= count else { return false }
            var index = b.count - count
            for byte in suffix.utf8 {
                guard b[index] == byte else { return false }
                index += 1
            }
            return true
        }

        /// The length of the stem before `suffix` (which the word ends with).
        func stemLength(_ suffix: String) -> Int { b.count - suffix.utf8.count }

        mutating func replace(_ suffix: String, with replacement: String) {
            b.removeLast(suffix.utf8.count)
            for byte in replacement.utf8 { b.append(byte) }
        }

        /// Replaces the first of `rules` the word ends with, if its stem's measure exceeds `minimum`.
        mutating func apply(_ rules: [(String, String)], minimum: Int) {
            for (suffix, replacement) in rules where ends(suffix) {
                if measure(stemLength(suffix)) > minimum { replace(suffix, with: replacement) }
                return
            }
        }

        mutating func step1a() {
            if ends("sses") { replace("sses", with: "ss") }
            else if ends("ies") { replace("ies", with: "i") }
            else if ends("ss") { return }
            else if ends("s") { replace("s", with: "") }
        }

        mutating func step1b() {
            if ends("eed") {
                if measure(stemLength("eed")) > 0 { replace("eed", with: "ee") }
                return
            }
            var removed = false
            for suffix in ["ed", "ing"] where ends(suffix) && hasVowel(stemLength(suffix)) {
                replace(suffix, with: "")
                removed = true
                break
            }
            guard removed else { return }
            if ends("at") { replace("at", with: "ate") }
            else if ends("bl") { replace("bl", with: "ble") }
            else if ends("iz") { replace("iz", with: "ize") }
            else if endsDoubleConsonant(b.count), ![0x6C, 0x73, 0x7A].contains(b[b.count - 1]) { b.removeLast() }
            else if measure(b.count) == 1 && endsCVC(b.count) { b.append(0x65) }
        }

        mutating func step1c() {
            if ends("y"), hasVowel(b.count - 1) { b[b.count - 1] = 0x69 }
        }

        /// Suffix tables, longest first, sorted once.
        static let step2Rules: [(String, String)] = [
            ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
            ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
            ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
            ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
            ("logi", "log"),
        ].sorted { $0.0.count > $1.0.count }
        static let step3Rules: [(String, String)] = [
            ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
        ].sorted { $0.0.count > $1.0.count }
        static let step4Suffixes = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou",
                                    "ism", "ate", "iti", "ous", "ive", "ize"].sorted { $0.count > $1.count }

        mutating func step2() {
            apply(Self.step2Rules, minimum: 0)
        }

        mutating func step3() {
            apply(Self.step3Rules, minimum: 0)
        }

        mutating func step4() {
            for suffix in Self.step4Suffixes where ends(suffix) {
                let length = stemLength(suffix)
                guard measure(length) > 1 else { return }
                if suffix == "ion" {
                    guard length > 0, b[length - 1] == 0x73 || b[length - 1] == 0x74 else { return }
                }
                b.removeLast(suffix.utf8.count)
                return
            }
        }

        mutating func step5() {
            if ends("e") {
                let m = measure(b.count - 1)
                if m > 1 || (m == 1 && !endsCVC(b.count - 1)) { b.removeLast() }
            }
            if measure(b.count) > 1, endsDoubleConsonant(b.count), b[b.count - 1] == 0x6C { b.removeLast() }
        }
    }
}
