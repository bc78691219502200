import Foundation
import PicoDeflate
import PicoParallel

/// The documents, `inFirst` in the first file and `perShard` in each after it: each one's path
/// and title (and bundle), and their stored texts deflated together (raw deflate, the texts
/// joined by U+0000), base64. The first file holds the hottest documents (`DocumentOrder`) and
/// is carried by `search.js` too, so it is cut to `firstLimit` bytes: the runtime with it stays
/// a file of about the size of a shard.
struct DocumentShards {
    var inFirst = 1
    var perShard = 1
    var files: [[UInt8]] = []

    /// What a document shard holds of one page: its JSON head (path, title, bundle) and the
    /// stored text, cut to `textChars`; made on every core, in the order given.
    struct Entry: Sendable {
        var head: [UInt8]
        var text: [UInt8]
    }

    static func entries(_ docs: [(page: SearchPage, bundle: Int?)], textChars: Int) -> [Entry] {
        Parallel.map(docs) { doc in
            var json = JSONWriter()
            json.raw("[")
            json.string(doc.page.path)
            json.raw(",")
            json.string(doc.page.title)
            if let bundle = doc.bundle { json.raw(",\(bundle)") }
            json.raw("]")
            return Entry(head: json.bytes, text: Array(Self.stored(doc: doc.page.text, chars: textChars).utf8))
        }
    }

    init(_ docs: [Entry], limit: Int, firstLimit: Int? = nil) {
        let heads = docs.map(\.head), texts = docs.map(\.text)
        guard !docs.isEmpty else {
            files = [Self.file(name: SearchIndexBuilder.shardName("d", 0), first: 0, heads: [], texts: [])]
            return
        }
        func size(_ range: Range<Int>) -> Int {
            Self.file(name: SearchIndexBuilder.shardName("d", 0), first: range.lowerBound, heads: heads[range], texts: texts[range]).count
        }
        // A first guess from the sizes (text deflates to about a third, base64 adds a third),
        // corrected on the first shard alone (deflate's ratio depends on the text), then
        // smaller until every file fits.
        let average = Double(heads.reduce(0) { $0 + $1.count + 1 } + texts.reduce(0) { $0 + $1.count / 2 + 1 }) / Double(docs.count)
        perShard = max(1, min(docs.count, Int(Double(limit) / average)))
        for _ in 0..<4 where perShard < docs.count {
            let better = max(1, min(docs.count, Int(Double(perShard) * Double(limit) * 0.95 / Double(max(1, size(0..<perShard))))))
            if abs(better - perShard) * 50 < perShard { break }
            perShard = better
        }
        // The first file: as many of the first documents as fit in firstLimit (at most perShard).
        let firstCap = min(limit, firstLimit ?? limit)
        inFirst = perShard
        var held = size(0..<inFirst)
        while inFirst > 1, held > firstCap {
            inFirst = max(1, min(inFirst - 1, Int(Double(inFirst) * Double(firstCap) / Double(held) * 0.98)))
            held = size(0..<inFirst)
        }
        while true {
            let first = inFirst, size = perShard, count = docs.count
            let rest = max(0, count - first)
            files = Parallel.map(Array(0..<(1 + (rest + size - 1) / size))) { number in
                let start = number == 0 ? 0 : first + (number - 1) * size
                let end = number == 0 ? min(count, first) : min(count, start + size)
                return Self.file(name: SearchIndexBuilder.shardName("d", number), first: start,
                                 heads: heads[start..<end], texts: texts[start..<end])
            }
            let largest = files.dropFirst().map(\.count).max() ?? 0
            if largest <= limit || perShard == 1 { break }
            perShard = max(1, min(perShard - 1, Int(Double(perShard) * Double(limit) / Double(largest) * 0.97)))
        }
    }

    /// libdeflate's level 6: on English text the size of zlib's 6 (its default) in 0.55 of the
    /// time; on the benchmark corpus's few repeated words 5 % larger in 0.6 of it, where 7 took
    /// as long as zlib for 1 % less.
    static let level: Int32 = 6

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
        json.raw(Data(Deflate.compress(joined, format: .raw, level: Self.level)).base64EncodedString())
        json.raw("\"});\n")
        return json.bytes
    }

    /// At most `chars` characters of `text`, cut at a word boundary.
    static func stored(doc text: String, chars: Int) -> String {
        guard text.utf8.count > chars else { return text }
        guard chars > 0 else { return "" }
        // ASCII without CR (a page's text always: its whitespace is collapsed): a character is a
        // byte, so the cut is found without walking grapheme clusters (10,000 pages × 800).
        var ascii = text
        if let cut = ascii.withUTF8({ bytes -> String? in
            guard !bytes.contains(where: { $0 >= 0x80 || $0 == 0x0D }) else { return nil }
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0C).contains(byte) }
            var end = chars
            if !isSpace(bytes[end]), let space = bytes[..<end].lastIndex(where: isSpace) { end = space }
            return String(decoding: bytes[..<end], as: UTF8.self)
        }) {
            return cut
        }
        var cut = text.prefix(chars)
        if cut.endIndex < text.endIndex, !text[cut.endIndex].isWhitespace, let space = cut.lastIndex(where: \.isWhitespace) {
            cut = cut[..<space]
        }
        return String(cut)
    }
}
