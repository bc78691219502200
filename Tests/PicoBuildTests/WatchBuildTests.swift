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

    @Test func changesOtherPagesShowAreBuiltWhole() throws {
        let folder = TemporaryFolder()
        let site = folder.write(Self.site(), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        // A title is shown in the lists and by the neighbours.
        try Self.edit(site, "content/notes/p6.md") { $0.replacingOccurrences(of: "title: Page 6", with: "title: Renamed") }
        #expect(try builder.build(after: ["content/notes/p6.md"]).rerendered.isEmpty)
        #expect(try String(contentsOf: output.appendingPathComponent("notes/index.html"), encoding: .utf8).contains("Renamed"))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // A template edit re-renders the pages that use it.
        try Self.edit(site, "templates/page.mustache") { $0.replacingOccurrences(of: "<h1>", with: "<h1 class=title>") }
        #expect(try builder.build(after: ["templates/page.mustache"]).rerendered.isEmpty)
        #expect(try String(contentsOf: output.appendingPathComponent("guides/p3/index.html"), encoding: .utf8).contains("<h1 class=title>"))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        // A new page joins its section; a deleted one leaves it (and its folder goes).
        folder.write(["content/guides/fresh.md": "---\ntitle: Fresh\ndate: 2025-01-01\n---\nNew.\n"], under: "site")
        _ = try builder.build(after: ["content/guides/fresh.md"])
        #expect(try String(contentsOf: output.appendingPathComponent("guides/index.html"), encoding: .utf8).contains("Fresh"))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
        try FileManager.default.removeItem(at: site.appendingPathComponent("content/guides/p7.md"))
        try FileManager.default.removeItem(at: site.appendingPathComponent("content/guides/p5.md"))
        // p5 linked to p7: fix the link so the build does not fail.
        try Self.edit(site, "content/guides/p3.md") { $0.replacingOccurrences(of: "/guides/p5/", with: "/guides/p9/") }
        _ = try builder.build(after: ["content/guides/p7.md", "content/guides/p5.md", "content/guides/p3.md"])
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("guides/p7/index.html").path))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
    }

    @Test func aTemporaryFileOfASaveIsIgnoredAndADeletedFileIsNot() throws {
        let folder = TemporaryFolder()
        var files = Self.site()
        files["static/notes.txt"] = "notes"
        let site = folder.write(files, under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
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
        let site = folder.write(Self.site(templates), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        try Self.edit(site, "content/notes/p2.md") { $0.replacingOccurrences(of: "## Part\n\nText of page 2", with: "## Part\n\nA new first paragraph of page 2") }
        #expect(try builder.build(after: ["content/notes/p2.md"]).rerendered.isEmpty)
        #expect(try String(contentsOf: output.appendingPathComponent("notes/index.html"), encoding: .utf8).contains("A new first paragraph"))
        try Self.expectFullBuildEquals(output, site: site, in: folder)
    }

    @Test func aSiteWithFeedsIsBuiltWholeForItsFeedsShowPagesText() throws {
        var templates = Self.safeTemplates
        templates["pico.toml"] = "title = \"Watch\"\nlanguage = \"en\"\n[feed]\nfull_content = true\n"
        let folder = TemporaryFolder()
        let site = folder.write(Self.site(templates), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        try Self.edit(site, "content/notes/p22.md") { $0.replacingOccurrences(of: "More words here.", with: "Fed words.") }
        #expect(try builder.build(after: ["content/notes/p22.md"]).rerendered.isEmpty)
        #expect(try String(contentsOf: output.appendingPathComponent("atom.xml"), encoding: .utf8).contains("Fed words."))
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
        let site = folder.write(Self.site(), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
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
