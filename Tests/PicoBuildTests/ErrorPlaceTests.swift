import Foundation
@testable import PicoBuild
import PicoCore
import PicoImage
import PicoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Errors name the place they are about: the line and column when the problem is at one
/// (`[app]` settings in pico.toml, a section's sort_by, a page's template), and only the file
/// when it is the file as a whole (no made-up `1:1`).
@Suite struct ErrorPlaceTests {
    func buildErrors(_ files: [String: String], in folder: TemporaryFolder = TemporaryFolder(),
                     prepare: (URL) throws -> Void = { _ in }) throws -> [FileError] {
        try errorsOfBuilding(files, in: folder, prepare: prepare)
    }

    // MARK: The file as a whole: no position

    @Test func anErrorAboutAWholeFileHasNoLineAndPrintsOnlyTheFile() {
        let error = FileError("is a special file", file: "static/fifo", hint: "remove it")
        #expect(error.location.line == nil && error.location.column == nil)
        #expect(error.description == "static/fifo: error: is a special file\nhint: remove it")
        #expect(SourceLocation(file: "a.md", line: 3, column: 7).description == "a.md:3:7")
    }

    @Test func aSpecialFileInAFinishedSiteIsNamedWithoutAPosition() throws {
        let errors = try buildErrors(["index.html": "<title>x</title>"]) { site in
            #expect(mkfifo(site.appendingPathComponent("pipe").path, 0o600) == 0)
        }
        let error = try #require(errors.first { $0.message.contains("special file") })
        #expect(error.location.file == "pipe")
        #expect(error.location.line == nil, "not an invented 1:1")
        #expect(error.description.hasPrefix("pipe: error: is a special file"))
    }

    @Test func twoSourcesOfOneOutputAreReportedOnceWithTheSlugHint() throws {
        let errors = try buildErrors(["pico.toml": "title = \"x\"\n", "content/about.md": "a", "content/about/index.md": "b"])
        let collisions = errors.filter { $0.message.contains("/about/index.html") }
        #expect(collisions.count == 1, "\(errors)")
        #expect(collisions.first?.location.line == nil)
        #expect(collisions.first?.hint?.contains("slug:") == true)
    }

    @Test func aLinkTheTemplateWroteIsAtItsPageWithoutAPosition() throws {
        let errors = try buildErrors([
            "pico.toml": "title = \"x\"\n", "content/a.md": "a",
            "templates/page.mustache": "<html><head></head><body><a href=\"{{root}}gone.html\">x</a></body></html>",
        ])
        let link = try #require(errors.first { $0.kind == .brokenLink })
        #expect(link.location.file == "content/a.md" && link.location.line == nil, "\(link)")
    }

    // MARK: Real positions

    @Test func aBadSortByPointsAtItsValue() throws {
        let errors = try buildErrors(["pico.toml": "title = \"x\"\n", "content/_index.md": "---\ntitle: Home\nsort_by: size\n---\n"])
        let error = try #require(errors.first { $0.message.contains("sort_by") })
        #expect(error.location == SourceLocation(file: "content/_index.md", line: 3, column: 10), "\(error)")
        #expect(error.sourceLine == "sort_by: size")
    }

    @Test func aMissingTemplatePointsAtTheFrontMatterThatNamesIt() throws {
        let errors = try buildErrors(["pico.toml": "title = \"x\"\n", "content/a.md": "---\ntitle: A\ntemplate: fancy\n---\nbody\n"])
        let error = try #require(errors.first { $0.message.contains("\"fancy\" does not exist") })
        #expect(error.location == SourceLocation(file: "content/a.md", line: 3, column: 11), "\(error)")
    }

    // MARK: [app] errors at their line of pico.toml

    func appError(_ toml: String, saying: String, files: [String: String] = [:],
                  prepare: (URL) throws -> Void = { _ in }) throws -> FileError {
        var site = ["pico.toml": toml, "content/_index.md": "# Home\n"]
        site.merge(files) { _, new in new }
        let errors = try buildErrors(site, prepare: prepare)
        return try #require(errors.first { $0.message.contains(saying) }, "\(errors)")
    }

    @Test(arguments: [
        ("title = \"T\"\n[app]\nstart_url = \"/app/\"\n", "start_url", 3, 13),
        ("title = \"T\"\n[app]\nname = \"N\"\nscope = \"https://x.example/\"\n", "scope", 4, 9),
        ("title = \"T\"\n[app]\ntheme_color = \"teal\"\n", "theme_color", 3, 15),
        ("title = \"T\"\n\n[app]\n  theme_color   =   \"#12\"\n", "theme_color", 4, 21),
    ])
    func anAppSettingErrorIsAtItsValue(toml: String, key: String, line: Int, column: Int) throws {
        let error = try appError(toml, saying: "[app] \(key)")
        #expect(error.location == SourceLocation(file: "pico.toml", line: line, column: column), "\(error)")
        #expect(error.description.hasPrefix("pico.toml:\(line):\(column): error: [app] \(key)"))
        #expect(error.sourceLine == toml.split(separator: "\n", omittingEmptySubsequences: false)[line - 1].description)
    }

    static func icons(_ site: URL) throws {
        try FileManager.default.createDirectory(at: site.appendingPathComponent("static/i"), withIntermediateDirectories: true)
        for size in [192, 512] {
            try IconPainter(background: (0, 0, 0)).icon(for: "A", size: size).pngData
                .write(to: site.appendingPathComponent("static/i/\(size).png"))
        }
    }

    @Test func anIconErrorIsAtTheIconItIsAbout() throws {
        // An icon of an inline array: at its src, or at its sizes.
        let missing = try appError("title = \"T\"\n[app]\nicons = [\n  { src = \"i/192.png\", sizes = \"192x192\" },\n  { src = \"i/none.png\" },\n]\n",
                                   saying: "the bundle has no file i/none.png", prepare: Self.icons)
        #expect(missing.location == SourceLocation(file: "pico.toml", line: 5, column: 11), "\(missing)")
        let wrongSize = try appError("title = \"T\"\n[app]\nicons = [{ src = \"i/512.png\", sizes = \"192x192\" }]\n",
                                     saying: "is 512x512, not the 192x192", prepare: Self.icons)
        #expect(wrongSize.location == SourceLocation(file: "pico.toml", line: 3, column: 39), "\(wrongSize)")
        // [[app.icons]] tables: an icon without src is at its first key.
        let noSource = try appError("title = \"T\"\n[[app.icons]]\nsrc = \"i/192.png\"\n[[app.icons]]\nsizes = \"512x512\"\n",
                                    saying: "icons[1] needs src", prepare: Self.icons)
        #expect(noSource.location == SourceLocation(file: "pico.toml", line: 5, column: 1), "\(noSource)")
        // A size no icon has: at icons.
        let lacking = try appError("title = \"T\"\n[app]\nicons = [{ src = \"i/192.png\" }]\n", saying: "no 512x512 icon", prepare: Self.icons)
        #expect(lacking.location == SourceLocation(file: "pico.toml", line: 3, column: 9), "\(lacking)")
    }
}
