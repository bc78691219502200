import Foundation
@testable import PicoBuild
import PicoCore
import PicoSearch
import PicoTestSupport
import Testing

/// The search index in built bundles (issue 17): written for pico sites and finished sites,
/// every file in SHA256SUMS and the manifest, left out by `--no-search` or `[search] enabled =
/// false`, the same bytes from the same site, and pages' words found in it.
@Suite struct SearchBuildTests {
    static let site: [String: String] = [
        "pico.toml": "title = \"Rivers\"\nlanguage = \"en\"\n",
        "templates/page.mustache": "<!doctype html><html lang=\"{{site.language}}\"><head><title>{{page.title}}</title></head><body><nav><a href=\"{{root}}\">navonly</a>{{#site.has_search}} <a href=\"{{root}}search/index.html\">Search</a>{{/site.has_search}}</nav><main>{{{page.content}}}</main></body></html>",
        "templates/section.mustache": "<!doctype html><html lang=\"en\"><head><title>{{page.title}}</title></head><body>{{#pages}}<a href=\"{{root}}{{url}}\">{{title}}</a> {{/pages}}</body></html>",
        "content/_index.md": "---\ntitle: Home\n---\nWelcome.\n",
        "content/otters.md": "---\ntitle: Otters\n---\n## Rivers\n\nOtters swim in rivers.\n",
        "content/herons.md": "---\ntitle: Herons\n---\nHerons wade in shallow water.\n",
    ]

    static func build(_ files: [String: String], in folder: TemporaryFolder, name: String = "site",
                      search: Bool = true) throws -> BundleBuilder.Result {
        var options = BundleBuilder.Options(input: folder.write(files, under: name), output: folder.path(name + "-" + UUID().uuidString))
        options.search = search
        options.sourceDateEpoch = 1_700_000_000
        return try BundleBuilder(options).build()
    }

    static func checksums(_ out: URL) throws -> [String: String] {
        let text = try String(contentsOf: out.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        var sums: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            sums[String(parts[1].drop { $0 == " " || $0 == "*" })] = String(parts[0])
        }
        return sums
    }

