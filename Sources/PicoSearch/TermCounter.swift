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
    /// A word met before: where its bytes are, its hash, its stem's number, whether the stem
    /// differs from it and the last page it was listed for as such. One struct, so a word of
    /// the text costs one look into one array.
    private struct Entry {
        var hash: UInt64
        var start: Int32
        var length: Int32
        var stem: Int32
        var seen: UInt32
        var differs: Bool
    }
    /// Open addressing over the words' bytes: entry number + 1, 0 for empty; a power of two long.
    private var slots = [Int32](repeating: 0, count: 1 << 12)
    private var entries: [Entry] = []
    private var wordBytes: [UInt8] = []
    private var wordText: [String] = []
    private var stems: [String] = [], stemHashes: [UInt64] = []
    private var stemNumbers: [String: Int32] = [:]
    /// The page being counted: counts by stem number, the stems and differing words it has.
    private var counts: [Int32] = []
    private var touched: [Int32] = []
    private var differing: [Int32] = []
    private var page: UInt32 = 0
    private var length = 0
    /// Words kept between pages; past it the table starts again (between pages only, since the
    /// page's counts hold stem numbers). A few MB at most.
    static let wordLimit = 100_000

    mutating func begin() {
        if entries.count > Self.wordLimit { forgetWords() }
        page &+= 1
        if page == 0 {
            for i in entries.indices { entries[i].seen = 0 }
            page = 1
        }
        touched.removeAll(keepingCapacity: true)
        differing.removeAll(keepingCapacity: true)
        length = 0
    }

    mutating func add(_ text: UnsafeBufferPointer<UInt8>, weight: Int32, stemmer: Stemmer?) {
        guard weight > 0 else { return }
        var words = 0
        Tokenizer.forEachWord(in: text) { word, hash in
            let number = Int(self.number(of: word, hash: hash, stemmer: stemmer))
            let entry = entries[number]
            if entry.differs, entry.seen != page {
                entries[number].seen = page
                differing.append(Int32(number))
            }
            let stem = Int(entry.stem)
            if counts[stem] == 0 { touched.append(entry.stem) }
            counts[stem] += weight
            words += 1
        }
        length += words * Int(weight)
    }

    mutating func finish() -> (stems: [SearchPage.Term], words: [SearchPage.Word], length: Int) {
        var found: [SearchPage.Term] = []
        found.reserveCapacity(touched.count)
        for stem in touched {
            found.append(SearchPage.Term(stem: stems[Int(stem)], count: counts[Int(stem)], hash: stemHashes[Int(stem)]))
            counts[Int(stem)] = 0
        }
        let words = differing.map { number in
            let entry = entries[Int(number)]
            return SearchPage.Word(word: wordText[Int(number)], stem: stems[Int(entry.stem)], hash: entry.hash)
        }
        return (found, words, length)
    }


    private mutating func number(of word: UnsafeBufferPointer<UInt8>, hash: UInt64, stemmer: Stemmer?) -> Int32 {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let number = Int(entry - 1)
            let known = entries[number]
            if known.hash == hash, Int(known.length) == word.count,
               wordBytes.withUnsafeBufferPointer({ memcmp($0.baseAddress! + Int(known.start), word.baseAddress!, word.count) == 0 }) {
                return Int32(number)
            }
            slot = (slot + 1) & mask
        }
        // A word not met before: stemmed once, its stem numbered.
        let number = Int32(entries.count)
        let text = String(decoding: word, as: UTF8.self)
        let stem = stemmer?.stem(utf8: word) ?? text
        let stemNumber: Int32
        if let known = stemNumbers[stem] {
            stemNumber = known
        } else {
            stemNumber = Int32(stems.count)
            stems.append(stem)
            var bytes = stem
            stemHashes.append(bytes.withUTF8 { Tokenizer.hash($0) })
            stemNumbers[stem] = stemNumber
            counts.append(0)
        }
        entries.append(Entry(hash: hash, start: Int32(wordBytes.count), length: Int32(word.count), stem: stemNumber,
                             seen: 0, differs: stem != text))
        wordBytes.append(contentsOf: word)
        wordText.append(text)
        slots[slot] = number + 1
        if entries.count * 2 > slots.count { grow() }
        return number
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for number in entries.indices {
            var slot = Int(truncatingIfNeeded: entries[number].hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(number + 1)
        }
    }

    private mutating func forgetWords() {
        slots = [Int32](repeating: 0, count: 1 << 12)
        entries = []
        wordBytes = []
        wordText = []
        stems = []; stemHashes = []; stemNumbers = [:]; counts = []
    }
}
