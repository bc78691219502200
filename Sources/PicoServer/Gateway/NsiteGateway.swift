import Foundation
import Hummingbird
import Logging
import NIOCore
import PicoCore
import PicoNostr

/// `pico serve --gateway`: a local NIP-5A gateway on 127.0.0.1. The Host of each request names
/// the site, as NIP-5A's canonical host names do: `<npub>.localhost:PORT` is the author's root
/// site, `<pubkeyB36><d>.localhost:PORT` a named site. Paths resolve as NIP-5A says: the exact
/// path, a folder's `index.html`, else the site's `/404.html` with status 404.
///
/// Unlike the gateways that check a blob after they have sent it, every blob is checked against
/// the SHA-256 its `path` tag names before a byte of it is sent: a server with wrong bytes is
/// passed over for the next one, and with no good copy the answer is a 502 page that says so.
/// Blobs that verified, and the site events, are kept on disk (`BlobCache`, `SiteEventCache`),
/// so a site visited once is served with the network gone.
public struct NsiteGateway: Sendable {
    public var port: Int
    public var relays: [String]
    /// Holds `blobs/` and `sites/`.
    public var cacheFolder: URL
    public var maxCacheBytes = 1 << 30
    public var maxOpenSites = ServeLimits.maxOpenSites
    /// How long a site event is used before the relays are asked again (in the background).
    public var refreshAfter: Duration = .seconds(30)
    public var idleTimeout: Duration = .seconds(10)
    /// The reader of one site, the one fetch and serve use (blobs from the `server` tags, the
    /// author's kind-10063 list, chunk events); `PicoSilo` makes it.
    let openReader: @Sendable (NostrSiteAddress) -> NostrSiteReader
    let log: @Sendable (String) -> Void

    public init(port: Int, relays: [String], cacheFolder: URL,
                openReader: @escaping @Sendable (NostrSiteAddress) -> NostrSiteReader,
                log: @escaping @Sendable (String) -> Void) {
        (self.port, self.relays, self.cacheFolder, self.openReader, self.log) = (port, relays, cacheFolder, openReader, log)
    }

    /// `$XDG_CACHE_HOME/pico`, else `~/.cache/pico`.
    public static func defaultCacheFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return URL(fileURLWithPath: xdg).appendingPathComponent("pico") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/pico")
    }

    /// Runs until the process is stopped; `started` receives `http://127.0.0.1:PORT/` once the
    /// port is open.
    public func run(started: @escaping @Sendable (_ url: String, _ port: Int) -> Void) async throws {
        let cache = try BlobCache(root: cacheFolder.appendingPathComponent("blobs"), maxBytes: maxCacheBytes)
        let events = try SiteEventCache(root: cacheFolder.appendingPathComponent("sites"))
        let directory = NsiteDirectory(relays: relays, events: events, maxOpenSites: maxOpenSites, refreshAfter: refreshAfter,
                                       openReader: openReader, log: log)
        let responder = GatewayResponder(directory: directory, cache: cache, fetches: BlobFetches(), log: log)
        try await LoopbackServer.run(label: "pico.gateway", port: port, idleTimeout: idleTimeout,
                                     respond: { request in await responder.respond(to: request) },
                                     started: { port in started("http://127.0.0.1:\(port)/", port) })
    }
}

/// What a request's Host names.
enum GatewayHost: Equatable {
    case site(NsiteHostLabel)
    /// `localhost` or `127.0.0.1` itself: no site.
    case bare
    /// A label that is neither an npub nor `<pubkeyB36><d>` (NIP-5A: not found).
    case unknown(String)
    /// Not a host this gateway answers; the reason.
    case refused(String)

    static func parse(_ authority: String) -> GatewayHost {
        guard authority.utf8.count <= ServeLimits.maxHostBytes else {
            return .refused("the host name is \(authority.utf8.count) bytes long; DNS allows \(ServeLimits.maxHostBytes)")
        }
        var host = authority.lowercased()
        if host.isEmpty { return .refused("the request names no host (Host header); a site is named by its host") }
        if host.hasPrefix("[") { return .refused("\(host) is an address, not a site's host name") }
        if let colon = host.lastIndex(of: ":"), host[host.index(after: colon)...].allSatisfy(\.isASCII),
           host[host.index(after: colon)...].allSatisfy(\.isNumber) {
            host = String(host[..<colon])
        }
        if host.hasSuffix(".") { host.removeLast() }
        if host == "localhost" || host == "127.0.0.1" { return .bare }
        guard host.hasSuffix(".localhost") else {
            return .refused("\(host) is not a host this gateway answers; it answers NPUB.localhost and PUBKEYB36D.localhost")
        }
        let label = String(host.dropLast(".localhost".count))
        guard !label.isEmpty, !label.contains("."), label.utf8.count <= NsiteHostLabel.maxLength else {
            return .refused("\(host) is not one label before .localhost")
        }
        return NsiteHostLabel(parsing: label).map(GatewayHost.site) ?? .unknown(label)
    }
}

