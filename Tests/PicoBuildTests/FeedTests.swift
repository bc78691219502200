import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// `[feed]` and `base_url` (issue 18 point 2): Atom feeds per site, section and tag, read back by
/// Python's feedparser (the test venv) as a reader would, with every link leading to a file of
/// the bundle; `sitemap.xml` only with `base_url`.
@Suite struct FeedTests {
    static let templates = [
        "templates/page.mustache": "<!doctype html><html><head><title>{{page.title}}</title>{{#site.feed_url}}<link rel=\"alternate\" type=\"application/atom+xml\" href=\"{{root}}{{site.feed_url}}\">{{/site.feed_url}}</head><body>{{{page.content}}}</body></html>",
        "templates/section.mustache": "<!doctype html><html><head><title>{{page.title}}</title>{{#page.feed_url}}<link rel=\"alternate\" type=\"application/atom+xml\" href=\"{{root}}{{page.feed_url}}\">{{/page.feed_url}}</head><body>{{#pages}}<a href=\"{{root}}{{url}}\">{{title}}</a>{{/pages}}</body></html>",
        "templates/tag.mustache": "<!doctype html><html><head><title>{{tag.name}}</title>{{#page.feed_url}}<link rel=\"alternate\" type=\"application/atom+xml\" href=\"{{root}}{{page.feed_url}}\">{{/page.feed_url}}</head><body>{{#pages}}<a href=\"{{root}}{{url}}\">{{title}}</a>{{/pages}}</body></html>",
    ]

    static func posts(_ config: String) -> [String: String] {
        var files = templates
        files["pico.toml"] = config
        files["content/_index.md"] = "---\ntitle: Home\n---\nHi.\n"
        files["content/posts/_index.md"] = "---\ntitle: Posts\n---\n"
        files["content/posts/first.md"] = "---\ntitle: First & best\ndate: 2024-01-02\ntags: [swift]\n---\nThe first, with ![a picture](pic.png).\n\nMore text.\n"
        files["content/posts/second.md"] = "---\ntitle: Second\ndate: 2024-02-03T10:30:00Z\ntags: [swift, web]\n---\nThe second, after [the first](/posts/first/).\n"
        files["content/posts/third.md"] = "---\ntitle: Third\ndate: 2024-03-04 08:00\n---\nThe third.\n"
        files["content/posts/deep/fourth.md"] = "---\ntitle: Fourth\ndate: 2024-04-05\n---\nThe fourth, one level down.\n"
        files["content/posts/undated.md"] = "---\ntitle: Undated\n---\nNo date, so in no feed.\n"
        files["content/about.md"] = "---\ntitle: About\n---\nAbout.\n"
        files["static/posts/first/pic.png"] = "PNG"
        return files
    }

    struct Feed: Decodable {
        struct Entry: Decodable {
            var title: String, link: String, id: String, updated: String, summary: String, content: String, tags: [String]
        }
        var bozo: Bool, bozo_exception: String, version: String, title: String, updated: String, id: String
        var links: [String], entries: [Entry], missing: [String]
    }

    static func read(_ feed: String, in bundle: URL, baseURL: String? = nil) throws -> Feed {
        var arguments = [TestEnvironment.repository.appendingPathComponent("Tests/tools/feed_check.py").path, bundle.path, feed]
        if let baseURL { arguments += ["--base-url", baseURL] }
        let run = try TestEnvironment.run(TestEnvironment.venvPython, arguments)
        try #require(run.status == 0, "feed_check.py: \(run.stderr)")
        return try JSONDecoder().decode(Feed.self, from: Data(run.stdout.utf8))
    }

    static func build(_ files: [String: String], in folder: TemporaryFolder, name: String = "site", epoch: Int? = nil) throws -> URL {
        var options = BundleBuilder.Options(input: folder.write(files, under: name), output: folder.path(name + "-out"))
        options.sourceDateEpoch = epoch
        return try BundleBuilder(options).build().output
    }

