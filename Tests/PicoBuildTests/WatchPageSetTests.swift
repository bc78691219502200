import Foundation
@testable import PicoBuild
import PicoCore
import PicoFiles
import PicoTestSupport
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
        let site = folder.write(Site.site(), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        // The newest guide: next to p23, the newest before it, at the end of the list.
        folder.write(["content/guides/fresh.md": "---\ntitle: Fresh\ndate: 2025-01-01\n---\nNew.\n"], under: "site")
        let fresh = try builder.build(after: ["content/guides/fresh.md"])
        #expect(fresh.plannedAgain && fresh.wholeBecause == nil)
        #expect(Self.templated(fresh) == ["guides/fresh/index.html", "guides/index.html", "guides/p23/index.html"])
        #expect(try String(contentsOf: output.appendingPathComponent("guides/p23/index.html"), encoding: .utf8).contains("Fresh"))
        try Site.expectFullBuildEquals(output, site: site, in: folder)

        // A deleted page: its section's list and its two neighbours (p9 also had its link to it
        // changed), and p7, p9's other neighbour: the template shows only a neighbour's title,
        // but it names `content` (the page's own), so p9's new text counts for p7 too.
        try FileManager.default.removeItem(at: site.appendingPathComponent("content/guides/p11.md"))
        try Site.edit(site, "content/guides/p9.md") { $0.replacingOccurrences(of: "/guides/p11/", with: "/guides/p13/") }
        let deleted = try builder.build(after: ["content/guides/p11.md", "content/guides/p9.md"])
        #expect(Self.templated(deleted) == ["guides/index.html", "guides/p13/index.html", "guides/p7/index.html", "guides/p9/index.html"])
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
        let site = folder.write(Site.site(templates), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
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

    @Test func theNamesATemplateReadsAreEveryPartOfItsTagsNames() {
        let names = TemplateTags.names(in: "{{page.title}} {{#site.pages}}{{{content}}}{{/site.pages}}{{> nav}}{{! a note}}{{uppercased(page.url)}}")
        #expect(names?.keys == ["page", "title", "site", "pages", "content", "url"])
        #expect(names?.transforms == ["uppercased"])
        #expect(TemplateTags.names(in: "{{=<% %>=}}<%#tags%><%name%><%/tags%>")?.keys == ["tags", "name"])
        // The current value, read whole.
        #expect(TemplateTags.names(in: "{{#tags}}{{.}}{{/tags}}") == nil)
        #expect(TemplateTags.names(in: "{{#tags}}{{uppercased(.)}}{{/tags}}") == nil)
        #expect(TemplateTags.names(in: "{{.title}}") == nil)
    }

    @Test func aFingerprintChangesWithTheValuesReadAndOnlyWithThem() {
        let pages: [[String: Any]] = [["title": "A", "content": "one"], ["title": "B", "content": "two"]]
        let context: [String: Any] = ["page": ["title": "A", "word_count": 3], "pages": pages]
        let read = TemplateNames(keys: ["page", "pages", "title"])
        var reading = ContextFingerprints(reading: read)
        let base = reading.of(context)
        // An unread key's value: the same.
        let otherContent: [[String: Any]] = [["title": "A", "content": "ONE"], ["title": "B", "content": "two"]]
        #expect(reading.of(["page": ["title": "A", "word_count": 9], "pages": otherContent]) == base)
        // A key that is not read, come or gone: the same unless the template counts a dictionary.
        #expect(reading.of(["page": ["title": "A"], "pages": pages]) == base)
        var counting = ContextFingerprints(reading: TemplateNames(keys: read.keys, transforms: ["count"]))
        #expect(counting.of(["page": ["title": "A"], "pages": pages]) != counting.of(context))
        // A read value, a list's order or length: not the same.
        var fresh = ContextFingerprints(reading: read)
        #expect(fresh.of(["page": ["title": "Z", "word_count": 3], "pages": pages]) != base)
        #expect(fresh.of(["page": ["title": "A", "word_count": 3], "pages": Array(pages.reversed())]) != base)
        #expect(fresh.of(["page": ["title": "A", "word_count": 3], "pages": Array(pages.prefix(1))]) != base)
        // Reading every key: the content counts.
        var whole = ContextFingerprints(reading: nil)
        #expect(whole.of(context) != whole.of(["page": ["title": "A", "word_count": 3], "pages": otherContent]))
    }
}
