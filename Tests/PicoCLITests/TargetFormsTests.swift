import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// verify, serve and fetch read their target through one parser, so a path and its file://
/// address mean the same to all three (serve and verify used to sniff the text differently).
@Suite struct TargetFormsTests {
    @Test func everyFormMeansTheSameToVerifyServeAndFetch() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<h1>one</h1>"], under: "library/one")
        let archive = folder.path("one.zip")
        #expect(try TestEnvironment.pico("pack", bundle.path, "-o", archive.path, "-q").status == 0)

        for target in [archive.path, "file://" + archive.path, folder.path("library").path, "file://" + folder.path("library").path,
                       bundle.path, "file://" + bundle.path] {
            let verified = try TestEnvironment.pico("verify", target)
            #expect(verified.status == 0, "verify \(target): \(verified.stderr)")
            let server = try ServerProcess(TestEnvironment.pico, ["serve", target, "--port", "0"])
            let page = try TestEnvironment.get(server.url + "index.html")
            #expect(page.status == 200 && page.body == Data("<h1>one</h1>".utf8), "serve \(target)")
            _ = server.stop()
        }
        // fetch copies a bundle out of a folder or library; an archive it names the command for.
        let fetched = try TestEnvironment.pico("fetch", "file://" + folder.path("library").path, "-o", folder.path("copy").path)
        #expect(fetched.status == 0 && folder.read("copy/index.html") == "<h1>one</h1>", "\(fetched.stderr)")
        let fromArchive = try TestEnvironment.pico("fetch", "file://" + archive.path, "-o", folder.path("copy2").path)
        #expect(fromArchive.status == 1 && fromArchive.stderr.contains("pico unpack"), "\(fromArchive.stderr)")

        // What does not exist is said so by all three, in the same words.
        let missing = folder.path("missing").path
        for arguments in [["verify", missing], ["serve", missing, "--port", "0"], ["fetch", missing, "-o", folder.path("x").path]] {
            let result = try TestEnvironment.run(TestEnvironment.pico.path, arguments)
            #expect(result.status == 1 && result.stderr.contains("\(missing) does not exist"), "\(arguments): \(result.stderr)")
        }
    }
}