    @Test func theSiteFeedHoldsTheNewestDatedPagesWithLinksRelativeToItself() throws {
        let folder = TemporaryFolder()
        let out = try Self.build(Self.posts("title = \"Feeds\"\nauthor = \"Ann\"\n[feed]\nlimit = 3\n"), in: folder)
        let feed = try Self.read("atom.xml", in: out)
        #expect(!feed.bozo, "\(feed.bozo_exception)")
        #expect(feed.version == "atom10")
        #expect(feed.title == "Feeds")
        // Newest first, the limit kept, the undated page left out.
        #expect(feed.entries.map(\.title) == ["Fourth", "Third", "Second"])
        #expect(feed.updated == "2024-04-05T00:00:00Z")
        #expect(feed.entries.map(\.updated) == ["2024-04-05T00:00:00Z", "2024-03-04T08:00:00Z", "2024-02-03T10:30:00Z"])
        #expect(feed.entries[2].tags == ["swift", "web"])
        #expect(feed.missing.isEmpty, "\(feed.missing)")
        #expect(feed.entries[0].link.hasSuffix("/site-out/posts/deep/fourth/index.html"), "\(feed.entries[0].link)")
        #expect(Set(feed.entries.map(\.id)).count == 3 && feed.entries.allSatisfy { $0.id.hasPrefix("urn:uuid:") })
        #expect(feed.entries[0].summary.contains("The fourth, one level down."))
        // A root-absolute link of the page is made relative to it, so it holds under any sub-path.
        #expect(feed.entries[2].summary.contains("/site-out/posts/first/\""),
                "\(feed.entries[2].summary)")
        // As written: relative to the feed's own URL.
        let xml = try String(contentsOf: out.appendingPathComponent("atom.xml"), encoding: .utf8)
        #expect(xml.contains(#"<link rel="alternate" type="text/html" href="posts/deep/fourth/index.html"/>"#))
        #expect(xml.contains(#"<link rel="self" type="application/atom+xml" href="atom.xml"/>"#))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("sitemap.xml").path))

        // The section's feed holds the pages below it too; its links are relative to posts/atom.xml.
        let section = try Self.read("posts/atom.xml", in: out)
        #expect(!section.bozo && section.missing.isEmpty, "\(section.bozo_exception) \(section.missing)")
        #expect(section.entries.map(\.title) == ["Fourth", "Third", "Second"])
        let sectionXML = try String(contentsOf: out.appendingPathComponent("posts/atom.xml"), encoding: .utf8)
        #expect(sectionXML.contains(#"href="deep/fourth/index.html""#))

        // A tag's feed; the entry's summary keeps its HTML, and its picture resolves against the page.
        let tag = try Self.read("tags/swift/atom.xml", in: out)
        #expect(!tag.bozo && tag.missing.isEmpty, "\(tag.bozo_exception) \(tag.missing)")
        #expect(tag.entries.map(\.title) == ["Second", "First & best"])
        #expect(tag.entries[1].summary.contains("/site-out/posts/first/pic.png"), "\(tag.entries[1].summary)")

