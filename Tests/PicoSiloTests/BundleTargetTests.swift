import Foundation
import PicoCore
@testable import PicoSilo
import PicoTestSupport
import Testing

/// The one parser of what verify, serve and fetch are pointed at: every form, every bad form,
/// and a path and its file:// address meaning the same thing.
@Suite struct BundleTargetTests {
    static let npub = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"
    static let credentials = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "PICO_S3_CONNECTIONS": "3"]

    static func parse(_ text: String, in folder: TemporaryFolder, environment: [String: String] = [:]) throws -> BundleTarget {
        try BundleTarget(parsing: text, environment: environment, currentDirectory: folder.url)
    }

    static func failure(_ text: String, in folder: TemporaryFolder, environment: [String: String] = [:]) -> BundleTargetError? {
        do {
            _ = try BundleTarget(parsing: text, environment: environment, currentDirectory: folder.url)
            return nil
        } catch {
            return error
        }
    }

    @Test func aBundleFolderIsAFolderByPathAndByFileAddress() async throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<h1>hi</h1>"], under: "site.bundle")
        for text in ["site.bundle", "./site.bundle/", bundle.path, "file://" + bundle.path, "file://localhost" + bundle.path] {
            let target = try Self.parse(text, in: folder)
            guard case .folder(let url) = target.form else { Issue.record("\(text): \(target.form)"); continue }
            #expect(url.path == bundle.standardizedFileURL.path, "\(text)")
            #expect(target.address == text)
        }
        let reports = try await Self.parse("file://" + bundle.path, in: folder).verify(with: .standard())
        #expect(reports.count == 1 && reports[0].isValid)
        let reader = try Self.parse("site.bundle", in: folder).reader()
        #expect(try await reader.readWhole("index.html", limit: 100) == Data("<h1>hi</h1>".utf8))
    }

    @Test func aFolderThatIsNeitherBundleNorLibraryIsAFolderThatDoesNotVerify() async throws {
        let folder = TemporaryFolder()
        folder.write(["index.html": "x"], under: "plain")
        let target = try Self.parse("plain", in: folder)
        guard case .folder = target.form else { Issue.record("\(target.form)"); return }
        let reports = try await target.verify(with: .standard())
        #expect(reports.count == 1 && !reports[0].isValid)
        #expect(reports[0].problems.contains { $0.description.contains("pico-manifest.json") }, "\(reports[0].problems)")
    }

    @Test func aFolderOfBundleFoldersIsALibrary() async throws {
        let folder = TemporaryFolder()
        try folder.makeBundle(["index.html": "a"], under: "drive/a")
        let target = try Self.parse("file://" + folder.path("drive").path, in: folder)
        guard case .library(let url) = target.form else { Issue.record("\(target.form)"); return }
        #expect(url.path == folder.path("drive").standardizedFileURL.path)
        // One bundle: it can be served and fetched.
        #expect(try await target.reader().readWhole("index.html", limit: 10) == Data("a".utf8))
        let fetched = try await target.fetch(to: folder.path("copy"), verifier: .standard())
        #expect(fetched.isValid && folder.read("copy/index.html") == "a")

        // Two: verified one by one, served or fetched not at all (which one?).
        try folder.makeBundle(["index.html": "b"], under: "drive/b")
        let two = try Self.parse("drive", in: folder)
        guard case .library = two.form else { Issue.record("\(two.form)"); return }
        let reports = try await two.verify(with: .standard())
        #expect(reports.count == 2 && reports.allSatisfy(\.isValid))
        #expect(throws: SiloError.self) { try two.reader() }
        await #expect(throws: SiloError.self) { try await two.fetch(to: folder.path("copy2"), verifier: .standard()) }
    }

    @Test func aFolderWithPicoTomlIsASiteThatVerifyReadsAsItsFolder() async throws {
        let folder = TemporaryFolder()
        folder.write(["pico.toml": "title = \"t\"\n", "content/_index.md": "# hi\n"], under: "site")
        let target = try Self.parse("site", in: folder)
        guard case .site(let url) = target.form else { Issue.record("\(target.form)"); return }
        #expect(url.path == folder.path("site").standardizedFileURL.path)
        #expect(throws: SiloError.self) { try target.reader() }
        #expect(try await target.verify(with: .standard()).allSatisfy { !$0.isValid })
        // Built (public/ is a bundle folder inside it): verify finds that bundle, as before.
        try folder.makeBundle(["index.html": "built"], under: "site/public")
        let built = try await Self.parse("file://" + folder.path("site").path, in: folder).verify(with: .standard())
        #expect(built.count == 1 && built[0].isValid && built[0].target.hasSuffix("/site/public"))
    }

    @Test func aFileIsAnArchiveWhateverItIsCalled() async throws {
        let folder = TemporaryFolder()
        folder.write(["b.zip": "not really a zip", "a:b": "a file whose name has a colon"])
        for text in ["b.zip", "file://" + folder.path("b.zip").path, "a:b"] {
            let target = try Self.parse(text, in: folder)
            guard case .archive = target.form else { Issue.record("\(text): \(target.form)"); continue }
        }
        let target = try Self.parse("b.zip", in: folder)
        let reports = try await target.verify(with: .standard())
        #expect(reports.count == 1 && !reports[0].isValid)
        #expect(throws: (any Error).self) { try target.reader() }
        do {
            _ = try await target.fetch(to: folder.path("out"), verifier: .standard())
            Issue.record("an archive was fetched")
        } catch {
            #expect(String(describing: error).contains("pico unpack"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("out").path))
    }

    @Test func siloAddressesAreSilos() throws {
        let folder = TemporaryFolder()
        let s3 = try Self.parse("s3://my-bucket/some/prefix?region=eu-west-1", in: folder, environment: Self.credentials)
        guard case .silo(let silo) = s3.form, let bucket = silo as? S3Silo else { Issue.record("\(s3.form)"); return }
        #expect(bucket.location.bucket == "my-bucket" && bucket.location.prefix == "some/prefix" && bucket.location.region == "eu-west-1")
        #expect(bucket.connections == 3)

        let site = try Self.parse("nostr:\(Self.npub)?relay=ws://127.0.0.1:7777", in: folder)
        guard case .silo(let nostr) = site.form, nostr is NostrSilo else { Issue.record("\(site.form)"); return }
        let relay = try Self.parse("wss://relay.example", in: folder)
        guard case .silo(let relaySilo) = relay.form, relaySilo is NostrSilo else { Issue.record("\(relay.form)"); return }
        // A relay is where bundles go, not one bundle: serving it says so.
        #expect(throws: SiloError.self) { try relaySilo.reader() }
    }

    @Test func badTargetsAreRefusedWithTheirReason() throws {
        let folder = TemporaryFolder()
        let cases: [(String, BundleTargetError.Kind, String)] = [
            ("", .empty, "no target"),
            ("missing", .doesNotExist, folder.path("missing").standardizedFileURL.path + " does not exist"),
            ("file:///no/such/pico/bundle", .doesNotExist, "/no/such/pico/bundle does not exist"),
            ("ftp://host/bundle", .unknownScheme, "unknown kind of address \"ftp:\""),
            // http(s):// is a web server's bundle (HTTPSilo, issue 16); one it cannot read is refused.
            ("https://user:pw@example.com/site", .badSiloAddress, "does not take a user or password"),
            ("https://example.com/site?x=1", .badSiloAddress, "no ?query"),
            ("file://otherhost/bundle", .badFileAddress, "write file:///absolute/path"),
            ("file:relative", .badFileAddress, "write file:///absolute/path"),
            ("s3://", .badSiloAddress, "names no bucket"),
            ("s3://Not_A_Bucket/x", .badSiloAddress, "is not a bucket name"),
            ("nostr:garbage", .badSiloAddress, "nostr:"),
            ("ws://", .badSiloAddress, "ws://"),
        ]
        for (text, kind, message) in cases {
            let error = Self.failure(text, in: folder, environment: Self.credentials)
            #expect(error?.kind == kind, "\(text): \(String(describing: error))")
            #expect(error?.description.contains(message) == true, "\(text): \(String(describing: error))")
        }
        // No credentials for a well-formed S3 address: the S3 error, unchanged.
        let noCredentials = Self.failure("s3://bucket/x", in: folder, environment: ["AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"])
        #expect(noCredentials?.kind == .badSiloAddress && noCredentials?.description.contains("no S3 credentials") == true)
    }

    @Test func aSpecialFileIsNeitherFolderNorArchive() throws {
        let folder = TemporaryFolder()
        let fifo = folder.path("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // Refused without opening it (opening a pipe with no writer would wait for ever).
        #expect(Self.failure("pipe", in: folder)?.kind == .notAFolderOrArchive)
        #expect(Self.failure("/dev/null", in: folder)?.kind == .notAFolderOrArchive)
    }
}
