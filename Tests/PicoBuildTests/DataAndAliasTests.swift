import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// `data/` files as `site.data`, and `aliases:` redirect pages, through the real build.
@Suite struct DataAndAliasTests {
    static let site = [
        "pico.toml": "title = \"Data\"\nlanguage = \"en\"\n",
        "content/_index.md": "# Home\n",
        "templates/page.mustache": "<!doctype html><html><head><title>{{page.title}}</title></head><body>{{{page.content}}}</body></html>\n",
    ]

    @Test func dataFilesAreSiteDataInTemplates() throws {
        let folder = TemporaryFolder()
        var files = Self.site
        files["data/authors.toml"] = "[ada]\nname = \"Ada\"\nborn = 1815\n"
        files["data/team/people.yaml"] = "- name: Bob\n  lead: true\n- name: Cy\n"
        files["data/links.json"] = "{\"home\": \"https://example.org/\", \"n\": 3, \"ratio\": 2.5, \"ok\": true, \"none\": null}"
        files["data/.hidden.toml"] = "broken = ["
        files["templates/page.mustache"] = "<!doctype html><html><head><title>t</title></head><body>"
            + "{{site.data.authors.ada.name}} {{site.data.authors.ada.born}}|{{#site.data.team.people}}{{name}}{{#lead}}*{{/lead}},{{/site.data.team.people}}"
            + "|{{site.data.links.n}} {{site.data.links.ratio}}|{{#site.data.links.ok}}yes{{/site.data.links.ok}}{{^site.data.links.none}}no-null{{/site.data.links.none}}</body></html>\n"
        files["content/about.md"] = "# About\n"
        let site = folder.write(files, under: "site")
        let result = try BundleBuilder(.init(input: site, output: folder.path("out"))).build()
        let page = try String(contentsOf: result.output.appendingPathComponent("about/index.html"), encoding: .utf8)
        #expect(page.contains("Ada 1815|Bob*,Cy,|3 2.5|yesno-null"), "\(page)")
    }

    @Test func aBadDataFileIsAnErrorAtItsPlace() throws {
        let cases: [(String, String, Int)] = [
            ("data/a.toml", "x = 1\ny = \n", 2),
            ("data/b.yaml", "list:\n  - one\n  - \"two\n", 3),
            ("data/c.json", "{\n  \"a\": 1,\n  \"b\": nope\n}\n", 3),
        ]
        for (path, text, line) in cases {
            var files = Self.site
            files[path] = text
            let errors = try errorsOfBuilding(files)
            #expect(errors.count == 1, "\(path): \(errors)")
            #expect(errors.first?.location.file == path, "\(errors)")
            #expect(errors.first?.location.line == line, "\(path): \(errors)")
        }
        // Too deep, and two files that give one key.
        var deep = Self.site
        deep["data/deep.json"] = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try errorsOfBuilding(deep).first?.message.contains("nests more than") == true)
        var clash = Self.site
        clash["data/team.toml"] = "a = 1\n"
        clash["data/team/people.json"] = "[]"
        let clashing = try errorsOfBuilding(clash)
        #expect(clashing.count == 1 && clashing[0].description.contains("data/team.toml") && clashing[0].description.contains("data/team/people.json"),
                "\(clashing)")
    }

    @Test func anAliasPageLeadsToThePageFromFileURLs() throws {
        let folder = TemporaryFolder()
        var files = Self.site
        files["content/posts/new-name.md"] = "---\ntitle: New <name>\naliases: [old/path/, /older.html, /posts/2019/x]\n---\nHere.\n"
        let site = folder.write(files, under: "site")
        let out = try BundleBuilder(.init(input: site, output: folder.path("out"))).build().output
        let target = out.appendingPathComponent("posts/new-name/index.html").standardizedFileURL
        for (alias, depth) in [("old/path/index.html", 2), ("older.html", 0), ("posts/2019/x/index.html", 3)] {
            let page = try String(contentsOf: out.appendingPathComponent(alias), encoding: .utf8)
            let href = String(repeating: "../", count: depth) + "posts/new-name/index.html"
            #expect(page.contains("http-equiv=\"refresh\" content=\"0; url=\(href)\""), "\(alias): \(page)")
            #expect(page.contains("<a href=\"\(href)\">New &lt;name&gt;</a>"), "\(alias): \(page)")
            // Resolved from the alias's own file:// URL, the link is the page's file.
            let resolved = URL(string: href, relativeTo: out.appendingPathComponent(alias))!.standardizedFileURL
            #expect(resolved.path == target.path)
        }
    }

    @Test func anAliasThatClashesWithARealPageIsAnErrorNamingBoth() throws {
        var files = Self.site
        files["content/about.md"] = "# About\n"
        files["content/new.md"] = "---\ntitle: New\naliases:\n  - about/\n---\nnew\n"
        let errors = try errorsOfBuilding(files)
        #expect(errors.count == 1, "\(errors)")
        let error = try #require(errors.first)
        #expect(error.location.file == "content/new.md" && error.location.line == 4, "\(error)")
        #expect(error.message.contains("/about/index.html") && error.message.contains("content/about.md"), "\(error)")
        var bad = Self.site
        bad["content/new.md"] = "---\naliases: [\"https://example.org/x\"]\n---\nnew\n"
        #expect(try errorsOfBuilding(bad).first?.message.contains("is a URL") == true)
    }
}
