import Foundation
import PicoCore
@testable import PicoSilo
import PicoTestSupport
import Testing

/// A drive library's merged search index (issue 17): three sites built and published with the
/// real `pico` into one folder; the library's index.html, opened by file:// in headless
/// Chromium (Tests/tools/search_check.py over browser.py's DevTools driver), finds the pages of
/// each bundle, names each result's bundle, opens a result's page, and keeps a clean console.
@Suite struct LibrarySearchTests {
    /// Three finished sites, each with words no other has, and one word ("almanac") in all.
    static let sites: [(folder: String, title: String, files: [String: String])] = [
        ("harbour", "Harbour Notes", [
            "index.html": page("Harbour Notes", "<h1>Harbour Notes</h1><p>The almanac of the harbour, kept by the keeper.</p><a href=\"tides/index.html\">Tides</a>"),
            "tides/index.html": page("Tides", "<h1>Tides</h1><p>The lighthouse keeper writes the tides down each morning.</p>"),
        ]),
        ("kitchen", "Kitchen Book", [
            "index.html": page("Kitchen Book", "<h1>Kitchen Book</h1><p>An almanac of recipes.</p><a href=\"jam.html\">Jam</a> <a href=\"bread.html\">Bread</a>"),
            "jam.html": page("Jam", "<h1>Jam</h1><p>Seville oranges become marmalade in January.</p>"),
            "bread.html": page("Bread", "<h1>Bread</h1><p>Sourdough wants a warm kitchen and patience.</p>"),
        ]),
        ("mountain", "Mountain Log", [
            "index.html": page("Mountain Log", "<h1>Mountain Log</h1><p>The almanac of the climbs.</p><a href=\"ice/index.html\">Ice</a>"),
            "ice/index.html": page("Ice", "<h1>Ice</h1><p>The glacier moved forty metres this year.</p>"),
        ]),
    ]

    static func page(_ title: String, _ body: String) -> String {
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(title)</title></head>"
            + "<body><nav><a href=\"index.html\">navigation words</a></nav><main>\(body)</main></body></html>\n"
    }

    static func folderName(_ title: String) -> String { LibraryText.folderName(forBundleNamed: title) }

    /// Builds `site` with `pico build --name TITLE` and publishes it into `library`; pico's output.
    static func buildAndPublish(_ site: (folder: String, title: String, files: [String: String]), in temp: TemporaryFolder,
                                to library: URL) throws -> ProcessOutput {
        let source = temp.write(site.files, under: "src-" + site.folder)
        let bundle = temp.path("bundle-" + site.folder)
        let built = try TestEnvironment.pico("build", source.path, "-o", bundle.path, "--name", site.title, "-q")
        #expect(built.status == 0, "\(built.stdout)\(built.stderr)")
        let published = try TestEnvironment.pico("publish", bundle.path, "--to", library.path)
        #expect(published.status == 0, "\(published.stdout)\(published.stderr)")
        return published
    }

    static func searchCheck(_ arguments: [String]) throws -> ProcessOutput {
        try TestEnvironment.run("/usr/bin/python3", [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/search_check.py").path,
        ] + arguments + ["--timeout", "120"])
    }

