import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// Bundles in real headless Chromium (Debian's `chromium`, driven over the DevTools protocol by
/// Tests/tools/browser.py): the service worker, offline pages, installability, a tampered
/// file, an update, file://, and the app example's data. Screenshots go to .build/screenshots.
@Suite(.serialized) struct BrowserTests {
    static let screenshots = TestEnvironment.repository.appendingPathComponent(".build/screenshots")

    /// One scenario of browser.py; its last line says PASS or FAIL and why.
    static func scenario(_ arguments: [String], screenshot: String? = nil) throws -> ProcessOutput {
        // Generous: the other suites run beside these on two cores, and Chromium starts slowly then.
        var arguments = arguments + ["--timeout", "150"]
        if let screenshot {
            try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
            arguments += ["--screenshot", screenshots.appendingPathComponent(screenshot).path]
        }
        return try TestEnvironment.run("/usr/bin/python3", [TestEnvironment.repository.appendingPathComponent("Tests/tools/browser.py").path] + arguments)
    }

    static func build(_ example: String, in folder: TemporaryFolder, named name: String) throws -> URL {
        let bundle = folder.path(name)
        let built = try TestEnvironment.pico("build", TestEnvironment.repository.appendingPathComponent("Examples/\(example)").path, "-o", bundle.path, "-q")
        try #require(built.status == 0, "\(built.stderr)")
        return bundle
    }

    static func serve(_ bundle: URL, base: String = "/a/b/") throws -> ServerProcess {
        try ServerProcess(TestEnvironment.pico, ["serve", bundle.path, "--port", "0", "--base", base])
    }

    static func expectPass(_ output: ProcessOutput, _ comment: Comment? = nil) {
        #expect(output.status == 0 && output.stdout.contains(": PASS"), "\(comment ?? "")\n\(output.stdout)\n\(output.stderr)")
    }

    /// At the top of a host and under a sub-path: the same bundle, the same worker.
    @Test(arguments: ["/", "/a/b/"])
    func theWorkerTakesOverAndPagesWorkWithTheServerStopped(base: String) throws {
        let folder = TemporaryFolder()
        let bundle = try Self.build("blog", in: folder, named: "blog")
        let server = try Self.serve(bundle, base: base)
        let result = try Self.scenario(["offline", server.url, "--server-pid", String(server.process.processIdentifier),
                                        "--pages", "about/index.html,posts/index.html,tags/index.html"],
                                       screenshot: base == "/" ? "blog-offline-root.png" : "blog-offline.png")
        _ = server.stop()
        Self.expectPass(result)
    }

    @Test(arguments: ["blog", "app"])
    func chromiumReportsNoInstallabilityErrors(example: String) throws {
        let folder = TemporaryFolder()
        let server = try Self.serve(try Self.build(example, in: folder, named: example))
        let result = try Self.scenario(["installable", server.url])
        _ = server.stop()
        Self.expectPass(result)
    }

    /// pico serve refuses the altered file itself; a plain static server hands it over, and
    /// then the worker's own Web Crypto check must refuse it. Either way nothing is cached.
    @Test func anAlteredFileIsNeverCachedAndTheWorkerSaysSo() throws {
        let folder = TemporaryFolder()
        let bundle = try Self.build("blog", in: folder, named: "blog")
        let css = bundle.appendingPathComponent("css/site.css")
        try (try String(contentsOf: css, encoding: .utf8) + "\nbody { color: red }\n").write(to: css, atomically: true, encoding: .utf8)

        let picoServer = try Self.serve(bundle)
        let refusedByServer = try Self.scenario(["tampered", picoServer.url, "--path", "css/site.css"])
        let log = picoServer.stop()
        Self.expectPass(refusedByServer)
        #expect(log.contains("refused /css/site.css"), "\(log)")

        let plain = try ServerProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/browser.py").path, "static", bundle.path, "--base", "/a/b/", "--port", "0",
        ])
        let refusedByWorker = try Self.scenario(["tampered", plain.url, "--path", "css/site.css", "--expect-mismatch"],
                                                screenshot: "blog-tampered.png")
        _ = plain.stop()
        Self.expectPass(refusedByWorker)
    }

    @Test func aNewBuildUnderTheSamePathIsTakenWholeAfterReload() throws {
        let folder = TemporaryFolder()
        let site = folder.path("site")
        try FileManager.default.copyItem(at: TestEnvironment.repository.appendingPathComponent("Examples/blog"), to: site)
        let served = folder.path("served")
        try #require(try TestEnvironment.pico("build", site.path, "-o", served.path, "-q").status == 0)
        // Version 2 changes the home page and the stylesheet every page uses.
        for (file, addition) in [("content/_index.md", "\nA sentence added in the second version.\n"),
                                 ("static/css/site.css", "\nfooter { outline: 1px dotted; }\n")] {
            // The stylesheet is the blog starter's (Examples/blog says template = "blog"): a changed
            // copy in the site wins over it.
            let url = site.appendingPathComponent(file)
            let current = try (try? String(contentsOf: url, encoding: .utf8))
                ?? String(contentsOf: TestEnvironment.repository.appendingPathComponent("Templates/blog/" + file), encoding: .utf8)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (current + addition).write(to: url, atomically: true, encoding: .utf8)
        }
        let next = folder.path("next")
        try #require(try TestEnvironment.pico("build", site.path, "-o", next.path, "-q").status == 0)
        let old = try BundleManifest.decode(Data(contentsOf: served.appendingPathComponent("pico-manifest.json"))).id
        let new = try BundleManifest.decode(Data(contentsOf: next.appendingPathComponent("pico-manifest.json"))).id
        #expect(old != new)

        let server = try Self.serve(served)
        // The new version replaces the served folder in one rename, as a publish does.
        let swap = "mv '\(served.path)' '\(folder.path("old").path)' && mv '\(next.path)' '\(served.path)'"
        let result = try Self.scenario(["update", server.url, "--swap-cmd", swap], screenshot: "blog-updated.png")
        _ = server.stop()
        Self.expectPass(result)
        #expect(result.stdout.contains(String(new.prefix(12))), "\(result.stdout)")
    }

    @Test(arguments: ["blog", "app"])
    func fromFileEveryPageLoadsWithItsCSSAndImagesAndACleanConsole(example: String) throws {
        let folder = TemporaryFolder()
        let bundle = try Self.build(example, in: folder, named: example)
        let result = try Self.scenario(["file-pages", bundle.path], screenshot: "\(example)-file.png")
        Self.expectPass(result)
    }

    @Test func watchReloadsTheOpenPageWhenTheSiteChanges() throws {
        let folder = TemporaryFolder()
        let site = folder.path("site")
        try FileManager.default.copyItem(at: TestEnvironment.repository.appendingPathComponent("Examples/blog"), to: site)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", site.path, "--watch", "--port", "0"], timeout: 60)
        let home = site.appendingPathComponent("content/_index.md").path
        let result = try Self.scenario(["watch", server.url, "--touch-cmd", "printf '\\nWatched change 42.\\n' >> '\(home)'",
                                        "--expect", "Watched change 42"], screenshot: "blog-watch.png")
        _ = server.stop()
        Self.expectPass(result)
    }

    @Test func theAppKeepsItsDataOfflineAndExportImportCarriesIt() throws {
        let folder = TemporaryFolder()
        let server = try Self.serve(try Self.build("app", in: folder, named: "app"))
        let result = try Self.scenario(["app-data", server.url, "--server-pid", String(server.process.processIdentifier)],
                                       screenshot: "app.png")
        _ = server.stop()
        Self.expectPass(result)
    }
}