    /// The keys of the index's term shards (stems and words), read back from the files.
    static func keys(in out: URL) throws -> Set<String> {
        var keys: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("pico-search").path) where name.hasPrefix("t-") {
            let text = try String(contentsOf: out.appendingPathComponent("pico-search/" + name), encoding: .utf8)
            let json = text.dropFirst("PicoSearch.terms(\"\(name)\",".count).dropLast(3)
            let shard = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: String]])
            keys.formUnion(shard["stems"]!.keys)
            keys.formUnion(shard["words"]!.keys)
        }
        return keys
    }

    @Test func aPicoSiteGetsTheIndexTheRuntimeAndTheSearchPageAllInTheManifest() throws {
        let folder = TemporaryFolder()
        let result = try Self.build(Self.site, in: folder)
        let out = result.output
        let sums = try Self.checksums(out)
        for path in ["pico-search/search.js", "pico-search/index.js", "pico-search/t-000.js", "pico-search/d-000.js", "search/index.html"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(path).path), "\(path)")
            let data = try Data(contentsOf: out.appendingPathComponent(path))
            #expect(sums[path] == SHA256Hex.of(data), "\(path) in SHA256SUMS")
            #expect(result.manifest.files.contains { $0.path == path }, "\(path) in the manifest")
        }
        // sha256sum, not pico, agrees with every line.
        let check = try TestEnvironment.run("/usr/bin/sha256sum", ["--quiet", "--strict", "-c", "SHA256SUMS"], in: out)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(try String(contentsOf: out.appendingPathComponent("otters/index.html"), encoding: .utf8).contains("href=\"../search/index.html\""))
        let keys = try Self.keys(in: out)
        #expect(keys.isSuperset(of: ["otter", "otters", "river", "rivers", "heron", "wade", "shallow"]))
        #expect(!keys.contains("navonly"), "the <nav> is left out")
        let index = try String(contentsOf: out.appendingPathComponent("pico-search/index.js"), encoding: .utf8)
        #expect(index.contains("\"documents\":3"), "home, otters, herons: \(index.prefix(200))")
        #expect(index.contains("\"language\":\"en\""))
        #expect(try String(contentsOf: out.appendingPathComponent("search/index.html"), encoding: .utf8).contains("pico-search/search.js"))
        // The runtime carries index.js and d-000.js, so a cold query does not wait for them.
        let runtime = try Data(contentsOf: out.appendingPathComponent("pico-search/search.js"))
        let hottest = try Data(contentsOf: out.appendingPathComponent("pico-search/d-000.js"))
        #expect(runtime == Data(SearchAssets.runtime.utf8) + Data(index.utf8) + hottest)
    }

    @Test func noSearchAndEnabledFalseLeaveEveryPartOut() throws {
        let folder = TemporaryFolder()
        var off = Self.site
        off["pico.toml"]! += "[search]\nenabled = false\n"
        for result in [try Self.build(Self.site, in: folder, search: false), try Self.build(off, in: folder, name: "off")] {
            #expect(!result.manifest.files.contains { $0.path.hasPrefix("pico-search/") || $0.path == "search/index.html" })
            #expect(!FileManager.default.fileExists(atPath: result.output.appendingPathComponent("pico-search").path))
            #expect(try Self.checksums(result.output).keys.allSatisfy { !$0.hasPrefix("pico-search/") })
        }
        // site.has_search is false then, so the nav has no link to the search page; one that is
        // written anyway is a broken link.
        #expect(!(try String(contentsOf: try Self.build(off, in: folder, name: "off2").output.appendingPathComponent("otters/index.html"), encoding: .utf8)).contains("search/index.html"))
        var linked = off
        linked["templates/page.mustache"] = "<html><body><a href=\"{{root}}search/index.html\">Search</a></body></html>"
        #expect(throws: FileErrors.self) { try Self.build(linked, in: folder, name: "linked") }
    }

    @Test func theSameSiteGivesTheSameIndexBytes() throws {
        let folder = TemporaryFolder()
        let a = try Self.build(Self.site, in: folder, name: "a"), b = try Self.build(Self.site, in: folder, name: "b")
        let files = a.manifest.files.filter { $0.path.hasPrefix("pico-search/") }
        #expect(files.count >= 4)
        #expect(files.map(\.sha256) == b.manifest.files.filter { $0.path.hasPrefix("pico-search/") }.map(\.sha256))
        #expect(a.manifest.id == b.manifest.id)
    }

    @Test func aFinishedSiteIsIndexedInItsOwnLanguageAndKeepsItsOwnSearchPage() throws {
        let folder = TemporaryFolder()
        let site = [
            "index.html": "<!doctype html><html lang=\"fr-CA\"><head><title>Accueil</title></head><body><h1>Rivières</h1><p>Les loutres nagent.</p></body></html>",
            "a/b.htm": "<html><head><title>Chevaux</title></head><body><p>Des chevaux blancs.</p></body></html>",
            "404.html": "<html><body>introuvable</body></html>",
            "hidden.html": "<html><head><meta name=\"robots\" content=\"noindex\"></head><body>cachémot</body></html>",
        ]
        let result = try Self.build(site, in: folder)
        #expect(result.kind == .finishedSite)
        let index = try String(contentsOf: result.output.appendingPathComponent("pico-search/index.js"), encoding: .utf8)
        #expect(index.contains("\"language\":\"fr\"") && index.contains("\"documents\":2"), "\(index)")
        let keys = try Self.keys(in: result.output)
        // French stems: chevaux → cheval, nagent → nagent's stem, loutres → loutr.
        #expect(keys.isSuperset(of: ["cheval", "chevaux", "loutr", "loutres"]), "\(keys.sorted())")
        #expect(!keys.contains("introuvable") && !keys.contains("cachémot"))
        let page = try String(contentsOf: result.output.appendingPathComponent("search/index.html"), encoding: .utf8)
        #expect(page.contains("lang=\"fr\""))

        var own = site
        own["search/index.html"] = "<html><body>my own search</body></html>"
        let kept = try Self.build(own, in: folder, name: "own")
        #expect(try String(contentsOf: kept.output.appendingPathComponent("search/index.html"), encoding: .utf8).contains("my own search"))
        #expect(kept.manifest.files.contains { $0.path == "pico-search/index.js" })
    }

    @Test func aPicoSiteFileInsidePicoSearchIsRefusedAndABundleBuiltAgainGetsANewIndex() throws {
        let folder = TemporaryFolder()
        var site = Self.site
        site["static/pico-search/mine.js"] = "//"
        #expect(throws: FileErrors.self) { try Self.build(site, in: folder) }
        #expect(try Self.build(site, in: folder, name: "off", search: false).manifest.files.contains { $0.path == "pico-search/mine.js" })
        // A bundle is a finished site: built again, its old index is replaced by the new one.
        let first = try Self.build(["index.html": "<html><body><p>alpha</p></body></html>"], in: folder, name: "first")
        var options = BundleBuilder.Options(input: first.output, output: folder.path("again"))
        options.sourceDateEpoch = 1_700_000_000
        let again = try BundleBuilder(options).build()
        #expect(again.manifest.files.filter { $0.path.hasPrefix("pico-search/") }.map(\.sha256)
                == first.manifest.files.filter { $0.path.hasPrefix("pico-search/") }.map(\.sha256))
    }

    @Test func searchTextCharsIsReadFromPicoToml() throws {
        #expect(try SiteConfig.parse("[search]\ntext_chars = 200\n").search.textChars == 200)
        #expect(try SiteConfig.parse("").search == SearchSettings())
        do {
            _ = try SiteConfig.parse("[search]\nenabled = \"no\"\n")
            Issue.record("a string for enabled was taken")
        } catch {
            #expect(error.message.contains("`enabled` must be true or false") && error.location.line == 2, "\(error)")
        }
    }
}