    @Test func aQueryFromTheLibrarysIndexFindsPagesOfEveryBundleByFileURL() throws {
        let temp = TemporaryFolder()
        let library = temp.path("drive")
        for site in Self.sites {
            let published = try Self.buildAndPublish(site, in: temp, to: library)
            #expect(!published.stderr.contains("warning:"), "no warning (the search index among them): \(published.stderr)")
        }
        let (harbour, kitchen, mountain) = (Self.folderName("Harbour Notes"), Self.folderName("Kitchen Book"), Self.folderName("Mountain Log"))

        // The merged index: one index.js naming the three bundles, in the library's pico-search/.
        let index = temp.read("drive/pico-search/index.js")
        #expect(index.hasPrefix("PicoSearch.index(") && index.contains("\"format\":\"pico-search/1\""))
        #expect(index.contains("[\"\(harbour)\",\"Harbour Notes\"]") && index.contains("[\"\(kitchen)\",\"Kitchen Book\"]")
                && index.contains("[\"\(mountain)\",\"Mountain Log\"]"), "\(index.prefix(600))")
        #expect(FileManager.default.fileExists(atPath: library.path + "/pico-search/search.js"))
        let page = temp.read("drive/index.html")
        #expect(page.contains("data-pico-search-results=\"library-results\"") && page.contains("<script src=\"pico-search/search.js\"></script>"))
        // Nothing of the rebuild is left beside the journals, and the bundles still verify.
        #expect(!FileManager.default.fileExists(atPath: library.path + "/.pico"))
        let verified = try TestEnvironment.pico("verify", library.path)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        let url = "file://" + library.path + "/"
        let result = try Self.searchCheck([
            url, "--page", "index.html",
            "--expect", "lighthouse=\(harbour)/tides/index.html",
            "--expect", "marmalade=\(kitchen)/jam.html",
            "--expect", "glacier=\(mountain)/ice/index.html",
            "--expect", "sourdough patience=\(kitchen)/bread.html",
            "--mark", "marmalade=marmalade", "--mark", "glacier=glacier",
            "--bundle", "lighthouse=Harbour Notes", "--bundle", "marmalade=Kitchen Book", "--bundle", "glacier=Mountain Log",
            "--none", "navigation",
            "--keyboard", "glacier=\(mountain)/ice/index.html",
        ])
        #expect(result.status == 0 && result.stdout.contains("search_check.py: PASS"), "\(result.stdout)\n\(result.stderr)")

        // A word of all three bundles: a result from each, each naming its own bundle.
        let almanac = try Self.searchCheck([
            url, "--page", "index.html",
            "--expect", "almanac=", "--bundle", "almanac harbour=Harbour Notes", "--bundle", "almanac climbs=Mountain Log",
            "--bundle", "almanac recipes=Kitchen Book",
        ])
        #expect(almanac.status == 0 && almanac.stdout.contains("search_check.py: PASS"), "\(almanac.stdout)\n\(almanac.stderr)")
    }

    /// Only bytes the manifest vouches for are indexed: a page changed on the drive after it was
    /// published is left out of the next rebuild (named in publish's warnings), its bundle's
    /// other pages stay; a bundle's own pico-search/ is never read (its index is not the library's).
    @Test func aPageChangedOnTheDriveIsLeftOutOfTheNextRebuild() throws {
        let temp = TemporaryFolder()
        let library = temp.path("drive")
        _ = try Self.buildAndPublish(Self.sites[0], in: temp, to: library)
        _ = try Self.buildAndPublish(Self.sites[1], in: temp, to: library)
        let kitchen = Self.folderName("Kitchen Book")
        let jam = library.path + "/\(kitchen)/jam.html"
        let tampered = try String(contentsOfFile: jam, encoding: .utf8).replacingOccurrences(of: "marmalade", with: "sabotage")
        try Data(tampered.utf8).write(to: URL(fileURLWithPath: jam))
        let third = try Self.buildAndPublish(Self.sites[2], in: temp, to: library)
        #expect((third.stdout + third.stderr).contains("\(kitchen)/jam.html: does not match the manifest"), "\(third.stdout)\(third.stderr)")

        let index = try String(contentsOfFile: library.path + "/pico-search/index.js", encoding: .utf8)
        #expect(index.contains("\"documents\":6"), "seven pages, one left out: \(index.prefix(300))")
        let result = try Self.searchCheck([
            "file://" + library.path + "/", "--page", "index.html",
            "--expect", "sourdough=\(kitchen)/bread.html", "--bundle", "sourdough=Kitchen Book",
            "--none", "sabotage", "--none", "marmalade",
        ])
        #expect(result.status == 0 && result.stdout.contains("search_check.py: PASS"), "\(result.stdout)\n\(result.stderr)")
    }
}