        // The pages link their feeds, and the links hold from file://.
        let home = try String(contentsOf: out.appendingPathComponent("about/index.html"), encoding: .utf8)
        #expect(home.contains(#"<link rel="alternate" type="application/atom+xml" href="../atom.xml">"#))
        let posts = try String(contentsOf: out.appendingPathComponent("posts/index.html"), encoding: .utf8)
        #expect(posts.contains(#"href="../posts/atom.xml""#))
        let swift = try String(contentsOf: out.appendingPathComponent("tags/swift/index.html"), encoding: .utf8)
        #expect(swift.contains(#"href="../../tags/swift/atom.xml""#))
        #expect(BundleVerifier().verify(folder: out).isValid)
    }

    @Test func fullContentPutsTheWholePageInEachEntry() throws {
        let folder = TemporaryFolder()
        let out = try Self.build(Self.posts("title = \"Feeds\"\n[feed]\nfull_content = true\n"), in: folder)
        let feed = try Self.read("atom.xml", in: out)
        #expect(!feed.bozo, "\(feed.bozo_exception)")
        #expect(feed.entries.map(\.title) == ["Fourth", "Third", "Second", "First & best"])
        let first = try #require(feed.entries.last)
        #expect(first.content.contains("More text."), "\(first.content)")
        #expect(first.summary.contains("More text."))
    }

    @Test func withABaseURLFeedsAndTheSitemapAreAbsolute() throws {
        let folder = TemporaryFolder()
        let base = "https://example.com/blog/"
        let out = try Self.build(Self.posts("title = \"Feeds\"\nbase_url = \"https://example.com/blog\"\n[feed]\n"), in: folder)
        let feed = try Self.read("atom.xml", in: out, baseURL: base)
        #expect(!feed.bozo, "\(feed.bozo_exception)")
        #expect(feed.entries.first?.link == base + "posts/deep/fourth/")
        #expect(feed.entries.first?.id == base + "posts/deep/fourth/")
        #expect(feed.links.contains(base + "atom.xml"))
        #expect(feed.missing.isEmpty, "\(feed.missing)")
        let sitemap = try String(contentsOf: out.appendingPathComponent("sitemap.xml"), encoding: .utf8)
        #expect(sitemap.contains("<loc>https://example.com/blog/</loc>"))
        #expect(sitemap.contains("<url><loc>https://example.com/blog/posts/first/</loc><lastmod>2024-01-02T00:00:00Z</lastmod></url>"))
        #expect(sitemap.contains("<loc>https://example.com/blog/tags/swift/</loc>"))
        #expect(sitemap.contains("<loc>https://example.com/blog/about/</loc>"))
        // Every URL of the sitemap is a page of the bundle.
        let locs = sitemap.components(separatedBy: "<loc>").dropFirst().map { row in String(row.prefix { $0 != "<" }) }
        #expect(locs.count == 11, "\(locs)")
        for loc in locs {
            let path = String(loc.dropFirst(base.count)) + "index.html"
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(path).path), "\(loc)")
        }
    }

    @Test func feedsDependOnThePagesNotOnTheClock() throws {
        let folder = TemporaryFolder()
        let files = Self.posts("title = \"Feeds\"\n[feed]\n")
        let a = try Self.build(files, in: folder, name: "a", epoch: 1_000_000_000)
        let b = try Self.build(files, in: folder, name: "b", epoch: 1_700_000_000)
        for feed in ["atom.xml", "posts/atom.xml", "tags/swift/atom.xml", "tags/web/atom.xml"] {
            let first = try Data(contentsOf: a.appendingPathComponent(feed))
            let second = try Data(contentsOf: b.appendingPathComponent(feed))
            #expect(first == second, "\(feed)")
        }
    }

    @Test func noFeedTableNoFeedAndEnabledFalseTurnsThemOff() throws {
        let folder = TemporaryFolder()
        for (name, config) in [("none", "title = \"F\"\n"), ("off", "title = \"F\"\n[feed]\nenabled = false\n")] {
            let out = try Self.build(Self.posts(config), in: folder, name: name)
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("atom.xml").path), "\(name)")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("posts/atom.xml").path), "\(name)")
            let about = try String(contentsOf: out.appendingPathComponent("about/index.html"), encoding: .utf8)
            #expect(!about.contains("atom"))
        }
    }

    @Test func wrongFeedSettingsArePlacedInPicoToml() throws {
        let cases: [(String, String, Int, Int)] = [
            ("title = \"F\"\n[feed]\nlimit = 0\n", "`limit` must be a whole number", 3, 9),
            ("title = \"F\"\n[feed]\nfull_content = \"yes\"\n", "`full_content` must be true or false", 3, 16),
            ("title = \"F\"\nbase_url = \"example.com\"\n", "`base_url` must be an http:// or https:// address", 2, 12),
            ("title = \"F\"\nfeed = 3\n", "`feed` must be a table", 2, 8),
        ]
        for (config, message, line, column) in cases {
            let errors = try errorsOfBuilding(Self.posts(config))
            let error = try #require(errors.first, "\(config)")
            #expect(error.message.contains(message), "\(error.message)")
            #expect(error.location == SourceLocation(file: "pico.toml", line: line, column: column), "\(error.location)")
        }
    }

    @Test func aFileOfTheSiteWhereAFeedGoesIsRefusedNamingTheFeed() throws {
        var files = Self.posts("title = \"F\"\nbase_url = \"https://example.com/\"\n[feed]\n")
        files["static/atom.xml"] = "<feed/>"
        files["static/sitemap.xml"] = "<urlset/>"
        let errors = try errorsOfBuilding(files)
        #expect(errors.contains { $0.message.contains("writes /atom.xml") && ($0.message + $0.location.file).contains("pico.toml [feed]") }, "\(errors)")
        #expect(errors.contains { $0.message.contains("writes /sitemap.xml") && ($0.message + $0.location.file).contains("pico.toml base_url") }, "\(errors)")
    }

    @Test func theStarterBlogAndDocsLinkTheirFeeds() throws {
        let folder = TemporaryFolder()
        for starter in [StarterTemplate.blog, .docs] {
            var files: [String: String] = [:]
            for file in starter.embeddedFiles { files[file.path] = file.text }
            let out = try Self.build(files, in: folder, name: starter.rawValue)
            let home = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
            #expect(home.contains(#"<link rel="alternate" type="application/atom+xml""#), "\(starter)")
            #expect(home.contains(#"href="./atom.xml""#), "\(starter)")
            let feed = try Self.read("atom.xml", in: out)
            #expect(!feed.bozo && feed.missing.isEmpty && !feed.entries.isEmpty, "\(starter): \(feed.bozo_exception) \(feed.missing)")
        }
    }
}
