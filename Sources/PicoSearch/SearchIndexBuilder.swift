import Foundation
import PicoParallel

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
/// `d-NNN.js` (the format is docs/FORMAT.md's: `PicoSearch.terms(…)`
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
    /// Bytes of `search.js` left for the index it carries beyond the first document shard.
    static let indexReserve = 4_096

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

    /// The files, paths relative to the folder that holds `pico-search/`, in order: index.js,
    /// search.js (the runtime carrying index.js and d-000.js, so that a cold query waits for its
    /// term shards alone when its results are among the hottest pages), then the term shards,
    /// then the document shards. `bundles`: the folder and title of each bundle of a library,
    /// which pages were added with by number. Made on every core: the order of the documents
    /// beside their stored texts, then the term table beside the document shards.
    public func files(bundles: [(folder: String, title: String)]? = nil) -> [(path: String, bytes: [UInt8])] {
        let sorted = pages.sorted { a, b in
            let (x, y) = (a.bundle ?? -1, b.bundle ?? -1)
            if x != y { return x < y }
            return a.page.path.utf8.lexicographicallyPrecedes(b.page.path.utf8)
        }
        // Numbered with the pages most words rank first at the front (DocumentOrder): the
        // runtime loads the shards that hold them with a query's term shards.
        let textChars = options.textChars
        let (order, entries) = Parallel.both({ DocumentOrder(sorted.map(\.page)) },
                                             { DocumentShards.entries(sorted, textChars: textChars) })
        let docs = order.order.map { sorted[$0].page }
        // The first document shard rides in search.js: what is left of a shard's size beside the
        // runtime and the index (at least half a shard).
        let runtime = Array(SearchAssets.runtime.utf8)
        let limit = options.shardBytes
        let firstLimit = max(limit / 2, limit - runtime.count - Self.indexReserve)
        let ((terms, termShards, termFiles), docShards) = Parallel.both({
            let terms = TermTable(docs)
            let shards = terms.shards(limit: limit)
            let files = Parallel.map(Array(shards.indices)) { number in shards[number].file(name: Self.shardName("t", number)) }
            return (terms, shards, files)
        }, {
            DocumentShards(order.order.map { entries[$0] }, limit: limit, firstLimit: firstLimit)
        })
        var files: [(path: String, bytes: [UInt8])] = []

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
        index.raw("],\"docs\":{\"inFirst\":\(docShards.inFirst),\"perShard\":\(docShards.perShard),\"files\":[")
        for number in docShards.files.indices {
            if number > 0 { index.raw(",") }
            index.string(Self.shardName("d", number))
        }
        index.raw("],\"hot\":1}")
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
        files.append((Self.runtimePath, runtime + index.bytes + docShards.files[0]))
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
