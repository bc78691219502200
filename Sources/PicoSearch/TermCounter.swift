import Foundation

/// A page's words counted by stem, for one language, by one thread at a time (`Stemmers`
/// lends it). The index is built from every page of a build, and a page repeats the words of
/// the others: each distinct word is looked up in a hash table of its bytes, stemmed and made a
/// String once, and given the number of its stem; a page's counts are then numbers added into
/// an array. No String is made or hashed per word of the text (that was most of the index's cost).
final class TermCounter: @unchecked Sendable {
    private let stemmer: Stemmer?
    /// One stored property, so the hot loop pays one exclusivity check per call, not per word.
    private var table = WordTable()

    init(stemmer: Stemmer?) { self.stemmer = stemmer }

    /// Starts counting a new page.
    func begin() { table.begin() }

    /// Every word of `text` (UTF-8), each counted `weight` times.
    func add(_ text: UnsafeBufferPointer<UInt8>, weight: Int32) { table.add(text, weight: weight, stemmer: stemmer) }

    /// The page's stems with their counts (in the order first met), its words whose stem
    /// differs, and its weighted length; the counts are cleared for the next page.
    func finish() -> (stems: [SearchPage.Term], words: [SearchPage.Word], length: Int) {
        table.finish()
    }
}

/// The words and stems a `TermCounter` has met, and the counts of the page being counted.
struct WordTable {
    /// Open addressing over the words' bytes: entry number + 1, 0 for empty; a power of two long.
    private var slots = [Int32](repeating: 0, count: 1 << 12)
    private var wordBytes: [UInt8] = []
    private var wordStart: [Int32] = [], wordLength: [Int32] = [], wordHash: [UInt64] = []
    /// Each word's stem number, its text, and whether its stem differs from it.
    private var wordStem: [Int32] = [], wordText: [String] = [], wordDiffers: [Bool] = []
    private var stems: [String] = [], stemHashes: [UInt64] = []
    private var stemNumbers: [String: Int32] = [:]
    /// The page being counted: counts by stem number, the stems and differing words it has.
    private var counts: [Int32] = []
    private var touched: [Int32] = []
    private var wordSeen: [UInt32] = []
    private var differing: [Int32] = []
    private var page: UInt32 = 0
    private var length = 0
    /// Words kept between pages; past it the table starts again (between pages only, since the
    /// page's counts hold stem numbers). A few MB at most.
    static let wordLimit = 100_000

    mutating func begin() {
        if wordStem.count > Self.wordLimit { forgetWords() }
        page &+= 1
        if page == 0 {
            for i in wordSeen.indices { wordSeen[i] = 0 }
            page = 1
        }
        touched.removeAll(keepingCapacity: true)
        differing.removeAll(keepingCapacity: true)
        length = 0
    }

    mutating func add(_ text: UnsafeBufferPointer<UInt8>, weight: Int32, stemmer: Stemmer?) {
        guard weight > 0 else { return }
        Tokenizer.forEachWord(in: text) { word in
            let number = Int(self.number(of: word, stemmer: stemmer))
            if wordSeen[number] != page {
                wordSeen[number] = page
                if wordDiffers[number] { differing.append(Int32(number)) }
            }
            let stem = Int(wordStem[number])
            if counts[stem] == 0 { touched.append(Int32(stem)) }
            counts[stem] += weight
            length += Int(weight)
        }
    }

    mutating func finish() -> (stems: [SearchPage.Term], words: [SearchPage.Word], length: Int) {
        var found: [SearchPage.Term] = []
        found.reserveCapacity(touched.count)
        for stem in touched {
            found.append(SearchPage.Term(stem: stems[Int(stem)], count: counts[Int(stem)], hash: stemHashes[Int(stem)]))
            counts[Int(stem)] = 0
        }
        let words = differing.map { SearchPage.Word(word: wordText[Int($0)], stem: stems[Int(wordStem[Int($0)])], hash: wordHash[Int($0)]) }
        return (found, words, length)
    }

    /// FNV-1a of a term's UTF-8: words are short, and the tables are private to the process.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    private mutating func number(of word: UnsafeBufferPointer<UInt8>, stemmer: Stemmer?) -> Int32 {
        let hash = Self.hash(word)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let number = Int(entry - 1)
            if wordHash[number] == hash, Int(wordLength[number]) == word.count,
               wordBytes.withUnsafeBufferPointer({ memcmp($0.baseAddress! + Int(wordStart[number]), word.baseAddress!, word.count) == 0 }) {
                return Int32(number)
            }
            slot = (slot + 1) & mask
        }
        // A word not met before: stemmed once, its stem numbered.
        let number = Int32(wordStem.count)
        let text = String(decoding: word, as: UTF8.self)
        let stem = stemmer?.stem(utf8: word) ?? text
        let stemNumber: Int32
        if let known = stemNumbers[stem] {
            stemNumber = known
        } else {
            stemNumber = Int32(stems.count)
            stems.append(stem)
            var bytes = stem
            stemHashes.append(bytes.withUTF8 { Self.hash($0) })
            stemNumbers[stem] = stemNumber
            counts.append(0)
        }
        wordStart.append(Int32(wordBytes.count))
        wordBytes.append(contentsOf: word)
        wordLength.append(Int32(word.count))
        wordHash.append(hash)
        wordStem.append(stemNumber)
        wordText.append(text)
        wordDiffers.append(stem != text)
        wordSeen.append(0)
        slots[slot] = number + 1
        if wordStem.count * 2 > slots.count { grow() }
        return number
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for number in wordHash.indices {
            var slot = Int(truncatingIfNeeded: wordHash[number]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(number + 1)
        }
    }

    private mutating func forgetWords() {
        slots = [Int32](repeating: 0, count: 1 << 12)
        wordBytes = []
        wordStart = []; wordLength = []; wordHash = []
        wordStem = []; wordText = []; wordDiffers = []; wordSeen = []
        stems = []; stemHashes = []; stemNumbers = [:]; counts = []
    }
}
