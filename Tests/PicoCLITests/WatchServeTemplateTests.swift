import Foundation
import PicoFiles
import PicoTestSupport
import Testing

/// `pico serve SITE --watch` after an edit of one template: its log says how many pages were
/// rendered (the lists, not the forty notes), and SITE/public is what `pico build` makes.
@Suite(.serialized) struct WatchServeTemplateTests {
    @Test func anEditOfTheSectionTemplateRendersTheListsAloneAndSaysSo() throws {
        let folder = TemporaryFolder()
        let site = WatchServeTests.site(in: folder)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", site.path, "--watch", "--port", "0"], timeout: 60)
        let template = site.appendingPathComponent("templates/section.mustache")
        try (try String(contentsOf: template, encoding: .utf8)).replacingOccurrences(of: "<body>", with: "<body class=\"list\">")
            .write(to: template, atomically: false, encoding: .utf8)
        var served = ""
        for _ in 0..<400 where !served.contains("<body class=\"list\">") {
            usleep(25_000)
            served = String(decoding: try TestEnvironment.get(server.url + "part-2/").body, as: UTF8.self)
        }
        #expect(served.contains("<body class=\"list\">"))
        let public_ = site.appendingPathComponent("public")
        // The log line comes once the seal is in place.
        for _ in 0..<200 {
            if try TestEnvironment.get(server.url + "pico-manifest.json").body == Data(contentsOf: public_.appendingPathComponent("pico-manifest.json")) { break }
            usleep(25_000)
        }
        usleep(300_000)
        let log = server.stop()
        // The home page and four sections use section.mustache; the search page pico writes
        // itself (no search.mustache here) is made again on every plan.
        #expect(log.contains("planned again, rendered 6 pages, rewrote index.html, part-0/index.html, part-1/index.html, part-2/index.html, part-3/index.html in"), "\(log)")

        let fresh = folder.path("fresh")
        #expect(try TestEnvironment.pico("build", site.path, "-o", fresh.path, "-q").status == 0)
        let ours = try FileTree.walk(public_).map(\.path), theirs = try FileTree.walk(fresh).map(\.path)
        #expect(ours == theirs)
        for path in ours where theirs.contains(path) {
            #expect(try Data(contentsOf: public_.appendingPathComponent(path)) == Data(contentsOf: fresh.appendingPathComponent(path)), "\(path)")
        }
    }
}
