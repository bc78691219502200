import Foundation
@testable import PicoBuild
import PicoCore
import PicoFiles
import PicoTestSupport
import Synchronization
import Testing

/// `pico serve --watch` after pages came or went: only the files whose templates read something
/// that changed (the section's list, the neighbours, a count the page is in) are rendered again,
/// and the folder is byte for byte a fresh full build's (WatchBuildTests' generated site: 24
/// pages, notes even and guides odd, page N dated 2024-01-(N+1), linking to page N+2).
@Suite(.serialized) struct WatchPageSetTests {
    typealias Site = WatchBuildTests

    /// The pages made again but the built-in search page (made by pico, not by a template: it
    /// is made on every rebuild that plans again).
    static func templated(_ outcome: WatchBuilder.Outcome) -> [String] {
        outcome.rendered.filter { $0 != "search/index.html" }
    }

    @Test func aNewPageRendersItsSectionsListAndItsNeighbourAlone() throws {
        let folder = TemporaryFolder()
        let (site, output, builder) = try Site.watching(Site.site(), in: folder)
        // The newest guide: next to p23, the newest before it, at the end of the list.
        folder.write(["content/guides/fresh.md": "---\ntitle: Fresh\ndate: 2025-01-01\n---\nNew.\n"], under: "site")
        let fresh = try builder.build(after: ["content/guides/fresh.md"])
        #expect(fresh.plannedAgain && fresh.wholeBecause == nil)
        #expect(Self.templated(fresh) == ["guides/fresh/index.html", "guides/index.html", "guides/p23/index.html"])
        #expect(try String(contentsOf: output.appendingPathComponent("guides/p23/index.html"), encoding: .utf8).contains("Fresh"))
        try Site.expectFullBuildEquals(output, site: site, in: folder)

        // A deleted page: its section's list and its two neighbours (p9 also had its link to it
        // changed; p7, its other neighbour, shows only its title and URL, which did not).
        try FileManager.default.removeItem(at: site.appendingPathComponent("content/guides/p11.md"))
        try Site.edit(site, "content/guides/p9.md") { $0.replacingOccurrences(of: "/guides/p11/", with: "/guides/p13/") }
        let deleted = try builder.build(after: ["content/guides/p11.md", "content/guides/p9.md"])
        #expect(Self.templated(deleted) == ["guides/index.html", "guides/p13/index.html", "guides/p9/index.html"])
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("guides/p11").path))
        try Site.expectFullBuildEquals(output, site: site, in: folder)
    }

    /// A count shown on every page of a tag, and a list of every page: what reads them is
    /// rendered again, and a page that links to one that went is made again to report it.
    @Test func whatReadsACountOrEveryPageIsRenderedAgain() throws {
        var templates = Site.safeTemplates
        templates["templates/page.mustache"] = "<!doctype html><html><head><title>{{page.title}}</title></head><body>"
            + "{{#page.tags}}<span>{{name}} ({{count}})</span>{{/page.tags}}{{{page.content}}}</body></html>\n"
        templates["templates/section.mustache"] = "<!doctype html><html><head><title>{{page.title}}</title></head><body>"
            + "<p>{{#site.pages}}<a href=\"{{root}}{{url}}\">{{title}}</a>{{/site.pages}}</p></body></html>\n"
        let folder = TemporaryFolder()
        let (site, output, builder) = try Site.watching(Site.site(templates), in: folder)
        folder.write(["content/guides/fresh.md": "---\ntitle: Fresh\ndate: 2025-01-01\ntags: [t1]\n---\nNew.\n"], under: "site")
        let fresh = try builder.build(after: ["content/guides/fresh.md"])
        // Pages tagged t1 (N % 3 == 1) show its count; every list shows every page.
        let taggedT1 = stride(from: 1, to: 24, by: 3).map { "\($0 % 2 == 0 ? "notes" : "guides")/p\($0)/index.html" }
        #expect(Self.templated(fresh) == (taggedT1 + ["guides/fresh/index.html", "guides/index.html", "index.html", "notes/index.html"]).sorted())
        #expect(try String(contentsOf: output.appendingPathComponent("notes/p4/index.html"), encoding: .utf8).contains("t1 (9)"))
        try Site.expectFullBuildEquals(output, site: site, in: folder)

        // p3 links to p5: deleting p5 alone breaks that link, and the rebuild says so.
        try FileManager.default.removeItem(at: site.appendingPathComponent("content/guides/p5.md"))
        #expect(throws: (any Error).self) { try builder.build(after: ["content/guides/p5.md"]) }
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("guides/p5/index.html").path))
    }

    /// With the search index made in the background (`pico serve --watch`), a new page is served
    /// first and the index that holds its words is sealed in after; the folder then equals a
    /// fresh full build, and again after the page is deleted.
    @Test func aNewPagesSearchEntryIsSealedInAfterThePage() throws {
        let folder = TemporaryFolder()
        let site = folder.write(Site.site(), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        builder.indexesInBackground = true
        let told = Mutex<[String]>([])
        builder.indexed = { line in told.withLock { $0.append(line) } }
        _ = try builder.build(after: nil)
        func indexHolds(_ word: String) throws -> Bool {
            let root = output.appendingPathComponent("pico-search")
            return try FileTree.walk(root).contains { try String(contentsOf: root.appendingPathComponent($0.path), encoding: .utf8).contains(word) }
        }
        folder.write(["content/guides/fresh.md": "---\ntitle: Fresh\ndate: 2025-01-01\n---\nZygomorphic words.\n"], under: "site")
        let fresh = try builder.build(after: ["content/guides/fresh.md"])
        #expect(fresh.plannedAgain && fresh.rerendered.contains("guides/fresh/index.html"))
        builder.waitForIndex()
        #expect(told.withLock { $0 }.contains { $0.hasPrefix("search index sealed") }, "\(told.withLock { $0 })")
        #expect(try indexHolds("zygomorph"))
        try Site.expectFullBuildEquals(output, site: site, in: folder)
        try FileManager.default.removeItem(at: site.appendingPathComponent("content/guides/fresh.md"))
        _ = try builder.build(after: ["content/guides/fresh.md"])
        builder.waitForIndex()
        #expect(try !indexHolds("zygomorph"))
        try Site.expectFullBuildEquals(output, site: site, in: folder)
    }

    @Test func theNamesATemplateReadsArePathsOfItsTagsNames() {
        let names = TemplateTags.names(in: "{{page.title}} {{#site.pages}}{{{content}}}{{/site.pages}}{{> nav}}{{! a note}}{{uppercased(page.url)}}")
        #expect(names?.paths.children.keys.sorted() == ["content", "page", "site"])
        #expect(names?.paths.children["page"]?.children.keys.sorted() == ["title", "url"])
        #expect(names?.paths.children["site"]?.children["pages"]?.opened == true)
        #expect(names?.paths.children["content"]?.shown == true)
        #expect(names?.transforms == ["uppercased"])
        #expect(TemplateTags.names(in: "{{=<% %>=}}<%#tags%><%name%><%/tags%>")?.paths.children.keys.sorted() == ["name", "tags"])
        // The current value, read whole.
        #expect(TemplateTags.names(in: "{{#tags}}{{.}}{{/tags}}") == nil)
        #expect(TemplateTags.names(in: "{{#tags}}{{uppercased(.)}}{{/tags}}") == nil)
    }

    @Test func contextsCompareByTheValuesReadAndOnlyByThem() {
        let pages: [[String: Any]] = [["title": "A", "content": "one"], ["title": "B", "content": "two"]]
        let site: [String: Any] = ["title": "Site", "pages": pages]
        let context: [String: Any] = ["page": ["title": "A", "word_count": 3] as [String: Any], "pages": pages, "site": site]
        let template = "{{site.title}}: {{page.title}}<ul>{{#pages}}<li>{{title}}</li>{{/pages}}</ul>"
        let read = TemplateTags.names(in: template)
        var reading = ContextComparison(reading: read)
        func variant(page: [String: Any] = ["title": "A", "word_count": 3], pages: [[String: Any]] = pages, site: [String: Any] = site) -> [String: Any] {
            ["page": page, "pages": pages, "site": site]
        }
        // What is not read: a listed page's text, a word count, a key come or gone, and
        // `site.pages` (only `site.title` is read: `pages` is looked up in the context).
        let otherContent: [[String: Any]] = [["title": "A", "content": "ONE"], ["title": "B", "content": "two"]]
        let same1 = reading.same(variant(page: ["title": "A", "word_count": 9], pages: otherContent), context)
        #expect(same1)
        let same2 = reading.same(variant(page: ["title": "A"]), context)
        #expect(same2)
        let same3 = reading.same(variant(site: ["title": "Site", "pages": Array(pages.prefix(1))]), context)
        #expect(same3)
        var counting = ContextComparison(reading: TemplateTags.names(in: template + "{{count(page)}}"))
        let same4 = counting.same(variant(page: ["title": "A"]), context)
        #expect(!same4)
        // What is read: a title, a list's order or length, a read key come or gone, the site's title.
        let same5 = reading.same(variant(page: ["title": "Z", "word_count": 3]), context)
        #expect(!same5)
        let same6 = reading.same(variant(pages: Array(pages.reversed())), context)
        #expect(!same6)
        let same7 = reading.same(variant(pages: Array(pages.prefix(1))), context)
        #expect(!same7)
        let same8 = reading.same(variant(page: ["word_count": 3]), context)
        #expect(!same8)
        let same9 = reading.same(variant(pages: [["title": "A", "content": "one"], ["title": "C", "content": "two"]]), context)
        #expect(!same9)
        let same10 = reading.same(variant(site: ["title": "Other", "pages": pages]), context)
        #expect(!same10)
        // Reading every key: the content counts.
        var whole = ContextComparison(reading: nil)
        let same11 = whole.same(context, variant(pages: otherContent))
        #expect(!same11)
        let same12 = whole.same(context, context)
        #expect(same12)
    }
}
