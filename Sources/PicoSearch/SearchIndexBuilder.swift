import Foundation

/// `[search]` in pico.toml.
public struct SearchOptions: Sendable, Equatable {
    /// Characters of each page's text stored for result snippets.
    public var textChars: Int
    /// The size a shard is cut at; one key whose postings are larger still gets one shard.
    public var shardBytes: Int

    /// 800 characters: enough for a ~160-character snippet around a match in most pages, and
    /// what keeps the 10,000-page benchmark corpus at one index file per 100 pages (1500 gave 186).
    public init(textChars: Int = 800, shardBytes: Int = 64_000) {
        self.textChars = textChars
        self.shardBytes = shardBytes
    }
}

/// The index of a bundle (or of a drive library's bundles): pages added in any order, then
/// `files()` writes `pico-search/index.js`, the term shards `t-NNN.js` and the document shards
/// `d-NNN.js` (the format is docs/FORMAT.md's and /tmp contract's: `PicoSearch.terms(…)`
/// calls a page loads by `<script>`, so they work from file://). Documents are numbered in
/// the order of (bundle, path), so the order pages were added in does not matter and the same
/// pages give the same bytes.
public struct SearchIndexBuilder: Sendable {
    public static let folder = "pico-search"
    public static let runtimePath = "pico-search/search.js"
    public static let indexPath = "pico-search/index.js"
    public static let pagePath = "search/index.html"
    public static let format = "pico-search/1"
    /// BM25's parameters.
    static let k1 = 1.2, b = 0.75

    public var options: SearchOptions
    /// The bundle's language, as `index.js` names it.
    public var language: String
    private var pages: [(page: SearchPage, bundle: Int?)] = []

    public init(options: SearchOptions = SearchOptions(), language: String = "en") {
        self.options = options
        self.language = language
    }

    public var count: Int { pages.count }

    public mutating func add(_ page: SearchPage, bundle: Int? = nil) {
        pages.append((page, bundle))
    }

    /// The data files, paths relative to the folder that holds `pico-search/`, in order
    /// (index.js, then the term shards, then the document shards). `bundles`: the folder and
    /// title of each bundle of a library, which pages were added with by number.
    /// `map` makes the shard files (each from its number) and may spread them over cores: the
    /// build passes its parallel map, the order of the results must be that of the numbers.
    public func files(bundles: [(folder: String, title: String)]? = nil,
                      map: ShardMap = { numbers, make in numbers.map(make) }) -> [(path: String, bytes: [UInt8])] {
        let docs = pages.sorted { a, b in
            let (x, y) = (a.bundle ?? -1, b.bundle ?? -1)
            if x != y { return x < y }
            return a.page.path.utf8.lexicographicallyPrecedes(b.page.path.utf8)
        }
        let terms = TermTable(docs.map(\.page))
        var files: [(path: String, bytes: [UInt8])] = []
        let termShards = terms.shards(limit: options.shardBytes)
        let docShards = DocumentShards(docs: docs, textChars: options.textChars, limit: options.shardBytes, map: map)

        var index = JSONWriter()
        index.raw("PicoSearch.index({\"format\":")
        index.string(Self.format)
        index.raw(",\"language\":")
        index.string(language)
        index.raw(",\"documents\":\(docs.count),\"scores\":[\(terms.scoreRange.lowest),\(terms.scoreRange.highest)],\"terms\":[")
        for (number, shard) in termShards.enumerated() {
            if number > 0 { index.raw(",") }
            index.raw("[")
            index.string(shard.first)
            index.raw(",")
            index.string(Self.shardName("t", number))
            index.raw("]")
        }
        index.raw("],\"docs\":{\"perShard\":\(docShards.perShard),\"files\":[")
        for number in docShards.files.indices {
            if number > 0 { index.raw(",") }
            index.string(Self.shardName("d", number))
        }
        index.raw("]}")
        if let bundles {
            index.raw(",\"bundles\":[")
            for (number, bundle) in bundles.enumerated() {
                if number > 0 { index.raw(",") }
                index.raw("[")
                index.string(bundle.folder)
                index.raw(",")
                index.string(bundle.title)
                index.raw("]")
            }
            index.raw("]")
        }
        index.raw("});\n")
        files.append((Self.indexPath, index.bytes))
        let termFiles = map(Array(termShards.indices)) { number in termShards[number].file(name: Self.shardName("t", number)) }
        for (number, bytes) in termFiles.enumerated() {
            files.append((Self.folder + "/" + Self.shardName("t", number), bytes))
        }
        for (number, bytes) in docShards.files.enumerated() {
            files.append((Self.folder + "/" + Self.shardName("d", number), bytes))
        }
        return files
    }

    static func shardName(_ kind: String, _ number: Int) -> String {
        let digits = String(number)
        return kind + "-" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits + ".js"
    }
}

/// Makes the files numbered in the first argument with the second, results in that order.
public typealias ShardMap = ([Int], @Sendable (Int) -> [UInt8]) -> [[UInt8]]

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
