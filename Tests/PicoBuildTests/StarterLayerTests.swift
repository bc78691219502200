import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// `template = "blog"` in pico.toml: the starter site's templates/ and static/ (pico's own copy)
/// lie under the site's own, so an example is its content on top of a template (Examples/).
@Suite struct StarterLayerTests {
    static let content = [
        "content/_index.md": "---\ntitle: Home\n---\nHello, [posts](/posts/).\n",
        "content/posts/_index.md": "---\ntitle: Posts\n---\n",
        "content/posts/one.md": "---\ntitle: One\ndate: 2024-03-04\ntags: [drives]\n---\nA post.\n",
    ]
    static let config = "title = \"Layered\"\nauthor = \"A\"\n[params]\ntagline = \"t\"\nfooter = \"f\"\n"

    static func build(_ files: [String: String], in folder: TemporaryFolder, as name: String) throws -> URL {
        var options = BundleBuilder.Options(input: folder.write(files, under: name))
        options.sourceDateEpoch = 1_700_000_000
        return try BundleBuilder(options).build().output
    }

    @Test func aSiteNamingAStarterBuildsAsIfItsFilesWereInTheSite() throws {
        let folder = TemporaryFolder()
        for starter in StarterTemplate.allCases {
            var copied = Self.content.merging(["pico.toml": Self.config]) { $1 }
            for file in starter.embeddedFiles where file.path.hasPrefix("templates/") || file.path.hasPrefix("static/") {
                copied[file.path] = file.text
            }
            let layered = Self.content.merging(["pico.toml": "template = \"\(starter.rawValue)\"\n" + Self.config]) { $1 }
            let expected = try EmbeddedAssetsTests.tree(Self.build(copied, in: folder, as: "copied-\(starter.rawValue)"))
            let built = try EmbeddedAssetsTests.tree(Self.build(layered, in: folder, as: "layered-\(starter.rawValue)"))
            #expect(expected.count > 10 && built == expected, "\(starter)")
        }
    }

    @Test func theSitesOwnTemplatesAndStaticFilesWin() throws {
        let folder = TemporaryFolder()
        var files = Self.content.merging(["pico.toml": "template = \"blog\"\n" + Self.config]) { $1 }
        files["templates/partials/footer.mustache"] = "<footer>my own footer</footer>"
        files["static/favicon.svg"] = "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>mine</title></svg>"
        files["static/extra.txt"] = "extra"
        let out = try Self.build(files, in: folder, as: "site")
        #expect(try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8).contains("<footer>my own footer</footer>"))
        #expect(try String(contentsOf: out.appendingPathComponent("favicon.svg"), encoding: .utf8) == files["static/favicon.svg"])
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("extra.txt").path))
        let css = try #require(StarterTemplate.blog.embeddedFiles.first { $0.path == "static/css/site.css" })
        #expect(try Data(contentsOf: out.appendingPathComponent("css/site.css")) == Data(css.text.utf8))
    }

    @Test func aTemplateThatIsNotAStarterIsAnErrorAtItsValue() {
        for value in ["\"nope\"", "3"] {
            do {
                _ = try SiteConfig.parse("title = \"x\"\ntemplate = \(value)\n")
                Issue.record("template = \(value) was taken")
            } catch {
                #expect(error.location == SourceLocation(file: "pico.toml", line: 2, column: 12), "\(error)")
                #expect(error.description.contains("`template` must name one of pico's starter sites: \"blog\", \"docs\", \"app\""), "\(error)")
            }
        }
    }
}
