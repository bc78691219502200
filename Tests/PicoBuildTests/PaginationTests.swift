import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// `paginate` (issue 18 point 4): sections, the home page and tag pages in pages of N, at
/// `page/2/index.html`, …, linked to each other with links that hold from file://.
@Suite struct PaginationTests {
    static let list = "<!doctype html><html><head><title>{{page.title}}</title></head><body><ol>{{#pages}}<li>{{title}}</li>{{/pages}}</ol>"
        + "{{#paginator}}<nav>{{#previous}}<a rel=prev href=\"{{root}}{{url}}\">prev</a>{{/previous}}"
        + "{{#numbers}}<a class=n href=\"{{root}}{{url}}\">{{number}}{{#is_current}}*{{/is_current}}</a>{{/numbers}}"
        + "{{#next}}<a rel=next href=\"{{root}}{{url}}\">next</a>{{/next}}<span>{{current}}/{{total}} of {{count}}</span></nav>{{/paginator}}</body></html>"

    static func site(posts: Int, config: String = "title = \"P\"\n", sectionFrontMatter: String = "paginate: 10\n") -> [String: String] {
        var files = ["pico.toml": config, "templates/section.mustache": list, "templates/tag.mustache": list,
                     "templates/page.mustache": "<!doctype html><title>{{page.title}}</title>{{{page.content}}}",
                     "content/posts/_index.md": "---\ntitle: Posts\n\(sectionFrontMatter)---\n"]
        for n in 1...posts {
            let day = String(format: "%02d", n % 28 + 1), month = String(format: "%02d", n / 28 + 1)
            files["content/posts/p\(n).md"] = "---\ntitle: Post \(n)\ndate: 2024-\(month)-\(day)\ntags: [all]\n---\nPost \(n).\n"
        }
        return files
    }

    static func build(_ files: [String: String], in folder: TemporaryFolder) throws -> URL {
        try BundleBuilder(.init(input: folder.write(files, under: "site"), output: folder.path("out"))).build().output
    }

    /// Every href of `page` (a bundle path) that is not external, resolved as file:// would.
    static func links(of page: String, in bundle: URL) throws -> [String] {
        let html = try String(contentsOf: bundle.appendingPathComponent(page), encoding: .utf8)
        let folder = bundle.appendingPathComponent(page).deletingLastPathComponent()
        return html.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
            .map { URL(fileURLWithPath: $0, relativeTo: folder).standardizedFileURL.path }
    }

