import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// `pico publish/fetch/verify/serve s3://…` against a real S3 server (moto, SigV4 enforced, from
/// Silos/s3/start-server.sh), checked with boto3 and the aws CLI.
@Suite(.serialized) struct S3SiloTests {
    static let tools = TestEnvironment.repository.appendingPathComponent("Tests/tools")

    /// A fresh server whose bucket `sites` holds Examples/blog at `blog`, as version v1.
    static func serverWithTheBlogPublished() throws -> (S3TestServer, TemporaryFolder, URL) {
        let s3 = try S3TestServer()
        let folder = TemporaryFolder()
        let first = try BlogFixture.build(in: folder, named: "v1")
        try s3.makeBucket("sites")
        let published = try s3.pico(["publish", first.path, "--to", "s3://sites/blog"])
        try #require(published.status == 0, "\(published.stderr)")
        return (s3, folder, first)
    }

    static func puts(_ log: [String]) -> [String] { log.filter { $0.contains("\"PUT ") } }

    @Test func publishThenReadBackWithBoto3FetchVerifyAndServe() throws {
        let s3 = try S3TestServer()
        let folder = TemporaryFolder()
        let bundle = try BlogFixture.build(in: folder)
        try s3.makeBucket("sites")

        let published = try s3.pico(["publish", bundle.path, "--to", "s3://sites/blog"])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("Published"))

        // boto3, not pico: exactly the bundle's objects, same bytes, the manifest's types.
        let checked = try TestEnvironment.run(TestEnvironment.venvPython, [Self.tools.appendingPathComponent("s3_check.py").path,
                                                                           "--cache-control", bundle.path, "s3://sites/blog"], environment: s3.environment)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        let files = try BlogFixture.manifest(bundle).files.count
        #expect(checked.stdout.contains("\(files + 2) objects match"), "\(checked.stdout)")
        let listed = try s3.aws(["s3", "ls", "--recursive", "s3://sites/blog/"])
        #expect(listed.stdout.split(separator: "\n").count == files + 2)

        let verified = try s3.pico(["verify", "s3://sites/blog"])
        #expect(verified.status == 0 && verified.stdout.hasPrefix("OK s3://sites/blog: \(files) files"), "\(verified.stdout)\(verified.stderr)")

        let fetched = folder.path("fetched")
        let fetch = try s3.pico(["fetch", "s3://sites/blog", "-o", fetched.path])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(try TestEnvironment.pico("verify", fetched.path).status == 0)
        for file in try BlogFixture.manifest(bundle).files.map(\.path) + ["pico-manifest.json", "SHA256SUMS"] {
            #expect(try Data(contentsOf: fetched.appendingPathComponent(file)) == Data(contentsOf: bundle.appendingPathComponent(file)), "\(file)")
        }

        // Served through the verifying server, straight from the bucket.
        let served = try ServerProcess(TestEnvironment.pico, ["serve", "s3://sites/blog", "--port", "0"], environment: s3.environment)
        let page = try TestEnvironment.get(served.url + "about/")
        #expect(page.status == 200 && page.type == "text/html; charset=utf-8")
        #expect(page.body == (try Data(contentsOf: bundle.appendingPathComponent("about/index.html"))))
        _ = served.stop()

