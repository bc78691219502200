import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// Bad input gets an error naming file:line:column with the offending line, and loses nothing.
@Suite struct BuildErrorTests {
    func buildErrors(_ files: [String: String], in folder: TemporaryFolder = TemporaryFolder()) -> [FileError] {
        (try? errorsOfBuilding(files, in: folder)) ?? []
    }

    @Test func badYAMLFrontMatterNamesTheLineAndColumn() {
        let errors = buildErrors(["pico.toml": "title = \"x\"\n", "content/a.md": "---\ntitle: ok\ntags: [a, b\n---\nbody\n"])
        #expect(errors.count == 1)
        #expect(errors.first?.location.file == "content/a.md")
        #expect(errors.first?.location.line == 3)
        #expect(errors.first?.sourceLine == "tags: [a, b")
        #expect(errors.first?.message.contains("YAML") == true)
    }

    @Test func badTOMLFrontMatterNamesTheLine() {
        let errors = buildErrors(["pico.toml": "title = \"x\"\n", "content/a.md": "+++\ntitle = \"ok\"\ndate = nope\n+++\nbody\n"])
        #expect(errors.first?.location.file == "content/a.md")
        #expect(errors.first?.location.line == 3)
    }

    @Test func aWrongTypeInFrontMatterPointsAtTheValue() {
        let errors = buildErrors(["pico.toml": "title = \"x\"\n", "content/a.md": "---\ntitle: ok\ndate: last tuesday\n---\n"])
        #expect(errors.first?.location == SourceLocation(file: "content/a.md", line: 3, column: 7))
        #expect(errors.first?.message.contains("date") == true)
    }

    @Test func anUnclosedFrontMatterIsReported() {
        let errors = buildErrors(["pico.toml": "title = \"x\"\n", "content/a.md": "---\ntitle: ok\n"])
        #expect(errors.first?.message.contains("never closed") == true)
    }

    @Test func aTemplateErrorNamesTheTemplateLine() {
        let errors = buildErrors([
            "pico.toml": "title = \"x\"\n", "content/a.md": "x",
            "templates/page.mustache": "<html>\n<body>{{#page}}\n{{/pages}}</body>\n",
        ])
        #expect(errors.first?.location.file == "templates/page.mustache")
        #expect(errors.first?.location.line == 3)
    }

    @Test func badPicoTomlNamesTheLine() {
        let errors = buildErrors(["pico.toml": "title = \"x\"\nlanguage = en\n"])
        #expect(errors.first?.location.file == "pico.toml")
        #expect(errors.first?.location.line == 2)
    }

    @Test func everyBrokenLinkIsReportedWithItsSourcePosition() {
        let errors = buildErrors([
            "pico.toml": "title = \"x\"\n",
            "content/a.md": "---\ntitle: A\n---\nFirst line.\nSee [b](/nowhere/) and ![i](/img/none.png).\n",
            "static/page.html": "<p>\n  <a href=\"/gone.html\">x</a>\n</p>\n",
        ])
        let byFile = Dictionary(grouping: errors, by: \.location.file)
        #expect(byFile["content/a.md"]?.map(\.location.line) == [5, 5])
        #expect(byFile["content/a.md"]?.map(\.location.column) == [9, 29])
        #expect(byFile["static/page.html"]?.first?.location == SourceLocation(file: "static/page.html", line: 2, column: 12))
        #expect(byFile["static/page.html"]?.first?.sourceLine == "  <a href=\"/gone.html\">x</a>")
    }

    @Test func brokenLinksCanBeAllowed() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": "title = \"x\"\n", "content/a.md": "[b](/nowhere/)\n"], under: "site")
        var options = BundleBuilder.Options(input: site)
        options.allowBrokenLinks = true
        let result = try BundleBuilder(options).build()
        #expect(result.warnings.count == 1)
    }

    @Test func aFailedBuildLeavesThePreviousOutputUntouched() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": "title = \"x\"\n", "content/a.md": "fine\n"], under: "site")
        let first = try BundleBuilder(.init(input: site)).build()
        let before = try Data(contentsOf: first.output.appendingPathComponent("pico-manifest.json"))
        folder.write(["content/a.md": "[b](/nowhere/)\n", "content/c.md": "new page\n"], under: "site")
        #expect(throws: FileErrors.self) { try BundleBuilder(.init(input: site)).build() }
        #expect(try Data(contentsOf: first.output.appendingPathComponent("pico-manifest.json")) == before)
        #expect(!FileManager.default.fileExists(atPath: first.output.appendingPathComponent("c/index.html").path))
        #expect(BundleVerifier().verify(folder: first.output).isValid)
        // No staging folder is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: site.path).filter { $0.contains("pico-staging") }
        #expect(leftovers.isEmpty)
    }

    @Test func anOutputFolderThatIsNotABundleIsNeverReplaced() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": "title = \"x\"\n", "content/a.md": "fine\n"], under: "site")
        folder.write(["precious.txt": "keep me"], under: "elsewhere")
        #expect(throws: BundleBuilder.Failure.self) {
            try BundleBuilder(.init(input: site, output: folder.path("elsewhere"))).build()
        }
        #expect(folder.read("elsewhere/precious.txt") == "keep me")
        #expect(throws: BundleBuilder.Failure.self) {
            try BundleBuilder(.init(input: site, output: folder.url)).build()
        }
    }

    @Test func twoSourcesWritingOnePathIsAnError() {
        let errors = buildErrors(["pico.toml": "title = \"x\"\n", "content/about.md": "a", "content/about/index.md": "b"])
        #expect(errors.contains { $0.message.contains("/about/index.html") })
    }
}