    @Test func aSectionIsPagedAndItsPagesLinkToEachOtherFromFileURLs() throws {
        let folder = TemporaryFolder()
        let out = try Self.build(Self.site(posts: 25), in: folder)
        let pages = ["posts/index.html", "posts/page/2/index.html", "posts/page/3/index.html"]
        for page in pages { #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(page).path), "\(page)") }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("posts/page/4/index.html").path))
        let first = try String(contentsOf: out.appendingPathComponent(pages[0]), encoding: .utf8)
        let second = try String(contentsOf: out.appendingPathComponent(pages[1]), encoding: .utf8)
        let third = try String(contentsOf: out.appendingPathComponent(pages[2]), encoding: .utf8)
        // Newest first, ten at a time; the last page holds the rest.
        #expect(first.components(separatedBy: "<li>").count - 1 == 10)
        #expect(first.contains("<li>Post 25</li>") && !first.contains("<li>Post 15</li>"))
        #expect(second.contains("<li>Post 15</li><li>Post 14</li>"))
        #expect(third.components(separatedBy: "<li>").count - 1 == 5 && third.contains("<li>Post 1</li>"))
        #expect(first.contains("<span>1/3 of 25</span>") && second.contains("<span>2/3 of 25</span>"))
        #expect(!first.contains("rel=prev") && !third.contains("rel=next"))
        // Relative, and to files (file:// has no folder index).
        #expect(second.contains(#"<a rel=prev href="../../index.html">prev</a>"#), "\(second)")
        #expect(second.contains(#"<a rel=next href="../3/index.html">next</a>"#))
        #expect(first.contains(#"<a rel=next href="page/2/index.html">next</a>"#))
        #expect(second.contains(#"<a class=n href="index.html">2*</a>"#))
        for page in pages {
            let targets = try Self.links(of: page, in: out)
            #expect(targets.count >= 4, "\(page)")
            for target in targets { #expect(FileManager.default.fileExists(atPath: target), "\(page) → \(target)") }
        }
        #expect(BundleVerifier().verify(folder: out).isValid)
    }

    @Test func pico_tomlPagesTheHomePageAndTagPagesAndIndexZeroTurnsASectionOff() throws {
        let folder = TemporaryFolder()
        var files = Self.site(posts: 7, config: "title = \"P\"\npaginate = 3\n", sectionFrontMatter: "paginate: 0\n")
        files["templates/index.mustache"] = Self.list
        for n in 1...4 { files["content/top\(n).md"] = "---\ntitle: Top \(n)\ndate: 2023-01-0\(n)\n---\n" }
        let out = try Self.build(files, in: folder)
        // The home page lists its own pages, three at a time.
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("page/2/index.html").path))
        let home2 = try String(contentsOf: out.appendingPathComponent("page/2/index.html"), encoding: .utf8)
        #expect(home2.contains("<li>Top 1</li>") && home2.contains("<span>2/2 of 4</span>"))
        #expect(home2.contains(#"<a rel=prev href="../../index.html">prev</a>"#))
        // The tag page: seven pages in three.
        let tag3 = try String(contentsOf: out.appendingPathComponent("tags/all/page/3/index.html"), encoding: .utf8)
        #expect(tag3.contains("<li>Post 1</li>") && tag3.contains("<span>3/3 of 7</span>"))
        #expect(tag3.contains(#"<a rel=prev href="../2/index.html">prev</a>"#))
        for target in try Self.links(of: "tags/all/page/3/index.html", in: out) {
            #expect(FileManager.default.fileExists(atPath: target), "\(target)")
        }
        // paginate: 0 in the section's _index.md: all on one page, and no paginator.
        let posts = try String(contentsOf: out.appendingPathComponent("posts/index.html"), encoding: .utf8)
        #expect(posts.components(separatedBy: "<li>").count - 1 == 7 && !posts.contains("<nav>"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("posts/page/2/index.html").path))
    }

    /// The blog starter with its posts two to a page, opened from file:// in headless Chromium
    /// (Tests/tools/browser.py): every page reachable from the home page loads, styled, with no
    /// failed request, the second page of posts among them.
    @Test func theBlogStartersPagesOfPostsWorkFromFileURLsInChromium() throws {
        let folder = TemporaryFolder()
        var files: [String: String] = [:]
        for file in StarterTemplate.blog.embeddedFiles { files[file.path] = file.text }
        files["pico.toml"] = (files["pico.toml"] ?? "") .replacingOccurrences(of: "author = ", with: "paginate = 2\nauthor = ")
        let out = try Self.build(files, in: folder)
        let second = try String(contentsOf: out.appendingPathComponent("posts/page/2/index.html"), encoding: .utf8)
        #expect(second.contains(#"<a class="paginator-step" href="../../index.html" rel="prev">"#), "\(second)")
        let browser = try TestEnvironment.run("/usr/bin/python3", [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/browser.py").path, "file-pages", out.path,
            "--verbose", "--timeout", "150",
        ])
        #expect(browser.status == 0 && browser.stdout.contains(": PASS"), "\(browser.stdout)\n\(browser.stderr)")
        #expect((browser.stdout + browser.stderr).contains("posts/page/2/index.html"), "\(browser.stdout)")
    }

    @Test func aWrongPaginateIsPlacedAtItsValue() throws {
        let inIndex = try errorsOfBuilding(Self.site(posts: 2, sectionFrontMatter: "paginate: many\n"))
        #expect(inIndex.first?.message.contains("`paginate` must be a whole number") == true, "\(inIndex)")
        #expect(inIndex.first?.location == SourceLocation(file: "content/posts/_index.md", line: 3, column: 11))
        let inConfig = try errorsOfBuilding(Self.site(posts: 2, config: "title = \"P\"\npaginate = -1\n"))
        #expect(inConfig.first?.location == SourceLocation(file: "pico.toml", line: 2, column: 12), "\(inConfig)")
    }
}
