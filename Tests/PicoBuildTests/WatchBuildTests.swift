import Foundation
@testable import PicoBuild
import PicoCore
import PicoFiles
import PicoTestSupport
import Synchronization
import Testing

/// `pico serve --watch`'s rebuilds (WatchBuilder): after each change the output folder is byte
/// for byte what a fresh `pico build` of the same tree makes, whether the change was rebuilt
/// page by page or whole.
@Suite(.serialized) struct WatchBuildTests {
    static let safeTemplates = [
        "pico.toml": "title = \"Watch\"\nlanguage = \"en\"\n",
        "templates/page.mustache": "<!doctype html><html><head><title>{{page.title}} · {{site.title}}</title><link rel=\"stylesheet\" href=\"{{root}}site.css\"></head>"
            + "<body><nav>{{#site.sections}}<a href=\"{{root}}{{url}}\">{{title}}</a>{{/site.sections}}</nav><h1>{{page.title}}</h1>{{{page.content}}}"
            + "{{#page.newer}}<a href=\"{{root}}{{url}}\">{{title}}</a>{{/page.newer}}{{#page.older}}<a href=\"{{root}}{{url}}\">{{title}}</a>{{/page.older}}</body></html>\n",
        "templates/section.mustache": "<!doctype html><html><head><title>{{page.title}}</title></head><body><ul>{{#pages}}<li><a href=\"{{root}}{{url}}\">{{title}}</a> {{date}}</li>{{/pages}}</ul></body></html>\n",
        "static/site.css": "body{margin:0}",
        "content/_index.md": "# Home\n",
    ]

    /// A generated site: pages in two sections, linking to each other.
    static func site(_ templates: [String: String] = safeTemplates, pages: Int = 24) -> [String: String] {
        var files = templates
        for number in 0..<pages {
            let section = number % 2 == 0 ? "notes" : "guides"
            files["content/\(section)/p\(number).md"] = "---\ntitle: Page \(number)\ndate: 2024-01-\(String(format: "%02d", number % 28 + 1))\ntags: [t\(number % 3)]\n---\n"
                + "## Part\n\nText of page \(number), see [the next](/\(section)/p\((number + 2) % pages)/).\n\nMore words here.\n"
        }
        return files
    }

