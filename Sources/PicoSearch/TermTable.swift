import Foundation

/// Every stem's postings with BM25 scores quantized, and the surface words, in one sorted key space.
struct TermTable {
    /// Keys sorted by UTF-16 code units (JavaScript's `<`), each with its JSON entries.
    var keys: [(key: String, stem: [UInt8]?, word: [UInt8]?)] = []
    /// The smallest and largest BM25 score of the index, between which scores are quantized.
    var scoreRange = (lowest: 0.0, highest: 0.0)

    init(_ docs: [SearchPage]) {
        // Stems and words numbered by the hashes their pages computed, postings gathered in
        // document order (the pages come sorted), so the merge hashes no String.
        var stems = HashedNames(), words = HashedNames()
        var postings: [[(doc: Int32, tf: Int32)]] = []
        var wordStems: [String] = []
        var totalLength = 0
        for (number, page) in docs.enumerated() {
            totalLength += page.length
            for term in page.terms {
                let (index, isNew) = stems.number(term.stem, hash: term.hash)
                if isNew { postings.append([]) }
                postings[index].append((Int32(number), term.count))
            }
            for word in page.surfaceWords where words.number(word.word, hash: word.hash).isNew {
                wordStems.append(word.stem)
            }
        }
        let count = Double(docs.count)
        let average = max(1, Double(totalLength) / max(1, count))
        let norms = docs.map { SearchIndexBuilder.k1 * (1 - SearchIndexBuilder.b + SearchIndexBuilder.b * Double($0.length) / average) }
        // BM25 of each (stem, doc), then quantized on a log scale between the smallest and the
        // largest of the index.
        var scores: [[Double]] = []
        scores.reserveCapacity(postings.count)
        var largest = 0.0, smallest = Double.infinity
        for list in postings {
            let df = Double(list.count)
            let idf = log(1 + (count - df + 0.5) / (df + 0.5))
            var row: [Double] = []
            row.reserveCapacity(list.count)
            for (doc, tf) in list {
                let f = Double(tf)
                let score = idf * f * (SearchIndexBuilder.k1 + 1) / (f + norms[Int(doc)])
                row.append(score)
                largest = max(largest, score)
                smallest = min(smallest, score)
            }
            scores.append(row)
        }
        if largest > 0 { scoreRange = (smallest, largest) }
        let range = scoreRange
        var entries: [(key: String, order: [UInt8], stem: [UInt8]?, word: [UInt8]?)] = []
        entries.reserveCapacity(stems.names.count + words.names.count)
        var stemAt: [Int: Int] = [:]
        var bytes: [UInt8] = []
        for (index, stem) in stems.names.enumerated() {
            bytes.removeAll(keepingCapacity: true)
            var previous: Int32 = 0
            for (position, posting) in postings[index].enumerated() {
                Varint.append(UInt64(posting.doc - (position == 0 ? 0 : previous)), to: &bytes)
                Varint.append(UInt64(Self.quantized(scores[index][position], between: range.lowest, and: range.highest)), to: &bytes)
                previous = posting.doc
            }
            var json = JSONWriter()
            json.string(stem)
            json.raw(":\"")
            json.raw(Data(bytes).base64EncodedString())
            json.raw("\"")
            stemAt[index] = entries.count
            entries.append((stem, Self.utf16Order(stem), json.bytes, nil))
        }
        for (index, word) in words.names.enumerated() {
            var json = JSONWriter()
            json.string(word)
            json.raw(":")
            json.string(wordStems[index])
            // A word that is also a stem shares its key.
            if let stem = stems.find(word, hash: words.hashes[index]), let at = stemAt[stem] {
                entries[at].word = json.bytes
            } else {
                entries.append((word, Self.utf16Order(word), nil, json.bytes))
            }
        }
        entries.sort { $0.order.lexicographicallyPrecedes($1.order) }
        keys = entries.map { ($0.key, $0.stem, $0.word) }
    }

    /// A key's UTF-8 with the lead bytes of U+E000…U+FFFF moved after those of U+10000 and up:
    /// compared byte by byte, that is the order of UTF-16 code units (where those characters are
    /// surrogate pairs, below U+E000), which is JavaScript's `<` and the runtime's binary search.
    static func utf16Order(_ key: String) -> [UInt8] {
        key.utf8.map { $0 == 0xEE || $0 == 0xEF ? $0 + 7 : $0 }
    }

    /// 1…127 on a log scale from `lowest` (1) to `highest` (127): BM25 scores of one index span
    /// orders of magnitude, and a linear scale gave nearly every posting of a common word the
    /// same value (ties deciding the ranking). 127 keeps each score one varint byte. The runtime
    /// maps q back to `lowest × (highest / lowest)^((q − 1) / 126)`.
    static let levels = 127

    static func quantized(_ score: Double, between lowest: Double, and highest: Double) -> Int {
        guard highest > lowest, lowest > 0, score > 0 else { return levels }
        let steps = Double(levels - 1)
        return min(levels, max(1, 1 + Int((steps * log(score / lowest) / log(highest / lowest)).rounded())))
    }

    struct Shard: Sendable {
        var first: String
        var keys: ArraySlice<(key: String, stem: [UInt8]?, word: [UInt8]?)>

        func file(name: String) -> [UInt8] {
            var json = JSONWriter()
            json.raw("PicoSearch.terms(")
            json.string(name)
            json.raw(",{\"stems\":{")
            json.joined(keys.compactMap(\.stem))
            json.raw("},\"words\":{")
            json.joined(keys.compactMap(\.word))
            json.raw("}});\n")
            return json.bytes
        }
    }

    /// Range shards of about `limit` bytes; the first begins at "" so every key has one.
    func shards(limit: Int) -> [Shard] {
        var shards: [Shard] = []
        var start = 0, size = 0
        for (index, entry) in keys.enumerated() {
            let entrySize = (entry.stem?.count ?? 0) + (entry.word?.count ?? 0) + 2
            if size > 0, size + entrySize > limit {
                shards.append(Shard(first: shards.isEmpty ? "" : keys[start].key, keys: keys[start..<index]))
                start = index
                size = 0
            }
            size += entrySize
        }
        shards.append(Shard(first: shards.isEmpty ? "" : (start < keys.count ? keys[start].key : ""), keys: keys[start..<keys.count]))
        return shards
    }
}

/// Names numbered in the order first given, found by a hash computed beforehand (open
/// addressing; the hash must be the same for the same name, `TermCounter.hash`).
struct HashedNames {
    private(set) var names: [String] = []
    private(set) var hashes: [UInt64] = []
    private var slots = [Int32](repeating: 0, count: 1 << 12)

    /// The number of `name`, and whether it was given a new one.
    mutating func number(_ name: String, hash: UInt64) -> (index: Int, isNew: Bool) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let index = Int(slots[slot] - 1)
            if hashes[index] == hash, names[index] == name { return (index, false) }
            slot = (slot + 1) & mask
        }
        names.append(name)
        hashes.append(hash)
        slots[slot] = Int32(names.count)
        if names.count * 2 > slots.count {
            slots = [Int32](repeating: 0, count: slots.count * 2)
            let mask = slots.count - 1
            for (index, hash) in hashes.enumerated() {
                var slot = Int(truncatingIfNeeded: hash) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(index + 1)
            }
        }
        return (names.count - 1, true)
    }

    func find(_ name: String, hash: UInt64) -> Int? {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let index = Int(slots[slot] - 1)
            if hashes[index] == hash, names[index] == name { return index }
            slot = (slot + 1) & mask
        }
        return nil
    }
}
