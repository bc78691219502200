import Foundation
import PicoDeflate

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
    public func files(bundles: [(folder: String, title: String)]? = nil) -> [(path: String, bytes: [UInt8])] {
        let docs = pages.sorted { a, b in
            let (x, y) = (a.bundle ?? -1, b.bundle ?? -1)
            if x != y { return x < y }
            return a.page.path.utf8.lexicographicallyPrecedes(b.page.path.utf8)
        }
        let terms = TermTable(docs.map(\.page))
        var files: [(path: String, bytes: [UInt8])] = []
        let termShards = terms.shards(limit: options.shardBytes)
        let docShards = DocumentShards(docs: docs, textChars: options.textChars, limit: options.shardBytes)

        var index = JSONWriter()
        index.raw("PicoSearch.index({\"format\":")
        index.string(Self.format)
        index.raw(",\"language\":")
        index.string(language)
        index.raw(",\"documents\":\(docs.count),\"terms\":[")
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
        for (number, shard) in termShards.enumerated() {
            files.append((Self.folder + "/" + Self.shardName("t", number), shard.file(name: Self.shardName("t", number))))
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

/// Every stem's postings with BM25 scores quantized, and the surface words, in one sorted key space.
struct TermTable {
    /// Keys sorted by UTF-16 code units (JavaScript's `<`), each with its JSON entries.
    var keys: [(key: String, stem: [UInt8]?, word: [UInt8]?)] = []

    init(_ docs: [SearchPage]) {
        var postings: [String: [(doc: Int32, tf: Int32)]] = [:]
        var words: [String: String] = [:]
        var totalLength = 0
        for (number, page) in docs.enumerated() {
            totalLength += page.length
            for (stem, tf) in page.stems { postings[stem, default: []].append((Int32(number), Int32(tf))) }
            for (word, stem) in page.words where words[word] == nil { words[word] = stem }
        }
        let count = Double(docs.count)
        let average = max(1, Double(totalLength) / max(1, count))
        let lengths = docs.map { Double($0.length) }
        // BM25 of each (stem, doc), then quantized against the largest of the index.
        var scored: [(stem: String, docs: [Int32], scores: [Double])] = []
        scored.reserveCapacity(postings.count)
        var largest = 0.0
        for (stem, list) in postings {
            let df = Double(list.count)
            let idf = log(1 + (count - df + 0.5) / (df + 0.5))
            var scores: [Double] = []
            scores.reserveCapacity(list.count)
            for (doc, tf) in list {
                let f = Double(tf)
                let norm = SearchIndexBuilder.k1 * (1 - SearchIndexBuilder.b + SearchIndexBuilder.b * lengths[Int(doc)] / average)
                let score = idf * f * (SearchIndexBuilder.k1 + 1) / (f + norm)
                scores.append(score)
                largest = max(largest, score)
            }
            scored.append((stem, list.map(\.doc), scores))
        }
        var entries: [String: (stem: [UInt8]?, word: [UInt8]?)] = [:]
        for (stem, docs, scores) in scored {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(docs.count * 3)
            var previous: Int32 = 0
            for (index, doc) in docs.enumerated() {
                Varint.append(UInt64(doc - (index == 0 ? 0 : previous)), to: &bytes)
                Varint.append(UInt64(Self.quantized(scores[index], largest: largest)), to: &bytes)
                previous = doc
            }
            var json = JSONWriter()
            json.string(stem)
            json.raw(":\"")
            json.raw(Data(bytes).base64EncodedString())
            json.raw("\"")
            entries[stem, default: (nil, nil)].stem = json.bytes
        }
        for (word, stem) in words {
            var json = JSONWriter()
            json.string(word)
            json.raw(":")
            json.string(stem)
            entries[word, default: (nil, nil)].word = json.bytes
        }
        keys = entries.map { ($0.key, $0.value.stem, $0.value.word) }
            .sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
    }

    /// 1…255, the share of the index's largest score.
    static func quantized(_ score: Double, largest: Double) -> Int {
        guard largest > 0 else { return 1 }
        return min(255, max(1, Int((255 * score / largest).rounded())))
    }

    struct Shard {
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

/// The documents, `perShard` to a file: each one's path and title (and bundle), and their stored
/// texts deflated together (raw deflate, the texts joined by U+0000), base64.
struct DocumentShards {
    var perShard = 1
    var files: [[UInt8]] = []

    init(docs: [(page: SearchPage, bundle: Int?)], textChars: Int, limit: Int) {
        let heads: [[UInt8]] = docs.map { doc in
            var json = JSONWriter()
            json.raw("[")
            json.string(doc.page.path)
            json.raw(",")
            json.string(doc.page.title)
            if let bundle = doc.bundle { json.raw(",\(bundle)") }
            json.raw("]")
            return json.bytes
        }
        let texts: [[UInt8]] = docs.map { Array(Self.stored(doc: $0.page.text, chars: textChars).utf8) }
        guard !docs.isEmpty else {
            files = [Self.file(name: SearchIndexBuilder.shardName("d", 0), first: 0, heads: [], texts: [])]
            return
        }
        // A first guess from the sizes (text deflates to about a third, base64 adds a third),
        // corrected on the first shard alone (deflate's ratio depends on the text), then
        // smaller until every file fits.
        let average = Double(heads.reduce(0) { $0 + $1.count + 1 } + texts.reduce(0) { $0 + $1.count / 2 + 1 }) / Double(docs.count)
        perShard = max(1, min(docs.count, Int(Double(limit) / average)))
        for _ in 0..<4 where perShard < docs.count {
            let size = Self.file(name: SearchIndexBuilder.shardName("d", 0), first: 0, heads: heads[0..<perShard],
                                 texts: texts[0..<perShard]).count
            let better = max(1, min(docs.count, Int(Double(perShard) * Double(limit) * 0.95 / Double(max(1, size)))))
            if abs(better - perShard) * 50 < perShard { break }
            perShard = better
        }
        while true {
            files = stride(from: 0, to: docs.count, by: perShard).map { first in
                let end = min(docs.count, first + perShard)
                return Self.file(name: SearchIndexBuilder.shardName("d", first / perShard), first: first,
                                 heads: heads[first..<end], texts: texts[first..<end])
            }
            let largest = files.map(\.count).max() ?? 0
            if largest <= limit || perShard == 1 { break }
            perShard = max(1, min(perShard - 1, Int(Double(perShard) * Double(limit) / Double(largest) * 0.97)))
        }
    }

    static func file(name: String, first: Int, heads: ArraySlice<[UInt8]>, texts: ArraySlice<[UInt8]>) -> [UInt8] {
        var json = JSONWriter()
        json.raw("PicoSearch.docs(")
        json.string(name)
        json.raw(",{\"first\":\(first),\"docs\":[")
        for (index, head) in heads.enumerated() {
            if index > 0 { json.raw(",") }
            json.bytes += head
        }
        json.raw("],\"text\":\"")
        var joined: [UInt8] = []
        for (index, text) in texts.enumerated() {
            if index > 0 { joined.append(0) }
            joined += text
        }
        json.raw(Data(Deflate.compress(joined, format: .raw, level: 9)).base64EncodedString())
        json.raw("\"});\n")
        return json.bytes
    }

    /// At most `chars` characters of `text`, cut at a word boundary.
    static func stored(doc text: String, chars: Int) -> String {
        guard text.utf8.count > chars else { return text }
        guard chars > 0 else { return "" }
        var cut = text.prefix(chars)
        if cut.endIndex < text.endIndex, !text[cut.endIndex].isWhitespace, let space = cut.lastIndex(where: \.isWhitespace) {
            cut = cut[..<space]
        }
        return String(cut)
    }
}

/// Unsigned LEB128.
enum Varint {
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// The numbers of `bytes`, or nil when the last is cut off.
    static func decode(_ bytes: [UInt8]) -> [UInt64]? {
        var out: [UInt64] = []
        var value: UInt64 = 0, shift: UInt64 = 0
        for byte in bytes {
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                out.append(value)
                value = 0
                shift = 0
            } else {
                shift += 7
                if shift > 63 { return nil }
            }
        }
        return shift == 0 ? out : nil
    }
}

/// JSON text built as bytes: strings escaped the one way (", \ and controls; U+2028 and U+2029
/// too, for JavaScript parsers older than ES2019), everything else as UTF-8.
struct JSONWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes += text.utf8 }

    /// Already-encoded JSON members or values, comma-separated.
    mutating func joined(_ items: [[UInt8]]) {
        for (position, item) in items.enumerated() {
            if position > 0 { bytes.append(0x2C) }
            bytes += item
        }
    }

    mutating func string(_ text: String) {
        bytes.append(0x22)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": bytes += [0x5C, 0x22]
            case "\\": bytes += [0x5C, 0x5C]
            case "\n": bytes += [0x5C, 0x6E]
            case "\r": bytes += [0x5C, 0x72]
            case "\t": bytes += [0x5C, 0x74]
            case "\u{2028}", "\u{2029}": bytes += Array(String(format: "\\u%04x", scalar.value).utf8)
            default:
                if scalar.value < 0x20 {
                    bytes += Array(String(format: "\\u%04x", scalar.value).utf8)
                } else {
                    bytes += String(scalar).utf8
                }
            }
        }
        bytes.append(0x22)
    }
}
