import Foundation
import PicoCore
@testable import PicoSilo
import PicoTestSupport
import Testing

/// The http(s) silo (issue 16 point 2): `pico fetch|verify|serve http://host/path/` read a bundle
/// that a plain web server serves as files. Real servers: Python's own `http.server`, and
/// Tests/tools/hostile_mirror.py for the faults (a flipped byte, 404, oversize and endless
/// bodies, a stall, redirects, 500).
@Suite(.serialized) struct HTTPSiloTests {
    static let tools = TestEnvironment.repository.appendingPathComponent("Tests/tools")

    /// Examples/blog built and signed once; each test serves its own copy.
    static let blog: (folder: TemporaryFolder, bundle: URL) = {
        let folder = TemporaryFolder("pico-http-silo")
        let key = folder.path("author.key").path
        let made = try! TestEnvironment.run(TestEnvironment.pico.path, ["key", "new", "-o", key])
        precondition(made.status == 0, made.stderr)
        let bundle = folder.path("blog")
        let built = try! TestEnvironment.run(TestEnvironment.pico.path,
                                             ["build", TestEnvironment.repository.appendingPathComponent("Examples/blog").path,
                                              "-o", bundle.path, "-q", "--key", key])
        precondition(built.status == 0, built.stderr)
        return (folder, bundle)
    }()

    /// A copy of the blog at `<root>/sub/path/` of a new folder: (root, bundle copy).
    static func servedCopy(in folder: TemporaryFolder) throws -> (root: URL, bundle: URL) {
        let root = folder.path("www")
        let bundle = root.appendingPathComponent("sub/path")
        try FileManager.default.createDirectory(at: bundle.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: blog.bundle, to: bundle)
        return (root, bundle)
    }

