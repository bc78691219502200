import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// Heading ids, anchors and `page.toc` (issue 18 point 3), and links to `page#anchor` checked
/// like links to files.
@Suite struct HeadingTests {
    static let page = "<!doctype html><html><head><title>{{page.title}}</title></head><body><main id=\"main\">"
        + "<nav class=toc>{{#page.toc}}[{{id}}|{{title}}|{{level}}{{#children}}({{id}}|{{title}}{{#children}}<{{id}}>{{/children}}){{/children}}]{{/page.toc}}</nav>"
        + "{{{page.content}}}</main></body></html>"

    static func site(_ pages: [String: String]) -> [String: String] {
        var files = ["pico.toml": "title = \"H\"\n", "templates/page.mustache": page]
        for (path, text) in pages { files["content/" + path] = text }
        return files
    }

    static func built(_ files: [String: String], allowBroken: Bool = false) throws -> (folder: TemporaryFolder, result: BundleBuilder.Result) {
        let folder = TemporaryFolder()
        var options = BundleBuilder.Options(input: folder.write(files, under: "site"), output: folder.path("out"))
        options.allowBrokenLinks = allowBroken
        return (folder, try BundleBuilder(options).build())
    }

    @Test func duplicateHeadingsGetDistinctIdsAndEachAnAnchor() throws {
        let (folder, _) = try Self.built(Self.site(["a.md": """
            # Guide
            ## Usage
            Text.
            ## Usage
            ### Flags & *options*
            ## Usage 1
            ## Usage
            ## ¿Qué tal?
            ## !!!
            """]))
        let html = folder.read("out/a/index.html")
        let ids = html.components(separatedBy: " id=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(ids == ["main", "guide", "usage", "usage-1", "flags-options", "usage-1-1", "usage-2", "qué-tal", "section"], "\(ids)")
        #expect(Set(ids).count == ids.count)
        #expect(html.contains(##"<h2 id="usage-1">Usage<a class="heading-anchor" href="#usage-1" aria-hidden="true">#</a></h2>"##), "\(html)")
        #expect(html.contains(##"<h3 id="flags-options">Flags &amp; <em>options</em><a class="heading-anchor" href="#flags-options" aria-hidden="true">#</a></h3>"##))
        // Nested: the h1 holds the h2s, the h3 sits under the second Usage.
        #expect(html.contains("<nav class=toc>[guide|Guide|1(usage|Usage)(usage-1|Usage<flags-options>)(usage-1-1|Usage 1)(usage-2|Usage)(qué-tal|¿Qué tal?)(section|!!!)]</nav>"), "\(html)")
    }

    @Test func theIdsAreTheSameFromBuildToBuild() throws {
        let files = Self.site(["a.md": "## One\n## Two\n## One\n"])
        let first = try Self.built(files).folder.read("out/a/index.html")
        let second = try Self.built(files).folder.read("out/a/index.html")
        #expect(first == second && first.contains(#"id="one-1""#))
    }

    @Test func linksToAnchorsThatExistPass() throws {
        let (folder, result) = try Self.built(Self.site([
            "a.md": "## Install it\nSee [b's setup](/b/#setup), [here](#install-it), [top](#top), [main](../b/#main), [raw](#raw-target).\n\n<div id=\"raw-target\"></div>\n",
            "b.md": "## Setup\n",
        ]))
        #expect(result.warnings.isEmpty)
        #expect(folder.read("out/a/index.html").contains(#"href="../b/index.html#setup""#))
    }

    @Test func aBrokenAnchorFailsTheBuildAtItsLineAndColumn() throws {
        let errors = try errorsOfBuilding(Self.site([
            "a.md": "---\ntitle: A\n---\n## Intro\n\nSee [setup](/b/#setupp) and\n[self](#intro-x).\n",
            "b.md": "## Setup\n",
        ]))
        #expect(errors.count == 2, "\(errors)")
        let wrong = try #require(errors.first { $0.message.contains("setupp") })
        #expect(wrong.location == SourceLocation(file: "content/a.md", line: 6, column: 13), "\(wrong.location)")
        #expect(wrong.kind == .brokenLink)
        #expect(wrong.message == #"broken link: a href="/b/#setupp": /b/index.html has no element with id="setupp""#, "\(wrong.message)")
        let own = try #require(errors.first { $0.message.contains("intro-x") })
        #expect(own.location == SourceLocation(file: "content/a.md", line: 7, column: 8), "\(own.location)")
        #expect(own.message.contains("/a/index.html has no element with id=\"intro-x\""))
    }

    @Test func aBrokenAnchorInACopiedPageIsPlacedExactly() throws {
        var files = Self.site(["b.md": "## Setup\n"])
        files["static/legacy.html"] = "<!doctype html><title>L</title>\n<p><a href=\"b/#setup\">ok</a>\n<a href=\"b/index.html#gone\">gone</a></p>\n"
        let errors = try errorsOfBuilding(files)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.location == SourceLocation(file: "static/legacy.html", line: 3, column: 10))
    }

    @Test func allowBrokenLinksLetsABrokenAnchorThroughAsAWarning() throws {
        let (_, result) = try Self.built(Self.site(["a.md": "[x](#nowhere)\n"]), allowBroken: true)
        #expect(result.warnings.count == 1)
        #expect(result.warnings.first?.severity == .warning)
        #expect(result.warnings.first?.message.contains("id=\"nowhere\"") == true)
    }

    /// A finished site is bundled as it is: its fragments may be made by its scripts.
    @Test func aFinishedSitesAnchorsAreNotChecked() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["index.html": "<!doctype html><title>F</title><a href=\"#/route\">app</a><a href=\"other.html#tab-2\">tab</a>",
                                 "other.html": "<!doctype html><title>O</title><p>tabs are made by a script</p>"], under: "finished")
        let result = try BundleBuilder(.init(input: site, output: folder.path("out"))).build()
        #expect(result.kind == .finishedSite && result.warnings.isEmpty)
    }

    @Test func theDocsStarterShowsTheTableOfContents() throws {
        let folder = TemporaryFolder()
        var files: [String: String] = [:]
        for file in StarterTemplate.docs.embeddedFiles { files[file.path] = file.text }
        files["content/guides/toc.md"] = "---\ntitle: Contents\n---\n## First part\nText.\n### A detail\n## Second part\n"
        var options = BundleBuilder.Options(input: folder.write(files, under: "docs"), output: folder.path("out"))
        options.sourceDateEpoch = 0
        _ = try BundleBuilder(options).build()
        let html = folder.read("out/guides/toc/index.html")
        #expect(html.contains(#"<nav class="toc""#), "\(html)")
        #expect(html.contains(##"<a href="#first-part">First part</a>"##))
        #expect(html.contains(##"<a href="#a-detail">A detail</a>"##))
        #expect(html.contains(##"<h2 id="second-part">"##))
    }
}
