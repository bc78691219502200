import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// Whole sites written inline, built through the real pipeline, then read back.
@Suite struct SiteBuildTests {
    static let templates = [
        "pico.toml": "title = \"Fixture\"\nlanguage = \"en\"\n[params]\nmotto = \"hi\"\n",
        "templates/base.mustache": "<!doctype html><html><head><title>{{$title}}{{page.title}}{{/title}}</title><link rel=\"stylesheet\" href=\"{{root}}css/s.css\"></head><body>{{>partials/nav}}{{$main}}{{/main}}</body></html>\n",
        "templates/partials/nav.mustache": "<nav><a href=\"{{root}}\">{{site.title}}</a>{{#site.sections}} <a href=\"{{root}}{{url}}\">{{title}}</a>{{/site.sections}}</nav>",
        "templates/page.mustache": "{{<base}}{{$main}}<article><h1>{{page.title}}</h1><time>{{page.date}}</time><p class=tags>{{#page.tags}}[{{name}}]{{/page.tags}}</p>{{{page.content}}}{{#page.older}}<a rel=next href=\"{{root}}{{url}}\">{{title}}</a>{{/page.older}}</article>{{/main}}{{/base}}",
        "templates/section.mustache": "{{<base}}{{$main}}<h1>{{page.title}}</h1>{{{page.content}}}<ul>{{#pages}}<li><a href=\"{{root}}{{url}}\">{{title}}</a></li>{{/pages}}</ul>{{/main}}{{/base}}",
        "templates/tags.mustache": "{{<base}}{{$main}}{{#site.tags}}<a href=\"{{root}}{{url}}\">{{name}} ({{count}})</a>{{/site.tags}}{{/main}}{{/base}}",
        "templates/tag.mustache": "{{<base}}{{$main}}<h1>{{tag.name}}</h1>{{#pages}}<a href=\"{{root}}{{url}}\">{{title}}</a>{{/pages}}{{/main}}{{/base}}",
        "static/css/s.css": "body{background:url(/img/bg.png)}",
        "static/img/bg.png": "PNG",
    ]

    static func build(_ files: [String: String], in folder: TemporaryFolder, allowBroken: Bool = false) throws -> BundleBuilder.Result {
        let site = folder.write(files, under: "site")
        var options = BundleBuilder.Options(input: site)
        options.allowBrokenLinks = allowBroken
        return try BundleBuilder(options).build()
    }