    /// Python's `http.server` over `root`, and its root URL ("Serving HTTP on … (http://127.0.0.1:PORT/) …").
    static func pythonServer(_ root: URL) throws -> (process: ServerProcess, url: String) {
        let process = try ServerProcess(URL(fileURLWithPath: "/usr/bin/python3"),
                                        ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root.path])
        let port = try #require(URL(string: process.url.trimmingCharacters(in: CharacterSet(charactersIn: ")")))?.port)
        return (process, "http://127.0.0.1:\(port)/")
    }

    static func hostile(_ bundle: URL, _ faults: [String]) throws -> ServerProcess {
        try ServerProcess(URL(fileURLWithPath: "/usr/bin/python3"),
                          [tools.appendingPathComponent("hostile_mirror.py").path, bundle.path, "--base", "/sub/path/"]
                            + faults.flatMap { ["--fault", $0] })
    }

    static func pico(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.pico.path, arguments, environment: environment)
    }

    /// Every regular file under `folder`, by relative path.
    static func files(in folder: URL) throws -> [String: Data] {
        let base = folder.resolvingSymlinksInPath().path + "/"
        var found: [String: Data] = [:]
        let walker = try #require(FileManager.default.enumerator(at: folder.resolvingSymlinksInPath(), includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            found[String(url.resolvingSymlinksInPath().path.dropFirst(base.count))] = try Data(contentsOf: url)
        }
        return found
    }

    /// The manifest's files of the blog, by path.
    static func manifest() throws -> BundleManifest {
        try BundleManifest.decode(Data(contentsOf: blog.bundle.appendingPathComponent("pico-manifest.json")))
    }

    /// A CSS file of the bundle (small, not the entry page).
    static func cssPath() throws -> String {
        try #require(try manifest().files.first { $0.path.hasSuffix(".css") }?.path)
    }

    /// Nothing of a failed fetch is left: no destination, no staging folder beside it.
    static func expectNothingWritten(_ destination: URL, _ comment: Comment? = nil) throws {
        #expect(!FileManager.default.fileExists(atPath: destination.path), comment)
        let beside = try FileManager.default.contentsOfDirectory(atPath: destination.deletingLastPathComponent().path)
        #expect(beside.isEmpty, "left beside the destination: \(beside)")
    }

    // MARK: Addresses

    @Test func httpAndHttpsAddressesAreSilosAndPathsStayPaths() async throws {
        #expect(SiloAddress.isNetworkAddress("https://example.org/blog/"))
        #expect(SiloAddress.isNetworkAddress("http://127.0.0.1:8000/sub/path"))
        #expect(!SiloAddress.isNetworkAddress("/tmp/http://x"))
        #expect(!SiloAddress.isNetworkAddress("httpdocs/site"))
        let silo = try #require(try SiloAddress.silo(for: "https://example.org/blog") as? HTTPSilo)
        #expect(silo.base.absoluteString == "https://example.org/blog/")
        #expect(silo.address == "https://example.org/blog/")
        // blossom+https:// is still a Blossom server, refused as a silo with its own message.
        #expect(throws: (any Error).self) { try SiloAddress.silo(for: "blossom+https://example.org") }
        #expect(!HTTPSilo.isAddress("blossom+https://example.org"))
        #expect(throws: (any Error).self) { try SiloAddress.silo(for: "https://user:secret@example.org/") }
        #expect(throws: (any Error).self) { try SiloAddress.silo(for: "https://example.org/?a=1") }
        #expect(throws: (any Error).self) { try SiloAddress.silo(for: "https:///nohost") }
        // Paths and file:// addresses are what they were.
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<p>hi</p>"])
        #expect(try SiloAddress.silo(for: bundle.path) is FilesystemSilo)
        #expect(try SiloAddress.silo(for: "file://" + bundle.path) is FilesystemSilo)
        let target = try BundleTarget(parsing: "http://127.0.0.1:1/x/")
        guard case .silo(let found) = target.form else { Issue.record("not a silo: \(target.form)"); return }
        #expect(found is HTTPSilo)
        // A bundle path becomes one escaped URL under the base: nothing but unreserved bytes raw.
        let client = silo.makeClient()
        #expect(client.url(of: "notes/a b+c/é.html") == "https://example.org/blog/notes/a%20b%2Bc/%C3%A9.html")
        await client.shutdown()
    }

    // MARK: A plain static server

    @Test func verifyAgainstPythonsHTTPServerPassesThenNamesTheFileAfterOneByteChanges() throws {
        let folder = TemporaryFolder()
        let (root, bundle) = try Self.servedCopy(in: folder)
        let (python, base) = try Self.pythonServer(root)
        let address = base + "sub/path/"
        let verified = try Self.pico(["verify", address])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        let css = try Self.cssPath()
        let file = bundle.appendingPathComponent(css)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: file)
        let changed = try Self.pico(["verify", address])
        #expect(changed.status == 1, "\(changed.stdout)\(changed.stderr)")
        #expect((changed.stdout + changed.stderr).contains(css), "\(changed.stdout)\(changed.stderr)")
        _ = python.stop()
    }

    @Test func fetchGivesIdenticalBytesThatSha256sumAccepts() throws {
        let folder = TemporaryFolder()
        let (root, _) = try Self.servedCopy(in: folder)
        let (python, base) = try Self.pythonServer(root)
        let destination = folder.path("out/fetched")
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fetched = try Self.pico(["fetch", base + "sub/path/", "-o", destination.path])
        #expect(fetched.status == 0, "\(fetched.stdout)\(fetched.stderr)")
        let want = try Self.files(in: Self.blog.bundle), got = try Self.files(in: destination)
        #expect(Set(got.keys) == Set(want.keys))
        #expect(want.allSatisfy { got[$0.key] == $0.value }, "\(want.keys.filter { got[$0] != want[$0] }.sorted())")
        let checked = try TestEnvironment.run("sha256sum", ["-c", "--strict", "--quiet", "SHA256SUMS"], in: destination)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        _ = python.stop()
    }

    @Test func serveServesThePagesOfABundleOnAWebServer() throws {
        let folder = TemporaryFolder()
        let (root, _) = try Self.servedCopy(in: folder)
        let (python, base) = try Self.pythonServer(root)
        let served = try LastURLServer(TestEnvironment.pico, ["serve", base + "sub/path/", "--port", "0"])
        let page = try TestEnvironment.run("curl", ["-s", "--max-time", "60", served.url])
        #expect(page.stdout.contains("Carried by Hand"), "\(page.stdout.prefix(400))")
        let css = try TestEnvironment.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "60", served.url + (try Self.cssPath())])
        #expect(css.stdout == "200")
        served.stop()
        _ = python.stop()
    }

    // MARK: Faults

    @Test func noManifestAtTheAddressSaysSo() throws {
        let folder = TemporaryFolder()
        let (root, _) = try Self.servedCopy(in: folder)
        let (python, base) = try Self.pythonServer(root)
        let verified = try Self.pico(["verify", base + "sub/"])
        #expect(verified.status == 1)
        #expect(verified.stderr.contains("no pico-manifest.json at \(base)sub/"), "\(verified.stderr)")
        #expect(verified.stderr.contains("is this the bundle's root?"), "\(verified.stderr)")
        let destination = folder.path("out/fetched")
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fetched = try Self.pico(["fetch", base + "sub/", "-o", destination.path])
        #expect(fetched.status == 1)
        try Self.expectNothingWritten(destination)
        _ = python.stop()
    }

    @Test func connectionRefusedAndTLSToAPlainServerAreNamed() throws {
        let folder = TemporaryFolder()
        let (root, _) = try Self.servedCopy(in: folder)
        let (python, base) = try Self.pythonServer(root)
        let port = try #require(URL(string: base)?.port)
        let tls = try Self.pico(["verify", "https://127.0.0.1:\(port)/sub/path/"])
        #expect(tls.status == 1)
        #expect(tls.stderr.contains("TLS"), "\(tls.stderr)")
        _ = python.stop()
        let refused = try Self.pico(["verify", "http://127.0.0.1:\(port)/sub/path/"])
        #expect(refused.status == 1)
        #expect(refused.stderr.lowercased().contains("connection refused"), "\(refused.stderr)")
    }

    /// Each fault alone: fetch exits 1 with nothing written, verify exits 1 naming the file.
    @Test(arguments: ["wrong", "missing", "oversize", "endless", "stall", "away", "error"])
    func aHostileServerFailsFetchAndVerifyNamingTheFile(fault: String) throws {
        let folder = TemporaryFolder()
        let css = try Self.cssPath()
        let server = try Self.hostile(Self.blog.bundle, ["\(fault):\(css)"])
        let address = server.url
        let environment = ["PICO_HTTP_TIMEOUT": "1"]
        let started = Date()
        let destination = folder.path("out/fetched")
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fetched = try Self.pico(["fetch", address, "-o", destination.path], environment: environment)
        #expect(fetched.status == 1, "\(fault): \(fetched.stdout)\(fetched.stderr)")
        #expect(fetched.stderr.contains(css), "\(fault): \(fetched.stderr)")
        try Self.expectNothingWritten(destination, "\(fault)")
        let verified = try Self.pico(["verify", address], environment: environment)
        #expect(verified.status == 1, "\(fault): \(verified.stdout)\(verified.stderr)")
        #expect((verified.stdout + verified.stderr).contains(css), "\(fault): \(verified.stdout)\(verified.stderr)")
        print(fault, "fetch:", fetched.stderr, "verify:", verified.stdout, verified.stderr)
        #expect(Date().timeIntervalSince(started) < 60, "\(fault) took \(Date().timeIntervalSince(started)) s")
        if fault == "oversize" || fault == "endless" {
            #expect(verified.stderr.contains("changed: \(css): the server sends more than"), "\(verified.stderr)")
            #expect(!verified.stderr.contains("missing: \(css)"), "\(verified.stderr)")
        }
        if fault == "away" { #expect(fetched.stderr.contains("another origin"), "\(fetched.stderr)") }
        if fault == "stall" { #expect(fetched.stderr.contains("stopped answering"), "\(fetched.stderr)") }
        _ = server.stop()
    }

    /// A manifest that lists `../secret.txt` (its SHA256SUMS and id made to agree) is refused
    /// before any file is asked for: nothing outside the base is requested, nothing written.
    @Test func aManifestPathWithDotDotIsRefusedBeforeAnyRequest() throws {
        let folder = TemporaryFolder()
        let root = folder.path("www")
        let bundle = root.appendingPathComponent("sub/path")
        let secret = "the neighbour's file\n"
        folder.write(["sub/secret.txt": secret, "sub/path/index.html": "<p>hi</p>"], under: "www")
        let files = [("index.html", "<p>hi</p>"), ("../secret.txt", secret)].map { path, text in
            BundleFile(path: path, size: text.utf8.count, sha256: SHA256Hex.of(Data(text.utf8)), type: MediaType.of(path: path))
        }
        let seal = try BundleSeal(name: "t", entry: "index.html", files: files)
        try seal.checksums.write(to: bundle.appendingPathComponent("SHA256SUMS"))
        try seal.manifest.canonicalJSON.write(to: bundle.appendingPathComponent("pico-manifest.json"))
        let (python, base) = try Self.pythonServer(root)
        let verified = try Self.pico(["verify", base + "sub/path/"])
        #expect(verified.status == 1, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stderr.contains("unsafe-path: ../secret.txt"), "\(verified.stderr)")
        let destination = folder.path("out/fetched")
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fetched = try Self.pico(["fetch", base + "sub/path/", "-o", destination.path])
        #expect(fetched.status == 1)
        #expect(fetched.stderr.contains("../secret.txt"), "\(fetched.stderr)")
        try Self.expectNothingWritten(destination)
        let log = python.stop()
        #expect(log.contains("pico-manifest.json"), "\(log)")
        #expect(!log.contains("secret"), "\(log)")
        #expect(!log.contains("index.html"), "no file is read once the manifest is refused: \(log)")
    }

    @Test func aRedirectOnTheSameOriginIsFollowed() throws {
        let folder = TemporaryFolder()
        let css = try Self.cssPath()
        let server = try Self.hostile(Self.blog.bundle, ["redirect:\(css)"])
        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", server.url, "-o", destination.path])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(try Data(contentsOf: destination.appendingPathComponent(css)) == Data(contentsOf: Self.blog.bundle.appendingPathComponent(css)))
        let log = server.stop()
        #expect(log.contains("GET /sub/path/moved/"), "\(log)")
    }
}

/// A server process whose address is the last http:// URL of its first line (`pico serve`
/// names the source first: "Serving http://mirror/ at http://127.0.0.1:PORT").
final class LastURLServer: @unchecked Sendable {
    let process = Process()
    let url: String

    init(_ executable: URL, _ arguments: [String]) throws {
        let output = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning, !seen.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { usleep(20_000) }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        let urls = seen.matches(of: /http:\/\/[^\s]+/).map { String($0.output) }
        guard let last = urls.last else {
            process.terminate()
            throw NoAddress(seen: seen)
        }
        url = last.hasSuffix("/") ? last : last + "/"
    }

    /// Stops the server with SIGTERM, as Ctrl-C would; it must exit, not crash (it did: its
    /// HTTP client went away without a shutdown, a precondition of AsyncHTTPClient).
    func stop(sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        let signal = process.terminationStatus
        #expect(process.terminationReason == .exit || signal == SIGTERM,
                "the server died by signal \(signal), not by the SIGTERM it was sent", sourceLocation: sourceLocation)
    }

    private var stopped = false

    deinit { stop() }

    struct NoAddress: Error { let seen: String }
}