    /// `files` written under `folder` and built once by a WatchBuilder, as `pico serve --watch` starts.
    static func watching(_ files: [String: String], in folder: TemporaryFolder) throws -> (site: URL, output: URL, builder: WatchBuilder) {
        let site = folder.write(files, under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        return (site, output, builder)
    }

    /// Every file of two folders, compared byte for byte.
    static func expectSameFiles(_ a: URL, _ b: URL, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let left = try FileTree.walk(a).map(\.path), right = try FileTree.walk(b).map(\.path)
        #expect(left == right, sourceLocation: sourceLocation)
        for path in left where right.contains(path) {
            let x = try Data(contentsOf: a.appendingPathComponent(path)), y = try Data(contentsOf: b.appendingPathComponent(path))
            #expect(x == y, "\(path) differs", sourceLocation: sourceLocation)
        }
    }

    /// A fresh full build of `site` compared with `output`.
    static func expectFullBuildEquals(_ output: URL, site: URL, in folder: TemporaryFolder,
                                      sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let fresh = folder.path("fresh-\(UUID().uuidString)")
        _ = try BundleBuilder(.init(input: site, output: fresh)).build()
        try expectSameFiles(output, fresh, sourceLocation: sourceLocation)
    }

    static func edit(_ site: URL, _ path: String, _ change: (String) -> String) throws {
        let file = site.appendingPathComponent(path)
        try change(try String(contentsOf: file, encoding: .utf8)).write(to: file, atomically: false, encoding: .utf8)
    }

    @Test func anEditOfAPagesTextReRendersThatPageAloneAndEqualsAFullBuild() throws {
        let folder = TemporaryFolder()
        let site = folder.write(Self.site(), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        let first = try builder.build(after: nil)
        #expect(first.rerendered.isEmpty)
        try Self.edit(site, "content/notes/p4.md") { $0.replacingOccurrences(of: "More words here.", with: "Changed words, **now**.") }
        let second = try builder.build(after: ["content/notes/p4.md"])
        #expect(second.rerendered == ["notes/p4/index.html"])
        #expect(second.changed?.contains("notes/p4/index.html") == true)
        #expect(second.manifest.id != first.manifest.id)
        #expect(try String(contentsOf: output.appendingPathComponent("notes/p4/index.html"), encoding: .utf8).contains("Changed words, <strong>now</strong>."))
        // Re-sealed: the manifest on disk is the new one, and the bundle verifies.
        let described = try DescribedBundle(folder: output.path)
        #expect(described.manifest.id == second.manifest.id)
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // Twice in a row, and two pages at once.
        try Self.edit(site, "content/notes/p4.md") { $0 + "\nA last line.\n" }
        try Self.edit(site, "content/guides/p5.md") { $0 + "\nAnother.\n" }
        let third = try builder.build(after: ["content/notes/p4.md", "content/guides/p5.md"])
        #expect(third.rerendered.sorted() == ["guides/p5/index.html", "notes/p4/index.html"])
        try Self.expectFullBuildEquals(output, site: site, in: folder)
    }

    /// Changes that other pages show (a title), a template edit, a new page and deleted pages:
    /// planned again from the kept pages, not built whole, and each time the folder is byte for
    /// byte a fresh full build's.
    @Test func changesOtherPagesShowArePlannedAgainAndEqualAFullBuild() throws {
        let folder = TemporaryFolder()
        let (site, output, builder) = try Self.watching(Self.site(), in: folder)
        // A title is shown in the lists and by the neighbours.
        try Self.edit(site, "content/notes/p6.md") { $0.replacingOccurrences(of: "title: Page 6", with: "title: Renamed") }
        let renamed = try builder.build(after: ["content/notes/p6.md"])
        #expect(renamed.plannedAgain && renamed.wholeBecause == nil)
        // The page, its section's list and its neighbours (p4 and p8 link to it by title).
        #expect(Set(renamed.rerendered).isSuperset(of: ["notes/p6/index.html", "notes/index.html", "notes/p4/index.html", "notes/p8/index.html"]))
        #expect(!renamed.rerendered.contains("guides/p3/index.html"))
        #expect(try String(contentsOf: output.appendingPathComponent("notes/index.html"), encoding: .utf8).contains("Renamed"))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // A template edit re-renders the pages that use it (and only those change).
        try Self.edit(site, "templates/page.mustache") { $0.replacingOccurrences(of: "<h1>", with: "<h1 class=title>") }
        let template = try builder.build(after: ["templates/page.mustache"])
        #expect(template.plannedAgain && template.wholeBecause == nil)
        #expect(template.rerendered.count == 24 && !template.rerendered.contains("notes/index.html"))
        #expect(try String(contentsOf: output.appendingPathComponent("guides/p3/index.html"), encoding: .utf8).contains("<h1 class=title>"))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // An edit of the text after them is re-rendered alone again, with the new template.
        try Self.edit(site, "content/notes/p4.md") { $0.replacingOccurrences(of: "More words here.", with: "Later words.") }
        #expect(try builder.build(after: ["content/notes/p4.md"]).rerendered == ["notes/p4/index.html"])
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // A new page joins its section.
        folder.write(["content/guides/fresh.md": "---\ntitle: Fresh\ndate: 2025-01-01\n---\nNew.\n"], under: "site")
        let fresh = try builder.build(after: ["content/guides/fresh.md"])
        #expect(fresh.plannedAgain && fresh.rerendered.contains("guides/fresh/index.html"))
        #expect(try String(contentsOf: output.appendingPathComponent("guides/index.html"), encoding: .utf8).contains("Fresh"))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // Deleted ones leave it, and their folders go.
        try FileManager.default.removeItem(at: site.appendingPathComponent("content/guides/p7.md"))
        try FileManager.default.removeItem(at: site.appendingPathComponent("content/guides/p5.md"))
        // p5 linked to p7: fix the link so the build does not fail.
        try Self.edit(site, "content/guides/p3.md") { $0.replacingOccurrences(of: "/guides/p5/", with: "/guides/p9/") }
        let deleted = try builder.build(after: ["content/guides/p7.md", "content/guides/p5.md", "content/guides/p3.md"])
        #expect(deleted.plannedAgain && deleted.changed?.contains("guides/p7/index.html") == true)
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("guides/p7").path))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // A deleted page that another still links to: the full build reports it, the last bundle stays.
        try FileManager.default.removeItem(at: site.appendingPathComponent("content/guides/p9.md"))
        #expect(throws: (any Error).self) { try builder.build(after: ["content/guides/p9.md"]) }
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("guides/p9/index.html").path))
    }

    @Test func aTemporaryFileOfASaveIsIgnoredAndADeletedFileIsNot() throws {
        let folder = TemporaryFolder()
        var files = Self.site()
        files["static/notes.txt"] = "notes"
        let (site, output, builder) = try Self.watching(files, in: folder)
        // `sed -i` writes content/notes/sedAbc12 and renames it over the page.
        try Self.edit(site, "content/notes/p4.md") { $0 + "\nSed was here.\n" }
        #expect(try builder.build(after: ["content/notes/p4.md", "content/notes/sedAbc12"]).rerendered == ["notes/p4/index.html"])
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // A file of the site that is gone is no temporary file: built whole, and gone from the output.
        try FileManager.default.removeItem(at: site.appendingPathComponent("static/notes.txt"))
        try Self.edit(site, "content/notes/p4.md") { $0 + "\nAnd again.\n" }
        #expect(try builder.build(after: ["content/notes/p4.md", "static/notes.txt"]).rerendered.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("notes.txt").path))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
    }

    @Test func aTemplateThatShowsOtherPagesTextIsNeverRenderedPageByPage() throws {
        var templates = Self.safeTemplates
        templates["templates/section.mustache"] = "<!doctype html><html><head><title>{{page.title}}</title></head><body>{{#pages}}<article>{{{summary}}} ({{reading_time}} min)</article>{{/pages}}</body></html>\n"
        let folder = TemporaryFolder()
        let (site, output, builder) = try Self.watching(Self.site(templates), in: folder)
        try Self.edit(site, "content/notes/p2.md") { $0.replacingOccurrences(of: "## Part\n\nText of page 2", with: "## Part\n\nA new first paragraph of page 2") }
        let outcome = try builder.build(after: ["content/notes/p2.md"])
        #expect(outcome.plannedAgain && outcome.rerendered.contains("notes/index.html"))
        #expect(try String(contentsOf: output.appendingPathComponent("notes/index.html"), encoding: .utf8).contains("A new first paragraph"))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
    }

    @Test func aSiteWithFeedsIsPlannedAgainForItsFeedsShowPagesText() throws {
        var templates = Self.safeTemplates
        templates["pico.toml"] = "title = \"Watch\"\nlanguage = \"en\"\n[feed]\nfull_content = true\n"
        let folder = TemporaryFolder()
        let (site, output, builder) = try Self.watching(Self.site(templates), in: folder)
        try Self.edit(site, "content/notes/p22.md") { $0.replacingOccurrences(of: "More words here.", with: "Fed words.") }
        let outcome = try builder.build(after: ["content/notes/p22.md"])
        #expect(outcome.plannedAgain && outcome.changed?.contains("atom.xml") == true)
        #expect(try String(contentsOf: output.appendingPathComponent("atom.xml"), encoding: .utf8).contains("Fed words."))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
    }

    /// With `[images] widths`, a re-rendered page's Markdown images keep their `srcset` (the
    /// full build's image step is done to the page again).
    @Test func anEditOfAPageWithResizedImagesKeepsItsSourceSets() throws {
        var files = Self.site()
        files["pico.toml"] = "title = \"Watch\"\nlanguage = \"en\"\n[images]\nwidths = [300, 600]\n"
        files["content/notes/p4.md"] = files["content/notes/p4.md"]!.replacingOccurrences(of: "More words here.", with: "![Wide](/img/wide.png)\n\nMore words here.")
        let folder = TemporaryFolder()
        let site = folder.write(files, under: "site")
        try FileManager.default.createDirectory(at: site.appendingPathComponent("static/img"), withIntermediateDirectories: true)
        try ResizedImageTests.png.write(to: site.appendingPathComponent("static/img/wide.png"))
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        let page = output.appendingPathComponent("notes/p4/index.html")
        #expect(try String(contentsOf: page, encoding: .utf8).contains("wide-300w.png 300w"))
        try Self.edit(site, "content/notes/p4.md") { $0.replacingOccurrences(of: "More words here.", with: "Other words here.") }
        #expect(try builder.build(after: ["content/notes/p4.md"]).rerendered == ["notes/p4/index.html"])
        let text = try String(contentsOf: page, encoding: .utf8)
        #expect(text.contains("Other words here."))
        #expect(text.contains("wide-300w.png 300w"))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
    }

    /// With the search index (on by default), the edited page is served first and the index,
    /// made again on another thread from the kept entries, is sealed in after: the folder then
    /// equals a fresh full build, the index holding the new text.
    @Test func theSearchIndexOfAnEditIsMadeInTheBackgroundAndEndsAsAFullBuild() throws {
        let folder = TemporaryFolder()
        let site = folder.write(Self.site(), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        builder.indexesInBackground = true
        let told = Mutex<[String]>([])
        builder.indexed = { line in told.withLock { $0.append(line) } }
        _ = try builder.build(after: nil)
        func index() throws -> [String: Data] {
            let root = output.appendingPathComponent("pico-search")
            return try Dictionary(uniqueKeysWithValues: FileTree.walk(root).map { ($0.path, try Data(contentsOf: root.appendingPathComponent($0.path))) })
        }
        let before = try index()
        #expect(before.keys.contains("index.js"))
        try Self.edit(site, "content/notes/p4.md") { $0.replacingOccurrences(of: "More words here.", with: "Quixotic zebras.") }
        #expect(try builder.build(after: ["content/notes/p4.md"]).rerendered == ["notes/p4/index.html"])
        builder.waitForIndex()
        #expect(told.withLock { $0 }.contains { $0.hasPrefix("search index sealed") }, "\(told.withLock { $0 })")
        #expect(try index() != before)
        #expect(try DescribedBundle(folder: output.path).manifest.files.contains { $0.path.hasPrefix("pico-search/t-") })
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // Two edits in a row: the first one's index is left for the second's.
        try Self.edit(site, "content/notes/p4.md") { $0 + "\nFirst.\n" }
        _ = try builder.build(after: ["content/notes/p4.md"])
        try Self.edit(site, "content/guides/p5.md") { $0 + "\nSecond.\n" }
        _ = try builder.build(after: ["content/guides/p5.md"])
        builder.waitForIndex()
        try Self.expectFullBuildEquals(output, site: site, in: folder)
    }

    @Test func theTemplateRuleSeesListsPartialsAndBlocks() {
        #expect(TemplateReads.isSafe("{{page.title}}{{{page.content}}}{{#pages}}{{title}} {{url}}{{/pages}}{{#page.older}}{{title}}{{/page.older}}"))
        #expect(TemplateReads.isSafe("{{#site.sections}}{{title}}{{#pages}}{{date}}{{/pages}}{{/site.sections}}{{#page.toc}}{{title}}{{/page.toc}}"))
        #expect(!TemplateReads.isSafe("{{#pages}}{{{content}}}{{/pages}}"))
        #expect(!TemplateReads.isSafe("{{#site}}{{#pages}}{{summary}}{{/pages}}{{/site}}"))
        #expect(!TemplateReads.isSafe("{{#page.newer}}{{word_count}}{{/page.newer}}"))
        #expect(!TemplateReads.isSafe("{{#pages}}{{>card}}{{/pages}}"))
        #expect(!TemplateReads.isSafe("{{#pages}}{{.}}{{/pages}}"))
        #expect(!TemplateReads.isSafe("{{site.pages}}"))
        #expect(!TemplateReads.isSafe("{{#paginator}}{{#pages}}{{title}}{{/pages}}{{/paginator}}"))
        #expect(!TemplateReads.isSafe("{{$main}}{{content}}{{/main}}"))
        #expect(!TemplateReads.isSafe("{{=<% %>=}}<%#pages%><%summary%><%/pages%>"))
    }

    /// The watch loop as `pico serve --watch` runs it: the kernel's events, the rebuild, the
    /// folder served. An in-place write and an editor's save by rename both reach the output.
    @Test func theWatcherRebuildsAnEditedPageAndTheOutputEqualsAFullBuild() throws {
        let folder = TemporaryFolder()
        let (site, output, builder) = try Self.watching(Self.site(), in: folder)
        let watcher = try SiteWatcher(site: site, output: output)
        let outcomes = Mutex<[WatchBuilder.Outcome]>([])
        let finished = Mutex(false)
        Thread.detachNewThread {
            try? watcher.run { changes in
                if let outcome = try? builder.build(after: changes) { outcomes.withLock { $0.append(outcome) } }
            }
            finished.withLock { $0 = true }
        }
        defer {
            watcher.stop()
            for _ in 0..<100 where !finished.withLock({ $0 }) { usleep(20_000) }
        }
        func waitFor(_ text: String, in path: String) -> Bool {
            for _ in 0..<200 {
                if (try? String(contentsOf: output.appendingPathComponent(path), encoding: .utf8))?.contains(text) == true { return true }
                usleep(25_000)
            }
            return false
        }
        try Self.edit(site, "content/notes/p8.md") { $0.replacingOccurrences(of: "More words here.", with: "Written in place.") }
        #expect(waitFor("Written in place.", in: "notes/p8/index.html"))
        // Save by rename: a new file written beside it, renamed over it.
        let temporary = site.appendingPathComponent("content/notes/.p8.md.swp")
        try (try String(contentsOf: site.appendingPathComponent("content/notes/p8.md"), encoding: .utf8))
            .replacingOccurrences(of: "Written in place.", with: "Saved by rename.").write(to: temporary, atomically: false, encoding: .utf8)
        #expect(rename(temporary.path, site.appendingPathComponent("content/notes/p8.md").path) == 0)
        #expect(waitFor("Saved by rename.", in: "notes/p8/index.html"))
        // Wait for the seal to land as well (the manifest comes after the page).
        for _ in 0..<100 where (try? DescribedBundle(folder: output.path))?.manifest.id != outcomes.withLock({ $0.last?.manifest.id }) { usleep(20_000) }
        #expect(outcomes.withLock { $0.allSatisfy { $0.rerendered == ["notes/p8/index.html"] } })
        try Self.expectFullBuildEquals(output, site: site, in: folder)
    }
}
