import Foundation
import PicoDeflate
@testable import PicoSearch
import Testing

/// The index as search.js reads it: the files parsed back as JSON, postings decoded from their
/// base64 varints, stored texts inflated; rankings checked on pages whose words are chosen so
/// that the order is known.
@Suite struct SearchIndexTests {
    // MARK: words and stems

    @Test func wordsAreLetterAndNumberRunsLowercasedAndNormalised() {
        #expect(Tokenizer.words("Hello, World! Bundle-2024 x86_64") == ["hello", "world", "bundle", "2024", "x86", "64"])
        // NFKC: the ligature ﬁ is "fi", full-width letters are ASCII; non-Latin scripts stay words.
        #expect(Tokenizer.words("ﬁle ＡＢＣ Ünïcode 東京 café") == ["file", "abc", "ünïcode", "東京", "café"])
        // A combining accent stays inside its word.
        #expect(Tokenizer.words("cafe\u{301} ok") == ["caf\u{E9}", "ok"])
        // Longer than 40 scalars: not a word anyone types.
        #expect(Tokenizer.words(String(repeating: "a", count: 41) + " " + String(repeating: "b", count: 40))
                == [String(repeating: "b", count: 40)])
        #expect(Tokenizer.words("<>&;.,  \n") == [])
    }

    /// Snowball's English (Porter2) stems of words from its published sample vocabulary.
    @Test func theEnglishStemmerGivesSnowballsStems() throws {
        let stemmer = try #require(Stemmer(language: "en"))
        let expected = ["consign": "consign", "consigned": "consign", "consignment": "consign", "consolation": "consol",
                        "generously": "generous", "knightly": "knight", "running": "run", "runs": "run", "bundles": "bundl",
                        "connections": "connect", "happiness": "happi", "2024": "2024"]
        for (word, stem) in expected { #expect(stemmer.stem(word) == stem, "\(word)") }
        // The cache gives the same answer as the algorithm.
        #expect(stemmer.stem("running") == "run")
        let french = try #require(Stemmer(language: "fr"))
        #expect(french.stem("continuation") == "continu")
        #expect(french.stem("chevaux") == "cheval")
        #expect(Stemmer(language: "xx") == nil)
        #expect(Stemmer.algorithms.contains("english"))
    }

    @Test func stemmersAreLentOnePerCallerAcrossThreads() async {
        let stemmers = Stemmers()
        let results = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<2000).map { i in stemmers.with("en") { $0!.stem(i % 2 == 0 ? "running" : "connections") } } }
            }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(results.count == 16_000)
        #expect(Set(results) == ["run", "connect"])
        #expect(stemmers.with("zz") { $0 } == nil)
    }

    // MARK: what a page's text is

    @Test func extractionLeavesOutNavigationScriptsAndSkippedParts() throws {
        let html = """
        <!DOCTYPE html><html lang="en-GB"><head><title>Kayak &amp; canoe</title><style>p { color: red }</style>
        <script>var hidden = "<p>scriptword</p>";</script></head>
        <body><header><a href="/">Headerword</a></header><nav><ul><li>navword</ul></nav>
        <h1>Paddling <em>up</em>stream</h1><p>Rivers and <b>lakes</b>&nbsp;alike.<!-- commentword --></p>
        <div data-pico-search="skip"><p>skippedword <div>nested</div> still</p></div>
        <svg><title>svgword</title></svg><template><p>templateword</p></template><noscript>noscriptword</noscript>
        <p>after</p><footer>footerword</footer></body></html>
        """
        let page = try #require(SearchPage.extract(html: Array(html.utf8), path: "a/index.html"))
        #expect(page.title == "Kayak & canoe")
        #expect(page.language == "en")
        #expect(page.text == "Paddling upstream Rivers and lakes alike. after")
        for word in ["scriptword", "headerword", "navword", "commentword", "skippedword", "nested", "still", "svgword",
                     "templateword", "noscriptword", "footerword", "color"] {
            #expect(page.stems[word] == nil, "\(word) should not be indexed")
        }
        // Title ×5, heading ×2, body ×1; the English stemmer made "paddl" of "Paddling".
        #expect(page.stems["kayak"] == 5)
        #expect(page.stems["paddl"] == 2)
        #expect(page.stems["lake"] == 1)
        #expect(page.words["lakes"] == "lake")
        #expect(page.length == 5 * 2 + 2 * 2 + 5)
    }

    @Test func mainIsPreferredAndTheFirstHeadingNamesAPageWithoutTitle() throws {
        let html = "<html><body><div>sidebar words</div><main><h1>The  heading</h1><p>Main text.</p></main><aside>aside</aside></body></html>"
        let page = try #require(SearchPage.extract(html: Array(html.utf8), path: "p.html", defaultLanguage: "fr"))
        #expect(page.title == "The heading")
        #expect(page.text == "The heading Main text.")
        #expect(page.language == "fr")
        #expect(page.stems["sidebar"] == nil)
    }

    @Test func noindexAndSkippedPagesAreNotIndexed() {
        #expect(SearchPage.extract(html: Array(#"<html><head><meta name="robots" content="noindex, follow"></head><body>x</body></html>"#.utf8), path: "a.html") == nil)
        #expect(SearchPage.extract(html: Array(#"<html data-pico-search="skip"><body>x</body></html>"#.utf8), path: "a.html") == nil)
        #expect(SearchPage.extract(html: Array(#"<html><body data-pico-search=skip>x</body></html>"#.utf8), path: "a.html") == nil)
        #expect(SearchPage.extract(html: Array("<html><body>x</body></html>".utf8), path: "a.html") != nil)
        #expect(SearchPage.isIndexable(path: "docs/a.html"))
        #expect(SearchPage.isIndexable(path: "b.HTM"))
        #expect(!SearchPage.isIndexable(path: "404.html"))
        #expect(!SearchPage.isIndexable(path: "x/404.html"))
        #expect(!SearchPage.isIndexable(path: "search/index.html"))
        #expect(!SearchPage.isIndexable(path: "pico-search/x.html"))
        #expect(!SearchPage.isIndexable(path: "style.css"))
    }

    // MARK: the files

    /// The JSON argument of a shard's call, `PicoSearch.kind("name", {…});`.
    static func argument(_ bytes: [UInt8], call: String) throws -> [String: Any] {
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasSuffix("});\n"))
        let prefix = "PicoSearch.\(call)("
        try #require(text.hasPrefix(prefix), "\(text.prefix(60))")
        var body = text.dropFirst(prefix.count).dropLast(3)
        if call != "index" {
            let comma = try #require(body.firstIndex(of: ","))
            body = body[body.index(after: comma)...]
        }
        return try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    struct Index {
        var index: [String: Any]
        var stems: [String: [(doc: Int, score: Int)]] = [:]
        var words: [String: String] = [:]
        var docs: [(path: String, title: String)] = []
        var texts: [String] = []
        var files: [(path: String, bytes: [UInt8])]

        init(_ files: [(path: String, bytes: [UInt8])]) throws {
            self.files = files
            let byPath = Dictionary(files.map { ($0.path, $0.bytes) }, uniquingKeysWith: { a, _ in a })
            index = try argument(try #require(byPath["pico-search/index.js"]), call: "index")
            let terms = try #require(index["terms"] as? [[String]])
            for (number, entry) in terms.enumerated() {
                let shard = try argument(try #require(byPath["pico-search/" + entry[1]]), call: "terms")
                let next = number + 1 < terms.count ? terms[number + 1][0] : nil
                for (key, value) in try #require(shard["stems"] as? [String: String]) {
                    // Every key lies in its shard's range.
                    #expect(key.utf16.lexicographicallyPrecedes(entry[0].utf16) == false, "\(key) before \(entry[0])")
                    if let next { #expect(key.utf16.lexicographicallyPrecedes(next.utf16), "\(key) after \(next)") }
                    let postings = try #require(Data(base64Encoded: value))
                    let numbers = try #require(Varint.decode(Array(postings)))
                    #expect(numbers.count % 2 == 0)
                    var doc = 0
                    var list: [(Int, Int)] = []
                    for pair in stride(from: 0, to: numbers.count, by: 2) {
                        doc = (pair == 0 ? 0 : doc) + Int(numbers[pair])
                        list.append((doc, Int(numbers[pair + 1])))
                    }
                    stems[key] = list
                }
                for (key, value) in try #require(shard["words"] as? [String: String]) { words[key] = value }
            }
            let docInfo = try #require(index["docs"] as? [String: Any])
            let perShard = try #require(docInfo["perShard"] as? Int), inFirst = try #require(docInfo["inFirst"] as? Int)
            for (number, name) in try #require(docInfo["files"] as? [String]).enumerated() {
                let shard = try argument(try #require(byPath["pico-search/" + name]), call: "docs")
                #expect(shard["first"] as? Int == (number == 0 ? 0 : inFirst + (number - 1) * perShard))
                let list = try #require(shard["docs"] as? [[Any]])
                docs += list.map { ($0[0] as! String, $0[1] as! String) }
                let text = try #require(shard["text"] as? String)
                let deflated = try #require(Data(base64Encoded: text))
                let joined = try #require(Deflate.decompress(Array(deflated), format: .raw))
                let parts = joined.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                #expect(parts.count == list.count)
                texts += parts
            }
            #expect(docs.count == index["documents"] as? Int)
        }

        func score(_ stem: String, _ path: String) -> Int? {
            guard let doc = docs.firstIndex(where: { $0.path == path }) else { return nil }
            return stems[stem]?.first(where: { $0.doc == doc })?.score
        }
    }

    static func page(_ path: String, title: String, body: String, heading: String = "") -> SearchPage {
        let html = "<html lang=en><head><title>\(title)</title></head><body>\(heading.isEmpty ? "" : "<h2>\(heading)</h2>")<p>\(body)</p></body></html>"
        return SearchPage.extract(html: Array(html.utf8), path: path)!
    }

    @Test func bm25RanksTitleOverHeadingOverBodyAndRareOverCommon() throws {
        var builder = SearchIndexBuilder()
        let filler = "common words fill this page"
        builder.add(Self.page("title.html", title: "Otter", body: filler))
        builder.add(Self.page("heading.html", title: "Page two", body: filler, heading: "otter"))
        builder.add(Self.page("body.html", title: "Page three", body: "otter " + filler))
        builder.add(Self.page("long.html", title: "Page four", body: "otter " + String(repeating: filler + " ", count: 20)))
        builder.add(Self.page("none.html", title: "Page five", body: filler + " heron"))
        let index = try Index(builder.files())
        let order = ["title.html", "heading.html", "body.html", "long.html"].map { index.score("otter", $0)! }
        #expect(order == order.sorted(by: >) && Set(order).count == 4, "\(order)")
        #expect(index.score("otter", "none.html") == nil)
        // The word of one page outweighs one of every page, at the same count.
        #expect(index.score("heron", "none.html")! > index.score("common", "none.html")!)
        // Quantized up to the largest score of the index: some (stem, doc) has 127.
        #expect(index.stems.values.flatMap { $0.map(\.score) }.max() == 127)
        #expect(index.stems.values.flatMap { $0.map(\.score) }.min()! >= 1)
        #expect(index.words["words"] == "word")
        #expect(index.docs.map(\.path) == ["body.html", "heading.html", "long.html", "none.html", "title.html"])
        #expect(index.texts[4] == filler)
        #expect(index.texts[1] == "otter " + filler)
        #expect((index.index["language"] as? String) == "en" && (index.index["format"] as? String) == "pico-search/1")
    }

    /// A word on every page, a few more times on each: on a linear scale against the index's
    /// largest score (a rare title word's) its postings were all 1 and ties decided the ranking;
    /// on the log scale each count keeps its own value, and index.js gives the scale's ends.
    @Test func scoresOfACommonWordKeepTheirOrderOnTheLogScale() throws {
        var builder = SearchIndexBuilder()
        for n in 1...12 {
            let body = String(repeating: "river ", count: n) + String(repeating: "filler words here ", count: 40)
            builder.add(Self.page("p\(n).html", title: "Page \(n)", body: body))
        }
        builder.add(Self.page("rare.html", title: "Quokka", body: "quokka quokka quokka"))
        let index = try Index(builder.files())
        let river = (1...12).map { index.score("river", "p\($0).html")! }
        // BM25 saturates with the count, so the last few may share a value; a linear scale
        // gave [6, 8, 10, 10, 11, 11, 11, 12, 12, 12, 12, 12] here.
        #expect(river == river.sorted() && Set(river.prefix(6)).count == 6, "\(river)")
        let range = try #require(index.index["scores"] as? [Double])
        #expect(range.count == 2 && range[0] > 0 && range[1] > range[0])
        // The ends are the scale's: the smallest posting is 1, the largest 127.
        let all = index.stems.values.flatMap { $0.map(\.score) }
        #expect(all.min() == 1 && all.max() == 127)
    }

    /// Pages of made-up text from a fixed generator (the same every run).
    static func pages(_ count: Int, words perPage: Int) -> [SearchPage] {
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        let syllables = ["ka", "lo", "mi", "ne", "so", "ru", "ta", "vi", "ze", "po", "ha", "gu"]
        func word() -> String { (0..<(2 + Int(next() % 3))).map { _ in syllables[Int(next() % UInt64(syllables.count))] }.joined() }
        return (0..<count).map { n in
            let body = (0..<perPage).map { _ in word() }.joined(separator: " ")
            return page("p/\(n)/index.html", title: "Page \(word()) \(n)", body: body)
        }
    }

    @Test func shardsStayUnderTheirSizeAndEveryPostingDecodesBack() throws {
        let pages = Self.pages(300, words: 120)
        var builder = SearchIndexBuilder(options: SearchOptions(textChars: 300, shardBytes: 8_000))
        for page in pages { builder.add(page) }
        let files = builder.files()
        let index = try Index(files)
        #expect(files.count > 10, "small shards: many files")
        for file in files where file.path != "pico-search/index.js" && file.path != "pico-search/search.js" {
            #expect(file.bytes.count <= 8_000, "\(file.path): \(file.bytes.count) bytes")
        }
        // search.js: the runtime, index.js and d-000.js, cut to half a shard here (beside a
        // runtime larger than the shards), where the others hold perShard each.
        let byPath = Dictionary(files.map { ($0.path, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        let hottest = try #require(byPath["pico-search/d-000.js"])
        #expect(byPath["pico-search/search.js"] == Array(SearchAssets.runtime.utf8) + byPath["pico-search/index.js"]! + hottest)
        #expect(hottest.count <= 4_000)
        let docs = try #require(index.index["docs"] as? [String: Any])
        #expect((docs["inFirst"] as! Int) < (docs["perShard"] as! Int), "\(docs)")
        // Each page's stems are exactly the keys whose postings name it.
        for page in pages {
            let doc = try #require(index.docs.firstIndex { $0.path == page.path })
            let found = Set(index.stems.filter { $0.value.contains { $0.doc == doc } }.keys)
            #expect(found == Set(page.stems.keys), "\(page.path)")
            #expect(index.texts[doc].count <= 300)
            #expect(page.text.hasPrefix(index.texts[doc]))
            #expect(index.docs[doc].title == page.title)
        }
        // Postings in increasing doc order.
        for list in index.stems.values { #expect(list.map(\.doc) == list.map(\.doc).sorted() && Set(list.map(\.doc)).count == list.count) }
    }

    /// A term shard ends where its keys change early: the words here are two to four syllables of
    /// two letters, so a six-letter beginning ("kalomi") has about 200 bytes of keys, and the
    /// 15 % of a shard its end may move back over (1,200 bytes) always holds a change within
    /// the first three syllables. A cut by size alone falls inside such a run.
    @Test func aTermShardEndsWhereItsKeysShareTheShortestBeginning() throws {
        let table = TermTable(Self.pages(300, words: 120))
        for fill in [0.85, 1.0] {
            let shards = table.shards(limit: 8_000, fill: fill)
            #expect(shards.count > 8)
            let shared = zip(shards, shards.dropFirst()).map { TermTable.sharedPrefix($0.keys.last!.key, $1.first) }
            // Each shard is named by the shortest beginning of its first key after the key before.
            for (before, shard) in zip(shards, shards.dropFirst()) {
                let last = before.keys.last!.key, first = shard.keys.first!.key
                #expect(first.hasPrefix(shard.first) && shard.first.count == TermTable.sharedPrefix(last, first) + 1, "\(last) | \(shard.first) | \(first)")
                #expect(last.utf16.lexicographicallyPrecedes(shard.first.utf16))
            }
            if fill < 1 {
                #expect(shared.allSatisfy { $0 <= 4 }, "characters shared across each cut: \(shared)")
                for shard in shards.dropLast() {
                    let bytes = shard.keys.reduce(0) { $0 + ($1.stem?.count ?? 0) + ($1.word?.count ?? 0) + 2 }
                    #expect(bytes <= 8_000 && bytes >= 6_800, "\(shard.first): \(bytes) bytes")
                }
            } else {
                #expect(shared.filter { $0 > 4 }.count > shards.count / 4, "by size alone many cuts fall inside a run: \(shared)")
            }
        }
    }

    /// Pages that rank first for the words of many pages are numbered first, so that the top
    /// results of a query share the first ("hot") document shards the runtime loads with the
    /// term shards: here five short pages dense with the common words sort last by path, and
    /// come first.
    @Test func pagesThatRankForTheMostWordsAreNumberedFirst() throws {
        var builder = SearchIndexBuilder(options: SearchOptions(textChars: 200, shardBytes: 2_000))
        let common = "harbour lantern rope tide"
        for n in 0..<60 {
            // Pages 40 to 59 also have "quay", and are longer: the dense pages and 40 to 44 rank for it.
            let own = (0..<(n < 40 ? 30 : 40)).map { "w\(n)x\($0)" }.joined(separator: " ")
            builder.add(Self.page("a/\(n)/index.html", title: "P\(n)", body: own + " " + common + (n < 40 ? "" : " quay")))
        }
        for n in 0..<5 {
            builder.add(Self.page("z/\(n)/index.html", title: "Dense \(n)", body: Array(repeating: common + " quay", count: 3).joined(separator: " ")))
        }
        let index = try Index(builder.files())
        // Five words rank the dense pages in their first ten; four rank the first five pages of
        // the equal ones (by path: a/0, a/1, a/10, …); "quay" ranks 40 to 44; then the rest in
        // path order.
        let first = (0..<5).map { "z/\($0)/index.html" } + [0, 1, 10, 11, 12, 40, 41, 42, 43, 44].map { "a/\($0)/index.html" }
        #expect(Array(index.docs.prefix(15).map(\.path)) == first, "\(index.docs.prefix(16).map(\.path))")
        let rest = index.docs.dropFirst(15).map(\.path)
        #expect(rest.count == 50 && rest == rest.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        // The ranking is BM25's whatever the numbers: the dense pages score highest for each word.
        for word in ["harbour", "lantern", "quay"] {
            let list = try #require(index.stems[word]).sorted { $0.score > $1.score }
            #expect(Set(list.prefix(5).map(\.doc)) == Set(0..<5) && list[4].score > list[5].score, "\(word): \(list.prefix(6))")
        }
        // The first shard (which search.js carries) is the one hot shard.
        let docs = try #require(index.index["docs"] as? [String: Any])
        let files = try #require(docs["files"] as? [String])
        #expect(files.count > 3, "several document shards: \(files.count)")
        #expect(docs["hot"] as? Int == 1, "\(docs)")
    }

    @Test func aSmallIndexHasOneHotShard() throws {
        var builder = SearchIndexBuilder()
        builder.add(Self.page("a.html", title: "Alpha", body: "text"))
        let docs = try #require(try Index(builder.files()).index["docs"] as? [String: Any])
        #expect(docs["hot"] as? Int == 1 && (docs["files"] as? [String])?.count == 1)
    }

    @Test func theSamePagesInAnyOrderGiveTheSameBytes() {
        let pages = Self.pages(120, words: 60)
        var forward = SearchIndexBuilder(options: SearchOptions(shardBytes: 6_000))
        var backward = forward
        for page in pages { forward.add(page) }
        for page in pages.reversed() { backward.add(page) }
        let a = forward.files(), b = backward.files()
        #expect(a.map(\.path) == b.map(\.path))
        #expect(a.map(\.bytes) == b.map(\.bytes))
        #expect(Array(a.map(\.path).prefix(4)) == ["pico-search/index.js", "pico-search/search.js", "pico-search/t-000.js", "pico-search/t-001.js"])
    }

    @Test func aLibraryIndexNamesItsBundles() throws {
        var builder = SearchIndexBuilder()
        builder.add(Self.page("blog/a.html", title: "Alpha", body: "text"), bundle: 1)
        builder.add(Self.page("docs/b.html", title: "Beta", body: "text"), bundle: 0)
        let files = builder.files(bundles: [("docs", "The docs"), ("blog", "A blog")])
        let index = try Self.argument(files[0].bytes, call: "index")
        #expect((index["bundles"] as? [[String]]) == [["docs", "The docs"], ["blog", "A blog"]])
        let docs = try Self.argument(files.last!.bytes, call: "docs")
        let list = try #require(docs["docs"] as? [[Any]])
        #expect(list.map { $0[0] as! String } == ["docs/b.html", "blog/a.html"])
        #expect(list.map { $0[2] as! Int } == [0, 1])
    }

    @Test func rawDeflateRoundTripsAndIsDeterministic() throws {
        let text = Array(String(repeating: "the same words again and again ", count: 200).utf8)
        let once = Deflate.compress(text), twice = Deflate.compress(text)
        #expect(once == twice)
        #expect(once.count < text.count / 10)
        #expect(Deflate.decompress(once) == text)
        #expect(Deflate.decompress(Array(once.dropLast(4))) == nil)
        // A zlib stream is the raw one with a header and an Adler-32.
        let zlib = Deflate.compress(text, format: .zlib)
        #expect(Array(zlib.dropFirst(2).dropLast(4)) == once)
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func storedTextIsCutAtAWordBoundary() {
        #expect(DocumentShards.stored(doc: "alpha beta gamma", chars: 8) == "alpha")
        #expect(DocumentShards.stored(doc: "alpha beta gamma", chars: 10) == "alpha beta")
        #expect(DocumentShards.stored(doc: "alpha beta", chars: 100) == "alpha beta")
        #expect(DocumentShards.stored(doc: "alpha", chars: 0) == "")
    }
}