    @Test func buildsSectionsPagesTagsAndStatic() throws {
        let folder = TemporaryFolder()
        var files = Self.templates
        files["content/_index.md"] = "---\ntitle: Home\n---\nWelcome to **the site**.\n"
        files["content/posts/_index.md"] = "+++\ntitle = \"Posts\"\n+++\nAll posts.\n"
        files["content/posts/first.md"] = "---\ntitle: First\ndate: 2024-01-02\ntags: [Offline Web, drives]\n---\nSee [second](/posts/second/) and ![bg](/img/bg.png).\n"
        files["content/posts/second.md"] = "+++\ntitle = \"Second\"\ndate = 2024-02-03\ntags = [\"drives\"]\n+++\n| a | b |\n|---|---|\n| 1 | 2 |\n"
        files["content/posts/draft.md"] = "---\ntitle: Draft\ndraft: true\n---\nsecret draft\n"
        files["content/about.md"] = "---\ntitle: About\n---\nBack [home](/).\n"
        files["content/posts/bundle/index.md"] = "---\ntitle: Bundle\ndate: 2023-05-05\n---\n![p](photo.png)\n"
        files["content/posts/bundle/photo.png"] = "PNG2"
        let result = try Self.build(files, in: folder)
        let out = result.output

        let paths = Set(result.manifest.files.map(\.path)).subtracting(Self.webApp)
        #expect(paths == ["index.html", "about/index.html", "posts/index.html", "posts/first/index.html",
                          "posts/second/index.html", "posts/bundle/index.html", "posts/bundle/photo.png",
                          "tags/index.html", "tags/offline-web/index.html", "tags/drives/index.html",
                          "css/s.css", "img/bg.png"])
        let first = try String(contentsOf: out.appendingPathComponent("posts/first/index.html"), encoding: .utf8)
        #expect(first.contains("<h1>First</h1><time>2024-01-02</time>"))
        #expect(first.contains("[Offline Web][drives]"))
        #expect(first.contains(#"<a href="../second/index.html">second</a>"#))
        #expect(first.contains(#"<img src="../../img/bg.png" alt="bg" />"#))
        #expect(first.contains(#"<link rel="stylesheet" href="../../css/s.css">"#))
        #expect(first.contains(#"<nav><a href="../../index.html">Fixture</a> <a href="../index.html">Posts</a></nav>"#))
        // Newest first: second, first, bundle; "older" of first is bundle.
        #expect(first.contains(#"<a rel=next href="../bundle/index.html">Bundle</a>"#))
        let section = try String(contentsOf: out.appendingPathComponent("posts/index.html"), encoding: .utf8)
        #expect(section.contains("<p>All posts.</p>"))
        #expect(section.range(of: "Second")!.lowerBound < section.range(of: "First")!.lowerBound)
        #expect(!section.contains("Draft"))
        let home = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(home.contains("<strong>the site</strong>"))
        #expect(try String(contentsOf: out.appendingPathComponent("css/s.css"), encoding: .utf8) == "body{background:url(../img/bg.png)}")
        let tags = try String(contentsOf: out.appendingPathComponent("tags/index.html"), encoding: .utf8)
        #expect(tags.contains(#"<a href="drives/index.html">drives (2)</a>"#))
        #expect(try String(contentsOf: out.appendingPathComponent("posts/bundle/index.html"), encoding: .utf8).contains(#"src="photo.png""#))
        #expect(BundleVerifier().verify(folder: out).isValid)
    }

    @Test func aSiteWithOnlyContentUsesTheBuiltInTemplates() throws {
        let folder = TemporaryFolder()
        let result = try Self.build(["pico.toml": "title = \"Bare\"\n", "content/notes/a.md": "# A\n"], in: folder)
        let page = try String(contentsOf: result.output.appendingPathComponent("notes/a/index.html"), encoding: .utf8)
        #expect(page.contains("<h1>A</h1>"))
        #expect(Set(result.manifest.files.map(\.path)) == Self.webApp.union(["index.html", "notes/index.html", "notes/a/index.html"]))
    }

    @Test func hiddenAndSecretFilesStayOutUnlessNamed() throws {
        let folder = TemporaryFolder()
        let result = try Self.build([
            "pico.toml": "title = \"S\"\n[build]\ninclude = [\".well-known/**\"]\nexclude = [\"*.psd\"]\n",
            "content/_index.md": "home",
            "static/.env": "SECRET=1", "static/.git/config": "x", "static/keys/site.key": "k", "static/id_ed25519": "k",
            "static/author.nsec": "nsec1", "static/cert.pem": "p", "static/.well-known/security.txt": "contact",
            "static/art.psd": "big", "static/ok.txt": "ok",
        ], in: folder)
        #expect(Set(result.manifest.files.map(\.path)) == Self.webApp.union(["index.html", ".well-known/security.txt", "ok.txt"]))
    }

    /// What every bundle gets to be an offline-first web app.
    /// pico's own files in every bundle: the web app's, and the search index's (issue 17; search
    /// is on by default, and a site this small has one term shard and one document shard).
    static let webApp: Set<String> = ["sw.js", "pico-app.js", "pico-offline.json", "manifest.webmanifest", "icons/icon-192.png", "icons/icon-512.png",
                                      "pico-search/search.js", "pico-search/index.js", "pico-search/t-000.js", "pico-search/d-000.js", "search/index.html"]

    @Test func twoBuildsAreByteIdentical() throws {
        let folder = TemporaryFolder()
        var files = Self.templates
        for i in 0..<40 {
            files["content/s\(i % 3)/p\(i).md"] = "---\ntitle: P\(i)\ndate: 2024-01-\(String(format: "%02d", i % 28 + 1))\ntags: [t\(i % 5)]\n---\nBody \(i) [home](/).\n"
        }
        let site = folder.write(files, under: "site")
        let a = try BundleBuilder(.init(input: site, output: folder.path("a"))).build()
        let b = try BundleBuilder(.init(input: site, output: folder.path("b"))).build()
        #expect(a.manifest.id == b.manifest.id)
        for file in a.manifest.files + [BundleFile(path: "pico-manifest.json", size: 0, sha256: "", type: "")] {
            let x = try Data(contentsOf: folder.path("a").appendingPathComponent(file.path))
            let y = try Data(contentsOf: folder.path("b").appendingPathComponent(file.path))
            #expect(x == y, "\(file.path) differs")
        }
    }

    @Test func aFinishedStaticSiteIsBundledAsItIs() throws {
        let folder = TemporaryFolder()
        let site = folder.write([
            "index.html": "<!doctype html><link rel=stylesheet href=\"/css/a.css\"><a href=\"/blog/\">Blog</a> <a href=\"/blog/post/\">P</a>",
            "blog/index.html": "<a href=\"/\">home</a><svg><circle r=1 /></svg>",
            "blog/post/index.html": "<img src=\"../../img/x.png\"><a href=\"../\">up</a>",
            "css/a.css": "@import \"/css/b.css\";", "css/b.css": "x{}", "img/x.png": "PNG",
            ".DS_Store": "junk", "SHA256SUMS": "stale", "pico-manifest.json": "{}",
        ], under: "public")
        let result = try BundleBuilder(.init(input: site)).build()
        #expect(result.output.lastPathComponent == "public.bundle")
        #expect(result.kind == .finishedSite)
        #expect(Set(result.manifest.files.map(\.path)) == Self.webApp.union(["index.html", "blog/index.html", "blog/post/index.html", "css/a.css", "css/b.css", "img/x.png"]))
        // Every byte kept but the URLs, and the page script added (after the doctype when a page has no head).
        #expect(folder.read("public.bundle/index.html") == "<!doctype html><script src=\"./pico-app.js\" defer></script><link rel=stylesheet href=\"css/a.css\"><a href=\"blog/index.html\">Blog</a> <a href=\"blog/post/index.html\">P</a>")
        #expect(folder.read("public.bundle/blog/index.html") == "<script src=\"../pico-app.js\" defer></script><a href=\"../index.html\">home</a><svg><circle r=1 /></svg>")
        #expect(folder.read("public.bundle/blog/post/index.html") == "<script src=\"../../pico-app.js\" defer></script><img src=\"../../img/x.png\"><a href=\"../index.html\">up</a>")
        #expect(folder.read("public.bundle/css/a.css") == "@import \"b.css\";")
        #expect(BundleVerifier().verify(folder: result.output).isValid)
    }
}
