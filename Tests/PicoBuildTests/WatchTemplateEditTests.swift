import Foundation
@testable import PicoBuild
import PicoCore
import PicoFiles
import PicoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `pico serve --watch` after an edit of templates alone (issue 18 point 7): only the pages
/// whose templates reach an edited one (their own, and the partials and parents it names,
/// transitively) are rendered again; the others are kept as they are. A template that came or
/// went, or a partial named by a value, makes every page again. Each time the output folder is
/// byte for byte a fresh full build's.
@Suite(.serialized) struct WatchTemplateEditTests {
    static let posts = (0..<6).map { "posts/p\($0)/index.html" }
    static let docs = (0..<4).map { "docs/d\($0)/index.html" }
    static let lists = ["docs/index.html", "index.html", "posts/index.html"]
    /// Every page a template renders (the search page has `search.mustache`).
    static let templated = (posts + docs + lists + ["search/index.html"]).sorted()

    /// Posts (`template: post`) render through the parent `layout` and the partial `byline`;
    /// the other pages through `page`; all of them reach `nav`; `unused` is reached by none.
    static func site(post: String = postTemplate) -> [String: String] {
        let head = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{{page.title}} · {{site.title}}</title>"
            + "<link rel=\"stylesheet\" href=\"{{root}}site.css\"></head>"
        var files = [
            "pico.toml": "title = \"Templates\"\nlanguage = \"en\"\n",
            "templates/layout.mustache": head + "<body>{{> nav}}<main>{{$main}}{{{page.content}}}{{/main}}</main></body></html>\n",
            "templates/post.mustache": post,
            "templates/page.mustache": head + "<body>{{> nav}}<h1>{{page.title}}</h1>{{{page.content}}}</body></html>\n",
            "templates/section.mustache": head + "<body>{{> nav}}<ul>{{#pages}}<li><a href=\"{{root}}{{url}}\">{{title}}</a></li>{{/pages}}</ul></body></html>\n",
            "templates/search.mustache": head + "<body>{{> nav}}<h1>Search</h1></body></html>\n",
            "templates/partials/nav.mustache": "<nav><a href=\"{{root}}index.html\">Home</a>{{#site.sections}} <a href=\"{{root}}{{url}}\">{{title}}</a>{{/site.sections}}</nav>",
            "templates/partials/byline.mustache": "<p class=\"byline\">{{page.date_long}}</p>",
            "templates/partials/unused.mustache": "<p>Unused.</p>",
            "static/site.css": "body{margin:0}",
            "content/_index.md": "# Home\n",
        ]
        for number in 0..<6 {
            files["content/posts/p\(number).md"] = "---\ntitle: Post \(number)\ntemplate: post\ndate: 2024-02-0\(number + 1)\n---\n"
                + "## Part\n\nPost \(number), after [a doc's part](/docs/d\(number % 4)/#part).\n"
        }
        for number in 0..<4 {
            files["content/docs/d\(number).md"] = "---\ntitle: Doc \(number)\n---\n## Part\n\nDoc \(number).\n"
        }
        // A kept page links to a part that only the post template makes.
        files["content/docs/d1.md"]! += "\nSee [the comments](/posts/p0/#comments).\n"
        return files
    }

    static let postTemplate = "{{<layout}}{{$main}}<article><h1>{{page.title}}</h1>{{> byline}}{{{page.content}}}"
        + "<section id=\"comments\">Comments</section></article>{{/main}}{{/layout}}\n"