/// The blob downloads under way: many requests for one blob make one download, and at most
/// `maxDownloads` run at once (each holds its blob in memory, up to 64 MiB, until it verified).
actor BlobFetches {
    let maxDownloads: Int
    private var running: [String: Task<Result<Data, BlobProblem>, Never>] = [:]
    private var active = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(maxDownloads: Int = ServeLimits.maxGatewayDownloads) { self.maxDownloads = maxDownloads }

    func get(_ sha256: String, _ download: @escaping @Sendable () async -> Result<Data, BlobProblem>) async -> Result<Data, BlobProblem> {
        if let task = running[sha256] { return await task.value }
        let task = Task {
            await self.acquire()
            let result = await download()
            self.release()
            return result
        }
        running[sha256] = task
        let result = await task.value
        running[sha256] = nil
        return result
    }

    private func acquire() async {
        if active < maxDownloads {
            active += 1
            return
        }
        // The slot is handed over by `release`, still counted.
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { active -= 1 } else { waiting.removeFirst().resume() }
    }
}

struct BlobProblem: Error, CustomStringConvertible {
    let description: String
}

/// Host → site → path → blob, checked, answered.
struct GatewayResponder: Sendable {
    let directory: NsiteDirectory
    let cache: BlobCache
    let fetches: BlobFetches
    let log: @Sendable (String) -> Void

    func respond(to request: Request) async -> Response {
        let authority = request.head.authority ?? ""
        let label: NsiteHostLabel
        switch GatewayHost.parse(authority) {
        case .site(let parsed): label = parsed
        case .bare:
            return Self.page(.notFound, "No site here", """
                This is pico's local nsite gateway. A site is at its NIP-5A host name: \
                http://NPUB.localhost:PORT/ for an author's root site (kind 15128), \
                http://PUBKEYB36D.localhost:PORT/ for a named site (kind 35128: the author's key in base36, 50 characters, then its d).
                """)
        case .unknown(let text):
            return Self.page(.notFound, "No such site", """
                \(text) names no site: a host name here is an npub (a root site) or 50 base36 characters of a key followed by \
                the site's d, 1 to 13 of a-z, 0-9 and - (a named site).
                """)
        case .refused(let reason):
            return Self.page(.badRequest, "Not a site's host name", reason)
        }
        let site: NsiteDirectory.OpenSite
        do {
            site = try await directory.site(label)
        } catch let unavailable as SiteUnavailable {
            log("\(label): \(unavailable)")
            return Self.page(unavailable.status == 404 ? .notFound : .badGateway,
                             unavailable.status == 404 ? "Site not found" : "The relays could not be reached",
                             "No site event for \(label): \(unavailable)")
        } catch {
            log("\(label): \(error)")
            return Self.page(.badGateway, "Site not resolved", "\(label): \(error)")
        }

        guard let path = request.uri.path.removingPercentEncoding, path.hasPrefix("/") else {
            return Self.page(.badRequest, "Bad path", "the path is not percent-encoded UTF-8")
        }
        let files = site.listing.files
        let isHead = request.method == .head
        if !path.hasSuffix("/"), files[path] == nil, files[path + "/index.html"] != nil {
            // Relative links in the folder's index.html need the slash.
            let query = request.uri.query.map { "?" + $0 } ?? ""
            return Response(status: .movedPermanently, headers: [.location: request.uri.path + "/" + query])
        }
        let wanted = path.hasSuffix("/") ? path + "index.html" : path
        if let hash = files[wanted] { return await serve(wanted, hash, of: site, status: .ok, isHead: isHead) }
        if let hash = files["/404.html"] { return await serve("/404.html", hash, of: site, status: .notFound, isHead: isHead) }
        return Self.page(.notFound, "Not found", "\(path) is not in the site \(label), and it has no /404.html.")
    }

