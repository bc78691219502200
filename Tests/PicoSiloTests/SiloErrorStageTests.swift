import Foundation
import PicoCore
import PicoNostr
import PicoRetry
import PicoS3
@testable import PicoSilo
import PicoTestSupport
import Testing

/// A silo's error says what the silo was doing ("downloading css/site.css from s3://b/p") and
/// keeps the error underneath as an error, not only its words.
@Suite struct SiloErrorStageTests {
    struct Underlying: Error, CustomStringConvertible { var description: String { "connection reset" } }

    @Test func anErrorNamesTheStageAndKeepsItsCause() throws {
        let error = try #require(throws: SiloError.self) {
            try SiloError.during("downloading css/site.css from s3://b/p") { throw Underlying() }
        }
        #expect(error.stage == "downloading css/site.css from s3://b/p")
        #expect(error.cause is Underlying)
        #expect(error.description == "downloading css/site.css from s3://b/p: connection reset")
        // The nearer stage stays; a verdict on the bundle gets none (it says all itself).
        let nested = try #require(throws: SiloError.self) {
            try SiloError.during("fetching s3://b/p") { try SiloError.during("committing /x") { throw Underlying() } }
        }
        #expect(nested.stage == "committing /x")
        let verdict = try #require(throws: SiloError.self) {
            try SiloError.during("verifying") { throw SiloError.verdict("the bundle at x does not verify; nothing was fetched:") }
        }
        #expect(verdict.stage == nil && verdict.description == "the bundle at x does not verify; nothing was fetched:")
        // Errors made from words alone read as before.
        #expect(SiloError("no bundle here").description == "no bundle here")
    }

    @Test func aDownloadCutOffNamesTheFileTheBucketAndTheTries() async throws {
        let folder = TemporaryFolder()
        let site = folder.write([
            "index.html": "<!doctype html><html><head><title>t</title><link rel=stylesheet href=\"css/site.css\"></head><body></body></html>",
            "css/site.css": "body { color: teal }",
        ], under: "site")
        let built = try TestEnvironment.run(TestEnvironment.pico.path, ["build", site.path, "-o", folder.path("bundle").path, "-q"])
        #expect(built.status == 0, "\(built.stderr)")
        let server = try ServerProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/s3_hostile_server.py").path, folder.path("bundle").path,
            "--bucket", "b", "--prefix", "p", "--mode", "no-token", "--drop", "css/site.css",
        ])
        defer { _ = server.stop() }
        let location = try S3Location.resolve("s3://b/p?endpoint=\(server.url)", environment: [
            "AWS_ACCESS_KEY_ID": "AKIASTAGE", "AWS_SECRET_ACCESS_KEY": "stage-secret", "AWS_REGION": "us-east-1",
        ], home: "/nonexistent")
        var silo = S3Silo(location: location)
        silo.retry = RetryPolicy(attempts: 3, baseDelay: 0.01, maxDelay: 0.05)

        let error = await #expect(throws: SiloError.self) {
            try await silo.fetch(to: folder.path("fetched"), verifier: .standard())
        }
        #expect(error?.stage == "downloading css/site.css from s3://b/p", "\(String(describing: error))")
        let cause = try #require(error?.cause as? S3Error)
        #expect(cause.kind == .network && cause.cause != nil, "the network's own error is kept: \(cause)")
        let text = error?.description ?? ""
        #expect(text.hasPrefix("downloading css/site.css from s3://b/p: GET s3://b/p/css/site.css at \(server.url) failed: "), "\(text)")
        #expect(text.hasSuffix("(gave up after 3 attempts)"), "\(text)")
        #expect(!text.contains("stage-secret"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("fetched").path), "nothing is left behind")
    }

    /// The nostr fetch names its stages too: here the first, reading the site event, fails
    /// because no relay can be reached, and the relay's own error is kept underneath.
    @Test func aNostrFetchNamesItsStage() async throws {
        let key = AuthorKey.generate()
        let site = try NostrSiteAddress(parsing: "nostr:\(key.npub)?relay=ws://127.0.0.1:9&site=blog")
        let folder = TemporaryFolder()
        let error = await #expect(throws: SiloError.self) {
            try await NostrSilo(reading: site).fetch(to: folder.path("fetched"), verifier: .standard())
        }
        #expect(error?.stage == "reading the site event of \(site)", "\(String(describing: error))")
        #expect(error?.description.hasPrefix("reading the site event of nostr:") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: folder.path("fetched").path), "nothing is left behind")
    }

    @Test func aRelayThatCannotBeReachedIsNamedAsConnecting() async throws {
        let error = await #expect(throws: RelayError.self) {
            _ = try await RelayConnection.open("ws://127.0.0.1:9", timeout: .seconds(5))
        }
        #expect(error?.description.hasPrefix("connecting to ws://127.0.0.1:9: ") == true, "\(String(describing: error))")
        #expect(error?.cause != nil)
    }
}
