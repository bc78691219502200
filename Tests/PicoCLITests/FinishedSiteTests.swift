import Foundation
import PicoTestSupport
import Testing

/// A real Hugo site's `public/`, bundled by pico as a finished static site.
@Suite struct FinishedSiteTests {
    @Test(.enabled(if: TestEnvironment.hasProgram("hugo"), "needs Debian's hugo (make test installs it)"))
    func hugoOutputBecomesAPortableBundle() throws {
        let folder = TemporaryFolder()
        let generator = TestEnvironment.corpusGenerator.path
        try #require(try TestEnvironment.run("python3", [generator, folder.path("corpus").path, "--pages", "60"]).status == 0)
        let hugo = try TestEnvironment.run("hugo", ["--quiet", "-s", folder.path("corpus/hugo").path, "-d", folder.path("public").path])
        try #require(hugo.status == 0, "\(hugo.stderr)")

        let built = try TestEnvironment.pico("build", folder.path("public").path)
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stdout.contains("finished site"))
        let bundle = folder.path("public.bundle")
        // Hugo writes root-relative and folder links; the bundle has none left.
        let hugoIndex = try String(contentsOf: folder.path("public/part-00/note-00000/index.html"), encoding: .utf8)
        #expect(hugoIndex.contains("/\""))
        let check = try TestEnvironment.run("python3", [TestEnvironment.repository.appendingPathComponent("Tests/tools/check_bundle_links.py").path, bundle.path])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(try TestEnvironment.pico("verify", bundle.path).status == 0)
        #expect(try TestEnvironment.run("sha256sum", ["--quiet", "--strict", "-c", "SHA256SUMS"], in: bundle).status == 0)
    }
}
