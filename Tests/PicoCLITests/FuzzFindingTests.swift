import Foundation
import PicoTestSupport
import Testing

/// What the fuzz targets in Fuzz/ found, replayed through the real `pico build`: each input
/// crashed pico (SIGILL, SIGABRT, or ASan's out-of-bounds read) before its fix. A crash here is
/// an exit status above 128, which fails the test instead of the test runner.
@Suite struct FuzzFindingTests {
    static let template = "<html><head><title>{{page.title}}</title></head><body>{{{page.content}}}</body></html>"

    static func build(_ site: URL, into folder: TemporaryFolder) throws -> ProcessOutput {
        try TestEnvironment.pico("build", site.path, "-o", folder.path("out").path, "-q")
    }

    /// Windows line endings: "\r\n" is one Swift Character, so a search for "\n" found no line
    /// end and force-unwrapped nil (FrontMatter.parse).
    @Test(arguments: ["---\r\ntitle: Home\r\n---\r\nHello.\r\n", "+++\r\ntitle = \"Home\"\r\n+++\r\nHello.\r\n"])
    func frontMatterWithWindowsLineEndingsBuilds(_ page: String) throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": "title = \"x\"\r\n", "content/_index.md": page,
                                 "templates/page.mustache": Self.template], under: "site")
        let result = try Self.build(site, into: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let html = folder.read("out/index.html")
        // The home page falls back to the built-in index template, which shows the title.
        #expect(html.contains("<h1>Home</h1>"), "\(html)")
        #expect(html.contains("<p>Hello.</p>"))
    }

    /// `[&` made toml++'s assert abort the process (SwiftPM built TOMLKit's C++ without NDEBUG),
    /// in pico.toml and in TOML front matter alike; PicoTOML replaced it.
    @Test(arguments: [("pico.toml", "[&\n"), ("content/_index.md", "+++\n[&\n+++\nbody\n")])
    func aBrokenTOMLTableHeaderIsAnErrorAtItsPlace(_ file: String, _ text: String) throws {
        let folder = TemporaryFolder()
        var files = ["pico.toml": "title = \"x\"\n", "content/_index.md": "home", "templates/page.mustache": Self.template]
        files[file] = text
        let site = folder.write(files, under: "site")
        let result = try Self.build(site, into: folder)
        #expect(result.status == 1, "exit \(result.status): \(result.stderr)")
        let line = file == "pico.toml" ? 1 : 2
        #expect(result.stderr.contains("\(file):\(line):"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("out").path))
    }

    /// `<meta charset=` with bytes libxml2 cannot switch to: it then reports position -1, and
    /// the scanner read the byte before the page.
    @Test func aPageWhoseCharsetLibxml2CannotFollowIsNoCrash() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["about.html": "<p>about</p>"], under: "site")
        var page = Data("<meta charset=".utf8)
        page += Data([0xAB, 0x00, 0xF9])
        page += Data("\n<a href=\"about.html\">about</a>\n".utf8)
        try page.write(to: site.appendingPathComponent("index.html"))
        let result = try Self.build(site, into: folder)
        #expect(result.status == 0 || result.status == 1, "exit \(result.status): \(result.stderr)")
        if result.status == 1 {
            #expect(result.stderr.contains("index.html"), "\(result.stderr)")
        }
    }

    /// `{{#page}}{{>page}}{{/page}}`: being in a section stops nothing, since Mustache finds
    /// `page` again in the enclosing context at every level (swift-mustache recursed to SIGSEGV).
    @Test func aTemplateIncludingItselfInsideASectionIsAnError() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": "title = \"x\"\n", "content/a.md": "hi",
                                 "templates/page.mustache": "<main>\n{{#page}}{{>page}}{{/page}}\n</main>"], under: "site")
        let result = try Self.build(site, into: folder)
        #expect(result.status == 1, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("templates/page.mustache:2:1"), "\(result.stderr)")
        #expect(result.stderr.contains("includes itself"))
    }

    /// The one recursion that ends: through `{{#sections}}`, whose data pico always ends.
    @Test func aSectionTreeRenderedByARecursivePartialStillBuilds() throws {
        let folder = TemporaryFolder()
        let site = folder.write([
            "pico.toml": "title = \"x\"\n",
            "content/_index.md": "home", "content/a/_index.md": "a", "content/a/b/_index.md": "b", "content/a/b/c.md": "c",
            "templates/page.mustache": Self.template,
            "templates/index.mustache": "<html><body><ul>{{>partials/tree}}</ul></body></html>",
            "templates/partials/tree.mustache": "{{#sections}}<li>{{title}}<ul>{{>partials/tree}}</ul></li>{{/sections}}",
        ], under: "site")
        let result = try Self.build(site, into: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let html = folder.read("out/index.html")
        #expect(html.contains("<ul><li>"), "\(html)")
    }
}