    /// One file: its blob from the cache or the network, checked against `hash`, then sent.
    private func serve(_ path: String, _ hash: String, of site: NsiteDirectory.OpenSite, status: HTTPResponse.Status, isHead: Bool) async -> Response {
        var headers = HTTPFields()
        let type = MediaType.of(path: String(path.dropFirst()))
        headers[.cacheControl] = WebHeaders.cacheControl(for: String(path.dropFirst()))
        headers[.eTag] = "\"\(hash)\""
        if case .large(let size, let leading)? = await cache.find(hash) {
            headers[.contentType] = WebHeaders.contentType(type, leading: leading)
            return streamed(hash, size: size, path: path, of: site, status: status, headers: headers, isHead: isHead)
        }
        let data: Data
        switch await blob(hash, of: site) {
        case .success(let bytes): data = bytes
        case .failure(let problem):
            log("refused \(site.label)\(path): \(problem)")
            return Self.page(.badGateway, "File not served", "\(path) (SHA-256 \(hash)) was not served: \(problem). No byte of a copy that does not match was sent.")
        }
        // Checked where it was got; checked again here, just before the first byte goes out.
        guard SHA256Hex.of(data) == hash else {
            log("refused \(site.label)\(path): its bytes are not SHA-256 \(hash)")
            return Self.page(.badGateway, "File not served", "\(path): the bytes at hand do not have SHA-256 \(hash); they were not sent.")
        }
        headers[.contentType] = WebHeaders.contentType(type, leading: data.prefix(HTMLCharset.prescanBytes))
        if isHead {
            return Response(status: status, headers: headers, body: ResponseBody(contentLength: data.count) { try await $0.finish(nil) })
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A large cached blob, already hashed whole by `BlobCache.find`, sent in a second pass from
    /// the disk, hashed again as it goes: its last piece is held back until the whole matched, so
    /// should the file change in between, the connection is cut and no complete wrong response
    /// is ever received (as `pico serve` sends large files).
    private func streamed(_ hash: String, size: Int, path: String, of site: NsiteDirectory.OpenSite, status: HTTPResponse.Status,
                          headers: HTTPFields, isHead: Bool) -> Response {
        if isHead { return Response(status: status, headers: headers, body: ResponseBody(contentLength: size) { try await $0.finish(nil) }) }
        let (cache, log, label) = (cache, log, site.label)
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: size) { writer in
            guard let reader = try await cache.open(hash) else {
                log("cut off \(label)\(path): its blob left the cache after it was checked")
                throw ServeRefusal("\(path) left the cache")
            }
            var hasher = IncrementalSHA256()
            var sent = 0
            var heldBack: ByteBuffer?
            while true {
                let chunk = try await reader.read(upTo: ServeLimits.chunkBytes)
                if chunk.isEmpty { break }
                sent += chunk.count
                guard sent <= size else { break }
                hasher.update(chunk)
                if let heldBack { try await writer.write(heldBack) }
                heldBack = ByteBuffer(bytes: chunk)
            }
            guard sent == size, hasher.finalize() == hash else {
                log("cut off \(label)\(path): its cached blob changed after it was checked; its last bytes were not sent")
                throw ServeRefusal("\(path) changed while it was served")
            }
            if let heldBack { try await writer.write(heldBack) }
            try await writer.finish(nil)
        })
    }

    /// The blob `hash`: from the cache (checked again as it is read), else through the site's
    /// reader, which tries the relays' chunk events, the `server` tags and the author's
    /// kind-10063 list in turn, each copy checked, and kept in the cache once it verified.
    private func blob(_ hash: String, of site: NsiteDirectory.OpenSite) async -> Result<Data, BlobProblem> {
        if case .whole(let cached)? = await cache.find(hash) { return .success(cached) }
        guard let reader = site.reader else {
            return .failure(BlobProblem(description: "it is not in the cache, and the relays could not be reached to find where it is"))
        }
        let (cache, limit) = (cache, ServeLimits.maxGatewayBlobBytes)
        return await fetches.get(hash) {
            let answer: Result<Data, FileChunks.Problem>?
            do { answer = try await reader.contents([StoredContent(sha256: hash, size: nil)])[hash] } catch {
                return .failure(BlobProblem(description: "\(error)"))
            }
            switch answer {
            case .success(let data)?:
                guard data.count <= limit else { return .failure(BlobProblem(description: "it is larger than \(limit >> 20) MiB")) }
                guard SHA256Hex.of(data) == hash else { return .failure(BlobProblem(description: "the copy received does not match its SHA-256")) }
                await cache.store(data, sha256: hash)
                return .success(data)
            case .failure(let problem)?:
                return .failure(BlobProblem(description: problem.forged ? "no server has a copy that matches its SHA-256 (\(problem))" : "\(problem)"))
            case nil:
                return .failure(BlobProblem(description: "no relay or Blossom server has it"))
            }
        }
    }

    /// A small HTML page that says what happened.
    static func page(_ status: HTTPResponse.Status, _ title: String, _ message: String) -> Response {
        let body = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) (\(status.code))</title>
            <meta name="viewport" content="width=device-width"></head>
            <body style="font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem">
            <h1>\(escape(title))</h1>
            <p>\(escape(message))</p>
            <p><small>pico serve --gateway · HTTP \(status.code)</small></p>
            </body></html>

            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in TextFormats.escapingControls(text, keepingNewlines: true) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