    /// Inode and modification time of each file: a file kept as it was is not written again.
    static func stamps(_ paths: [String], in output: URL) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: paths.map { path in
            var info = stat()
            _ = stat(output.appendingPathComponent(path).path, &info)
            return (path, [Int(info.st_ino), info.st_mtim.tv_sec, info.st_mtim.tv_nsec])
        })
    }

    @Test func anEditOfAPartialOrParentRendersThePagesThatReachItAlone() throws {
        let folder = TemporaryFolder()
        let site = folder.write(Self.site(), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        let first = try builder.build(after: nil)
        #expect(first.rendered.filter { !$0.hasPrefix("pico-") }.sorted() == Self.templated)

        // The partial only posts reach.
        let before = Self.stamps(Self.docs + Self.lists, in: output)
        try WatchBuildTests.edit(site, "templates/partials/byline.mustache") { $0.replacingOccurrences(of: "byline", with: "byline dated") }
        let byline = try builder.build(after: ["templates/partials/byline.mustache"])
        #expect(byline.plannedAgain && byline.wholeBecause == nil)
        #expect(byline.rendered == Self.posts)
        #expect(byline.rerendered.sorted() == Self.posts)
        #expect(byline.manifest.id != first.manifest.id)
        #expect(try DescribedBundle(folder: output.path).manifest.id == byline.manifest.id)
        #expect(try String(contentsOf: output.appendingPathComponent("posts/p3/index.html"), encoding: .utf8).contains("class=\"byline dated\""))
        #expect(Self.stamps(Self.docs + Self.lists, in: output) == before)
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)

        // The parent only posts name.
        try WatchBuildTests.edit(site, "templates/layout.mustache") { $0.replacingOccurrences(of: "<main>", with: "<main class=post>") }
        let layout = try builder.build(after: ["templates/layout.mustache"])
        #expect(layout.rendered == Self.posts)
        #expect(Self.stamps(Self.docs + Self.lists, in: output) == before)
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)

        // The post template itself.
        try WatchBuildTests.edit(site, "templates/post.mustache") { $0.replacingOccurrences(of: "<article>", with: "<article class=post>") }
        let post = try builder.build(after: ["templates/post.mustache"])
        #expect(post.rendered == Self.posts)
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)

        // The partial every page reaches.
        try WatchBuildTests.edit(site, "templates/partials/nav.mustache") { $0.replacingOccurrences(of: ">Home<", with: ">Start<") }
        let nav = try builder.build(after: ["templates/partials/nav.mustache"])
        #expect(nav.rendered == Self.templated)
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)

        // Two at once: the page template and the byline.
        try WatchBuildTests.edit(site, "templates/page.mustache") { $0.replacingOccurrences(of: "<h1>", with: "<h1 class=doc>") }
        try WatchBuildTests.edit(site, "templates/partials/byline.mustache") { $0.replacingOccurrences(of: "dated", with: "on") }
        let two = try builder.build(after: ["templates/page.mustache", "templates/partials/byline.mustache"])
        #expect(two.rendered == (Self.posts + Self.docs).sorted())
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)
    }

    @Test func anEditOfATemplateNoPageReachesRendersNoPage() throws {
        let folder = TemporaryFolder()
        let site = folder.write(Self.site(), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        let first = try builder.build(after: nil)
        let before = Self.stamps(Self.templated, in: output)
        try WatchBuildTests.edit(site, "templates/partials/unused.mustache") { $0 + "<p>Still unused.</p>" }
        let outcome = try builder.build(after: ["templates/partials/unused.mustache"])
        #expect(outcome.plannedAgain && outcome.wholeBecause == nil)
        #expect(outcome.rendered.isEmpty)
        #expect(outcome.changed == [])
        #expect(outcome.manifest.id == first.manifest.id)
        #expect(Self.stamps(Self.templated, in: output) == before)
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)
    }

    /// A new template that changes what a page resolves to (the home page's `index`), or a
    /// template gone: every page is made again, and the result is still a full build's.
    @Test func aTemplateThatComesOrGoesMakesEveryPageAgain() throws {
        let folder = TemporaryFolder()
        let site = folder.write(Self.site(), under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        folder.write(["templates/index.mustache": "<!doctype html><html lang=\"en\"><head><title>{{site.title}}</title></head><body>{{> nav}}<h1>Welcome home</h1></body></html>\n"], under: "site")
        let added = try builder.build(after: ["templates/index.mustache"])
        #expect(added.plannedAgain && added.wholeBecause == nil)
        #expect(added.rendered == Self.templated)
        #expect(added.rerendered == ["index.html"])
        #expect(try String(contentsOf: output.appendingPathComponent("index.html"), encoding: .utf8).contains("Welcome home"))
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)

        try FileManager.default.removeItem(at: site.appendingPathComponent("templates/partials/unused.mustache"))
        let removed = try builder.build(after: ["templates/partials/unused.mustache"])
        #expect(removed.rendered == Self.templated)
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)

        // And back to pages reached alone once the set of templates stays.
        try WatchBuildTests.edit(site, "templates/partials/byline.mustache") { $0 + "<hr>" }
        #expect(try builder.build(after: ["templates/partials/byline.mustache"]).rendered == Self.posts)
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)
    }

    /// A partial named by a value (`{{>*name}}`) could be any template: the pages of that
    /// template are made again on any edit, the others still kept.
    @Test func aPartialNamedByAValueMayBeAnyTemplate() throws {
        let folder = TemporaryFolder()
        var files = Self.site(post: Self.postTemplate.replacingOccurrences(of: "{{> byline}}", with: "{{>*page.params.card}}"))
        for number in 0..<6 {
            files["content/posts/p\(number).md"] = files["content/posts/p\(number).md"]!.replacingOccurrences(of: "template: post\n", with: "template: post\ncard: unused\n")
        }
        let site = folder.write(files, under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        #expect(try String(contentsOf: output.appendingPathComponent("posts/p1/index.html"), encoding: .utf8).contains("<p>Unused.</p>"))
        try WatchBuildTests.edit(site, "templates/partials/unused.mustache") { _ in "<p>Used after all.</p>" }
        let outcome = try builder.build(after: ["templates/partials/unused.mustache"])
        #expect(outcome.rendered == Self.posts)
        #expect(try String(contentsOf: output.appendingPathComponent("posts/p1/index.html"), encoding: .utf8).contains("<p>Used after all.</p>"))
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)
    }

    /// The starter's templates (`template = "blog"`): one the site writes of its own over a
    /// starter's partial is an edit of that name, not a new one, and re-renders what reaches it.
    @Test func aSiteTemplateOverAStartersIsAnEditOfThatName() throws {
        let folder = TemporaryFolder()
        let site = folder.write([
            "pico.toml": "title = \"Blog\"\nlanguage = \"en\"\ntemplate = \"blog\"\n",
            "content/_index.md": "# Home\n",
            "content/about.md": "---\ntitle: About\n---\nAbout us.\n",
            "content/posts/one.md": "---\ntitle: One\ndate: 2024-03-01\ntags: [a]\n---\nFirst.\n",
            "content/posts/two.md": "---\ntitle: Two\ndate: 2024-03-02\ntags: [b]\n---\nSecond.\n",
        ], under: "site")
        try FileManager.default.createDirectory(at: site.appendingPathComponent("templates/partials"), withIntermediateDirectories: true)
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        let starter = try #require(StarterTemplate.blog.embeddedFiles.first { $0.path == "templates/partials/page-meta.mustache" })
        folder.write(["templates/partials/page-meta.mustache": starter.text + "<p class=\"edited\">Edited.</p>\n"], under: "site")
        let outcome = try builder.build(after: ["templates/partials/page-meta.mustache"])
        #expect(outcome.plannedAgain && outcome.wholeBecause == nil)
        // page.mustache names page-meta: the pages, not the lists, the tags or the 404 page.
        #expect(outcome.rendered == ["about/index.html", "posts/one/index.html", "posts/two/index.html"])
        #expect(try String(contentsOf: output.appendingPathComponent("posts/one/index.html"), encoding: .utf8).contains("Edited."))
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)
    }

    /// Links to parts of pages are checked as a full build checks them, the kept pages' links
    /// included (their ids and links are the last build's): a template that drops an id another
    /// page links to fails the rebuild, as it fails `pico build`; a page's own edit of its links
    /// is what a later template edit checks.
    @Test func aKeptPagesLinkToAPartATemplateDropsFailsAsAFullBuildDoes() throws {
        // Templates without blocks, so that an edit of a page's text is re-rendered alone.
        let post = "<!doctype html><html lang=\"en\"><head><title>{{page.title}}</title></head><body><h1>{{page.title}}</h1>{{{page.content}}}"
            + "<section id=\"comments\">Comments</section><section id=\"replies\">Replies</section></body></html>\n"
        var files = Self.site(post: post)
        files["templates/layout.mustache"] = nil
        let folder = TemporaryFolder()
        let site = folder.write(files, under: "site")
        let output = site.appendingPathComponent("public")
        let builder = WatchBuilder(.init(input: site, output: output))
        _ = try builder.build(after: nil)
        // The doc's own edit: it links to another part of the post now.
        try WatchBuildTests.edit(site, "content/docs/d2.md") { $0 + "\nAnd [the replies](/posts/p1/#replies).\n" }
        #expect(try builder.build(after: ["content/docs/d2.md"]).rerendered == ["docs/d2/index.html"])
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)

        try WatchBuildTests.edit(site, "templates/post.mustache") { $0.replacingOccurrences(of: " id=\"replies\"", with: "") }
        #expect(throws: (any Error).self) { try BundleBuilder(.init(input: site, output: folder.path("fresh"))).build() }
        #expect(throws: (any Error).self) { try builder.build(after: ["templates/post.mustache"]) }
        // The last good bundle stays; once the id is back, the bundle is a full build's again.
        #expect(try String(contentsOf: output.appendingPathComponent("posts/p1/index.html"), encoding: .utf8).contains("id=\"replies\""))
        try WatchBuildTests.edit(site, "templates/post.mustache") { $0.replacingOccurrences(of: "<section>Replies", with: "<section id=\"replies\">Replies") }
        _ = try builder.build(after: ["templates/post.mustache"])
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)
        try WatchBuildTests.edit(site, "templates/post.mustache") { $0.replacingOccurrences(of: "<h1>", with: "<h1 class=post>") }
        #expect(try builder.build(after: ["templates/post.mustache"]).rendered == Self.posts)
        try WatchBuildTests.expectFullBuildEquals(output, site: site, in: folder)
    }

    /// What a render can look up, read from swift-mustache's own tokens: partials and parents,
    /// through sections, blocks and set delimiters, not what a comment holds; nil for a name
    /// the context picks.
    @Test func theNamesARenderReachesAreItsPartialsAndParentsTransitively() throws {
        let folder = TemporaryFolder()
        let site = folder.write([
            "templates/root.mustache": "{{title}}{{{page.content}}}{{&raw}}{{> a}}{{#x}}{{>b}}{{/x}}{{^y}}{{> c }}{{/y}}{{! {{> fake}} }}",
            "templates/a.mustache": "{{<d}}{{$block}}{{>e}}{{/block}}{{/d}}",
            "templates/d.mustache": "<main>{{$block}}{{>partials/g}}{{/block}}</main>",
            "templates/partials/g.mustache": "{{=<% %>=}}<%> h %><%={{ }}=%>{{>i}}",
            "templates/c.mustache": "<p>c</p>",
            "templates/dyn.mustache": "{{#a}}{{>*dynamic}}{{/a}}",
        ], under: "site")
        let templates = try TemplateSet.load(siteFolder: site, links: try SiteLinks(siteFolder: site), limits: InputLimits())
        #expect(templates.namesReached(from: "root") == ["root", "a", "b", "c", "d", "e", "partials/g", "h", "i"])
        #expect(templates.namesReached(from: "c") == ["c"])
        #expect(templates.namesReached(from: "g") == ["g", "h", "i"])
        #expect(templates.namesReached(from: "dyn") == nil)
        // The bare name of a partial and the built-in templates are names the library answers.
        #expect(templates.registered["g"] == templates.registered["partials/g"])
        #expect(templates.registered["page"] == BuiltInTemplates.page)
    }
}
