import Foundation

/// Every stem's postings with BM25 scores quantized, and the surface words, in one sorted key space.
struct TermTable {
    /// Keys sorted by UTF-16 code units (JavaScript's `<`), each with its JSON entries.
    var keys: [(key: String, stem: [UInt8]?, word: [UInt8]?)] = []
    /// The smallest and largest BM25 score of the index, between which scores are quantized.
    var scoreRange = (lowest: 0.0, highest: 0.0)

    init(_ docs: [SearchPage]) {
        // Stems and words numbered by the hashes their pages computed, so the merge hashes no
        // String. Postings in flat arrays, each stem's a stretch in document order (the pages
        // come sorted): one pass numbers each page's terms and counts every stem's documents,
        // a second files the postings where their stem's stretch says.
        var stems = HashedNames(), words = HashedNames()
        var wordStems: [String] = []
        var termStem: [Int32] = []
        termStem.reserveCapacity(docs.reduce(0) { $0 + $1.terms.count })
        var documents: [Int32] = []
        var totalLength = 0
        for page in docs {
            totalLength += page.length
            for term in page.terms {
                let (index, isNew) = stems.number(term.stem, hash: term.hash)
                if isNew { documents.append(0) }
                documents[index] += 1
                termStem.append(Int32(index))
            }
            for word in page.surfaceWords where words.number(word.word, hash: word.hash).isNew {
                wordStems.append(word.stem)
            }
        }
        var starts = [Int](repeating: 0, count: documents.count + 1)
        for index in documents.indices { starts[index + 1] = starts[index] + Int(documents[index]) }
        var next = Array(starts.dropLast())
        var postingDoc = [Int32](repeating: 0, count: termStem.count)
        var postingTF = [Int32](repeating: 0, count: termStem.count)
        var position = 0
        for (number, page) in docs.enumerated() {
            for term in page.terms {
                let stem = Int(termStem[position])
                postingDoc[next[stem]] = Int32(number)
                postingTF[next[stem]] = term.count
                next[stem] += 1
                position += 1
            }
        }
        let count = Double(docs.count)
        let average = max(1, Double(totalLength) / max(1, count))
        let norms = docs.map { SearchIndexBuilder.k1 * (1 - SearchIndexBuilder.b + SearchIndexBuilder.b * Double($0.length) / average) }
        // BM25 of each (stem, doc), then quantized on a log scale between the smallest and the
        // largest of the index.
        var scores = [Double](repeating: 0, count: termStem.count)
        var largest = 0.0, smallest = Double.infinity
        for stem in documents.indices {
            let df = Double(documents[stem])
            let idf = log(1 + (count - df + 0.5) / (df + 0.5))
            for at in starts[stem]..<starts[stem + 1] {
                let f = Double(postingTF[at])
                let score = idf * f * (SearchIndexBuilder.k1 + 1) / (f + norms[Int(postingDoc[at])])
                scores[at] = score
                largest = max(largest, score)
                smallest = min(smallest, score)
            }
        }
        if largest > 0 { scoreRange = (smallest, largest) }
        let range = scoreRange
        var entries: [(key: String, order: [UInt8], stem: [UInt8]?, word: [UInt8]?)] = []
        entries.reserveCapacity(stems.names.count + words.names.count)
        var stemAt = [Int](repeating: 0, count: stems.names.count)
        var bytes: [UInt8] = []
        for (index, stem) in stems.names.enumerated() {
            bytes.removeAll(keepingCapacity: true)
            var previous: Int32 = 0
            for at in starts[index]..<starts[index + 1] {
                let doc = postingDoc[at]
                Varint.append(UInt64(doc - previous), to: &bytes)
                Varint.append(UInt64(Self.quantized(scores[at], between: range.lowest, and: range.highest)), to: &bytes)
                previous = doc
            }
            var json = JSONWriter()
            json.string(stem)
            json.raw(":\"")
            Base64.append(bytes, to: &json.bytes)
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
            if let stem = stems.find(word, hash: words.hashes[index]) {
                entries[stemAt[stem]].word = json.bytes
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
    /// A shard ends, among the keys that fill it to at least `fill` of the limit, before the
    /// key sharing the shortest prefix with the one before it (the last such): a query word's
    /// keys, the keys it is a prefix of and the stems that are a prefix of it (at least three
    /// characters, docs/FORMAT.md) then come from one shard, where a cut inside "offli…" made
    /// "offline" load two.
    func shards(limit: Int, fill: Double = 0.85) -> [Shard] {
        let sizes = keys.map { ($0.stem?.count ?? 0) + ($0.word?.count ?? 0) + 2 }
        var shared = [Int](repeating: 0, count: keys.count)
        for index in keys.indices.dropFirst() { shared[index] = Self.sharedPrefix(keys[index - 1].key, keys[index].key) }
        var shards: [Shard] = []
        var start = 0, size = 0
        // A shard is named by the shortest beginning of its first key that sorts after the key
        // before it: a word that is not a key ("portab", or the stem "por" tried for it) is then
        // looked for in the shard of the keys it begins, not in the one before.
        func first(at index: Int) -> String {
            index == 0 ? "" : String(String.UnicodeScalarView(keys[index].key.unicodeScalars.prefix(shared[index] + 1)))
        }
        func cut(at end: Int) {
            shards.append(Shard(first: first(at: start), keys: keys[start..<end]))
            start = end
        }
        for index in keys.indices {
            if size > 0, size + sizes[index] > limit {
                // Candidates: each end in start+1...index that leaves the shard at least `fill` full.
                var end = index, best = shared[index], filled = size
                var candidate = index
                while candidate - 1 > start, Double(filled - sizes[candidate - 1]) >= fill * Double(limit) {
                    candidate -= 1
                    filled -= sizes[candidate]
                    if shared[candidate] < best { best = shared[candidate]; end = candidate }
                }
                size -= sizes[start..<end].reduce(0, +)
                cut(at: end)
            }
            size += sizes[index]
        }
        shards.append(Shard(first: start < keys.count ? first(at: start) : "", keys: keys[start..<keys.count]))
        return shards
    }

    /// The characters two keys begin with alike.
    static func sharedPrefix(_ a: String, _ b: String) -> Int {
        var count = 0
        for (x, y) in zip(a.unicodeScalars, b.unicodeScalars) {
            guard x == y else { break }
            count += 1
        }
        return count
    }
}

/// Names numbered in the order first given, found by a hash computed beforehand (open
/// addressing; the hash must be the same for the same name, `Tokenizer.hash`).
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

/// Base64 (standard alphabet, padded: what `Data.base64EncodedString()` writes) appended to a
/// byte buffer, with no Data or String in between (one per stem of the index).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(value >> 18)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let value = UInt32(bytes[index]) << 16
            out += [alphabet[Int(value >> 18)], alphabet[Int(value >> 12 & 63)], 0x3D, 0x3D]
        case 2:
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(value >> 18)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)], 0x3D]
        default: break
        }
    }
}