        // Nothing pico printed holds the secret.
        let secret = try #require(s3.environment["AWS_SECRET_ACCESS_KEY"])
        for output in [published, verified, fetch] {
            #expect(!(output.stdout + output.stderr).contains(secret))
        }
    }

    @Test func aRepublishSendsOnlyWhatChangedPlusTheTwoManifests() throws {
        let (s3, folder, first) = try Self.serverWithTheBlogPublished()
        let before = Self.puts(s3.requestLog()).count

        // Same content again: not one PUT.
        let again = try s3.pico(["publish", first.path, "--to", "s3://sites/blog"])
        #expect(again.status == 0)
        #expect(Self.puts(s3.requestLog()).count == before)

        let second = try BlogFixture.build(in: folder, named: "v2") { site in
            let page = site.appendingPathComponent("content/about.md")
            let text = try String(contentsOf: page, encoding: .utf8)
            try (text + "\nOne more sentence, added for the republish test.\n").write(to: page, atomically: true, encoding: .utf8)
        }
        let old = Dictionary(try BlogFixture.manifest(first).files.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        let changed = try BlogFixture.manifest(second).files.filter { old[$0.path] != $0.sha256 }
        try #require(!changed.isEmpty)
        let republished = try s3.pico(["publish", second.path, "--to", "s3://sites/blog", "--json"])
        #expect(republished.status == 0, "\(republished.stderr)")
        let newPuts = Self.puts(s3.requestLog()).dropFirst(before)
        #expect(newPuts.count == changed.count + 2, "\(changed.map(\.path)): \(Array(newPuts))")
        for file in changed {
            #expect(newPuts.contains { $0.contains("/sites/blog/\(file.path) ") }, "\(file.path) was not sent")
        }
        // The manifest went last.
        #expect(newPuts.last?.contains("/sites/blog/pico-manifest.json ") == true)
        #expect(try s3.pico(["verify", "s3://sites/blog"]).status == 0)
    }

    @Test func aKilledPublishLeavesTheOldManifestAndItsFilesAndARerunFinishes() throws {
        let (s3, folder, first) = try Self.serverWithTheBlogPublished()
        let oldManifest = try Data(contentsOf: first.appendingPathComponent("pico-manifest.json"))

        // The new version adds enough files that the publish is still running when it is killed.
        let second = try BlogFixture.build(in: folder, named: "v2") { site in
            let media = site.appendingPathComponent("static/media")
            try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
            for index in 0..<400 {
                try Data((0..<32_768).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }).write(to: media.appendingPathComponent("file-\(index).bin"))
            }
        }
        let before = Self.puts(s3.requestLog()).count
        let process = Process()
        process.executableURL = TestEnvironment.pico
        process.arguments = ["publish", second.path, "--to", "s3://sites/blog"]
        process.environment = ProcessInfo.processInfo.environment.merging(s3.environment) { $1 }
        process.standardOutput = TestEnvironment.devNull()
        process.standardError = TestEnvironment.devNull()
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Self.puts(s3.requestLog()).count < before + 40, process.isRunning, Date() < deadline { usleep(5_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the publish finished before it could be killed")

        // The bucket still describes the old version, and every file of it is there.
        let manifestNow = folder.path("manifest-now.json")
        #expect(try s3.aws(["s3", "cp", "s3://sites/blog/pico-manifest.json", manifestNow.path]).status == 0)
        #expect(try Data(contentsOf: manifestNow) == oldManifest)
        let listing = try s3.aws(["s3", "ls", "--recursive", "s3://sites/blog/"]).stdout
        for file in try BlogFixture.manifest(first).files {
            #expect(listing.contains("blog/\(file.path)\n"), "\(file.path) is gone")
        }

        let rerun = try s3.pico(["publish", second.path, "--to", "s3://sites/blog"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let verified = try s3.pico(["verify", "s3://sites/blog"])
        let secondID = try BlogFixture.manifest(second).id
        #expect(verified.status == 0 && verified.stdout.contains(secondID), "\(verified.stdout)\(verified.stderr)")
    }

    @Test func aWrongSecretIsAClear403() throws {
        let s3 = try S3TestServer()
        let folder = TemporaryFolder()
        let bundle = try BlogFixture.build(in: folder)
        try s3.makeBucket("sites")
        let refused = try s3.pico(["publish", bundle.path, "--to", "s3://sites/blog"], extra: ["AWS_SECRET_ACCESS_KEY": "not-the-secret-1234"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("403") && refused.stderr.contains("SignatureDoesNotMatch")
                && refused.stderr.contains("AWS_SECRET_ACCESS_KEY"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("not-the-secret-1234"))

        let missing = try s3.pico(["publish", bundle.path, "--to", "s3://no-such-bucket/blog"])
        #expect(missing.status == 1 && missing.stderr.contains("\"no-such-bucket\" does not exist"), "\(missing.stderr)")
    }

    @Test func largeFilesGoUpInPartsAndPruneRemovesWhatIsNoLongerListed() throws {
        let s3 = try S3TestServer()
        let folder = TemporaryFolder()
        try s3.makeBucket("sites")
        // 20 MiB of incompressible bytes: above the 16 MiB multipart threshold.
        var generator = SystemRandomNumberGenerator()
        let big = Data((0..<(20 << 20) / 8).flatMap { _ in withUnsafeBytes(of: generator.next()) { Array($0) } })
        _ = folder.write(["site/index.html": "<!doctype html><title>Big</title><a href=\"big.bin\">big</a> <a href=\"old.html\">old</a>",
                          "site/old.html": "<!doctype html><title>Old</title>"])
        try big.write(to: folder.path("site/big.bin"))
        #expect(try TestEnvironment.pico("build", folder.path("site").path, "-o", folder.path("v1").path, "-q").status == 0)
        let published = try s3.pico(["publish", folder.path("v1").path, "--to", "s3://sites/big"])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(s3.requestLog().contains { $0.contains("\"POST /sites/big/big.bin?uploads") }, "no multipart upload was started")
        let checked = try TestEnvironment.run(TestEnvironment.venvPython, [Self.tools.appendingPathComponent("s3_check.py").path,
                                                                           folder.path("v1").path, "s3://sites/big"], environment: s3.environment)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")

        try FileManager.default.removeItem(at: folder.path("site/old.html"))
        _ = folder.write(["site/index.html": "<!doctype html><title>Big</title><a href=\"big.bin\">big</a>"])
        #expect(try TestEnvironment.pico("build", folder.path("site").path, "-o", folder.path("v2").path, "-q").status == 0)
        // Without --prune the old page stays, still served: verify fails, naming it.
        #expect(try s3.pico(["publish", folder.path("v2").path, "--to", "s3://sites/big"]).status == 0)
        let stale = try s3.pico(["verify", "s3://sites/big"])
        #expect(stale.status == 1 && stale.stderr.contains("unlisted: old.html") && stale.stderr.contains("--prune"), "\(stale.stdout)\(stale.stderr)")
        let pruned = try s3.pico(["publish", folder.path("v2").path, "--to", "s3://sites/big", "--prune"])
        #expect(pruned.status == 0 && pruned.stdout.contains("1 removed"), "\(pruned.stdout)\(pruned.stderr)")
        #expect(!(try s3.aws(["s3", "ls", "--recursive", "s3://sites/big/"]).stdout.contains("old.html")))
        let clean = try s3.pico(["verify", "s3://sites/big"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
    }

    @Test func publishSucceedsThroughDroppedConnectionsAnd503s() throws {
        let s3 = try S3TestServer()
        let folder = TemporaryFolder()
        let bundle = try BlogFixture.build(in: folder)
        try s3.makeBucket("sites")
        let stats = folder.path("proxy-stats.json")
        let proxy = try ServerProcess(URL(fileURLWithPath: TestEnvironment.venvPython), [
            Self.tools.appendingPathComponent("s3_fault_proxy.py").path, "--upstream", s3.url,
            "--fail-share", "0.3", "--seed", "11", "--stats", stats.path,
        ])
        let published = try s3.pico(["publish", bundle.path, "--to", "s3://sites/blog", "--json"],
                                    extra: ["AWS_ENDPOINT_URL": proxy.url])
        _ = proxy.stop()
        #expect(published.status == 0, "\(published.stderr)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(published.stdout.utf8)) as? [String: Any])
        #expect((answer["retries"] as? Int ?? 0) > 0, "the proxy injected no faults: \(published.stdout)")
        let faults = (try? String(contentsOf: stats, encoding: .utf8)) ?? ""
        #expect(faults.contains("503") || faults.contains("drop"), "\(faults)")
        // Checked directly against the server, not through the proxy.
        let verified = try s3.pico(["verify", "s3://sites/blog"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let checked = try TestEnvironment.run(TestEnvironment.venvPython, [Self.tools.appendingPathComponent("s3_check.py").path,
                                                                           bundle.path, "s3://sites/blog"], environment: s3.environment)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
    }

    @Test func aServerWithoutSHA256ChecksumsGetsContentMD5() throws {
        let s3 = try S3TestServer(serverEnvironment: ["PICO_S3_NO_CHECKSUMS": "1"])
        let folder = TemporaryFolder()
        let bundle = try BlogFixture.build(in: folder)
        try s3.makeBucket("sites")
        let published = try s3.pico(["publish", bundle.path, "--to", "s3://sites/blog"])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stderr.contains("Content-MD5"), "\(published.stderr)")
        let checked = try TestEnvironment.run(TestEnvironment.venvPython, [Self.tools.appendingPathComponent("s3_check.py").path,
                                                                           bundle.path, "s3://sites/blog"], environment: s3.environment)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
    }

    @Test func temporaryCredentialsWithASessionTokenWork() throws {
        let (s3, folder, first) = try Self.serverWithTheBlogPublished()
        let id = try withExtendedLifetime(folder) { try BlogFixture.manifest(first).id }
        let session = s3.sessionEnvironment
        try #require(session["AWS_SESSION_TOKEN"] != nil)
        let verified = try TestEnvironment.run(TestEnvironment.pico.path, ["verify", "s3://sites/blog"], environment: session)
        #expect(verified.status == 0 && verified.stdout.contains(id), "\(verified.stdout)\(verified.stderr)")
        // The same key without its token is refused, so the token really was signed and sent.
        var tokenless = session
        tokenless["AWS_SESSION_TOKEN"] = ""
        let refused = try TestEnvironment.run(TestEnvironment.pico.path, ["verify", "s3://sites/blog"], environment: tokenless)
        #expect(refused.status == 1 && refused.stderr.contains("403"), "\(refused.stderr)")
        #expect(!(verified.stdout + verified.stderr + refused.stderr).contains(session["AWS_SESSION_TOKEN"]!))
    }
}
