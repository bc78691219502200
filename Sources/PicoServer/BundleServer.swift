import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import PicoCore

/// `pico serve`: serves a bundle on 127.0.0.1 and checks every file against the manifest as
/// it serves it. A file whose bytes do not match gets an error response and a log line, never
/// the bad bytes.
public struct BundleServer: Sendable {
    public var source: any BundleSource
    public var port: Int
    /// The path the bundle appears under (`/` or `/a/b/`), to try a bundle at a sub-path.
    public var basePath: String
    public var log: @Sendable (String) -> Void
    /// `pico serve --watch`: pages get a script that reloads them when the bundle changes.
    public var reloadsPages = false

    public init(source: any BundleSource, port: Int, basePath: String = "/", log: @escaping @Sendable (String) -> Void) {
        self.source = source
        self.port = port
        var base = basePath.hasPrefix("/") ? basePath : "/" + basePath
        if !base.hasSuffix("/") { base += "/" }
        self.basePath = base
        self.log = log
    }

    /// Runs until the process is stopped. `started` receives the URL once the port is open.
    public func run(started: @escaping @Sendable (String) -> Void) async throws {
        let manifest = CurrentManifest(source: source, manifest: try await source.manifest(), stamp: await source.manifestStamp())
        let responder = VerifyingResponder(source: source, manifest: manifest, basePath: basePath, log: log,
                                           reloadsPages: reloadsPages)
        let router = Router()
        // "**" matches one or more segments, so the root needs its own route.
        for path: RouterPath in ["/", "**"] {
            router.get(path) { request, _ in try await responder.respond(to: request) }
            router.head(path) { request, _ in try await responder.respond(to: request) }
        }
        let base = basePath
        var logger = Logger(label: "pico.serve")
        logger.logLevel = .error
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "pico"),
            onServerRunning: { channel in
                started("http://127.0.0.1:\(channel.localAddress?.port ?? 0)\(base)")
            },
            logger: logger
        )
        try await app.runService()
    }
}

/// The manifest files are checked against: read again when the source says it changed (a
/// bundle folder rebuilt or replaced while served), so a new version is served whole.
actor CurrentManifest {
    let source: any BundleSource
    private(set) var files: [String: BundleFile]
    private(set) var id: String
    private var stamp: String?

    init(source: any BundleSource, manifest: BundleManifest, stamp: String?) {
        self.source = source
        self.stamp = stamp
        (files, id) = (Self.index(manifest), manifest.id)
    }

    private static func index(_ manifest: BundleManifest) -> [String: BundleFile] {
        Dictionary(manifest.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The files of the manifest as it is now, and its id.
    func current() async -> (files: [String: BundleFile], id: String) {
        let now = await source.manifestStamp()
        if now != stamp, let manifest = try? await source.manifest() {
            (files, id, stamp) = (Self.index(manifest), manifest.id, now)
        }
        return (files, id)
    }
}

/// Maps a request to a bundle file, reads it off the event loop, checks it, answers.
struct VerifyingResponder: Sendable {
    let source: any BundleSource
    let manifest: CurrentManifest
    let basePath: String
    let log: @Sendable (String) -> Void
    let reloadsPages: Bool

    /// Where `--watch` pages ask for the bundle id.
    static let versionPath = "__pico/version"

    func respond(to request: Request) async throws -> Response {
        let (files, id) = await manifest.current()
        let rawPath = request.uri.path
        guard rawPath.hasPrefix(basePath) || rawPath + "/" == basePath else {
            return Self.text(.notFound, "not under \(basePath): this server serves one bundle there\n")
        }
        if rawPath + "/" == basePath { return Self.redirect(to: basePath) }
        guard let decoded = String(rawPath.dropFirst(basePath.count)).removingPercentEncoding else {
            return Self.text(.badRequest, "bad percent-encoding\n")
        }
        if reloadsPages, decoded == Self.versionPath { return Self.text(.ok, id) }
        var path = decoded.isEmpty || decoded.hasSuffix("/") ? decoded + "index.html" : decoded
        if files[path] == nil, files[path + "/index.html"] != nil {
            return Self.redirect(to: rawPath + "/")
        }
        if BundleManifest.describingFiles.contains(path) {
            return try await serve(path, expected: nil)
        }
        guard BundlePath.problem(in: path) == nil, let expected = files[path] else {
            if let notFound = files["404.html"] {
                path = notFound.path
                // 404.html's links are relative to the top: at a deeper path a <base> keeps them working.
                let base = decoded.contains("/") ? basePath : nil
                var response = try await serve(path, expected: notFound, base: base)
                if response.status == .ok { response.status = .notFound }
                return response
            }
            return Self.text(.notFound, "no \(decoded) in this bundle\n")
        }
        return try await serve(path, expected: expected)
    }

    private func serve(_ path: String, expected: BundleFile?, base: String? = nil) async throws -> Response {
        let source = self.source
        let data: Data?
        do {
            data = try await source.read(path)
        } catch {
            log("refused /\(path): cannot read it from \(source.description): \(error)")
            return Self.text(.internalServerError, "pico: /\(path) cannot be read from the bundle\n")
        }
        guard let data else {
            log("refused /\(path): listed in the manifest but missing from \(source.description)")
            return Self.text(.internalServerError, "pico: /\(path) is missing from the bundle\n")
        }
        if let expected {
            let actual = SHA256Hex.of(data)
            guard data.count == expected.size, actual == expected.sha256 else {
                log("refused /\(path): its SHA-256 is \(actual), the manifest says \(expected.sha256)")
                return Self.text(.internalServerError, "pico: /\(path) does not match the bundle's manifest; it was not served\n")
            }
        }
        // Checked above; only now may the served bytes differ from the bundle's.
        let type = expected?.type ?? MediaType.of(path: path)
        var body = data
        if type == "text/html", base != nil || reloadsPages {
            body = PageAdditions.insert(base: base, reloadScriptFor: reloadsPages ? basePath + Self.versionPath : nil, into: data)
        }
        var headers = HTTPFields()
        headers[.contentType] = WebHeaders.contentType(type)
        headers[.cacheControl] = WebHeaders.cacheControl(for: path)
        if let expected, base == nil, !reloadsPages { headers[.eTag] = "\"\(expected.sha256)\"" }
        if reloadsPages { headers[.cacheControl] = "no-store" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func redirect(to location: String) -> Response {
        Response(status: .movedPermanently, headers: [.location: location])
    }
}

/// What the server adds to a page it has checked: a `<base>` for 404.html served at a deeper
/// path, and under `--watch` a script that reloads the page when the bundle id changes.
enum PageAdditions {
    static func insert(base: String?, reloadScriptFor versionURL: String?, into page: Data) -> Data {
        var addition = ""
        if let base { addition += "<base href=\"\(base)\">" }
        if let versionURL {
            addition += """
            <script>window.picoWatch=true;(()=>{let seen=null;const tick=()=>fetch('\(versionURL)',{cache:'no-store'})\
            .then(r=>r.text()).then(id=>{if(seen&&id!==seen)location.reload();seen=id;}).catch(()=>{});\
            if(navigator.serviceWorker)navigator.serviceWorker.getRegistrations().then(rs=>rs.forEach(r=>r.unregister()));\
            tick();setInterval(tick,700);})();</script>
            """
        }
        // Right after <head …>, so that <base> comes before any URL.
        let bytes = [UInt8](page)
        return HTMLHead.inserting(addition, at: HTMLHead.startOffset(in: bytes), into: bytes)
    }
}
