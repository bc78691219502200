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
        let manifest = try await source.manifest()
        let responder = VerifyingResponder(source: source, manifest: manifest, basePath: basePath, log: log)
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

/// Maps a request to a bundle file, reads it off the event loop, checks it, answers.
struct VerifyingResponder: Sendable {
    let source: any BundleSource
    let manifest: BundleManifest
    let basePath: String
    let log: @Sendable (String) -> Void
    let files: [String: BundleFile]

    init(source: any BundleSource, manifest: BundleManifest, basePath: String, log: @escaping @Sendable (String) -> Void) {
        self.source = source
        self.manifest = manifest
        self.basePath = basePath
        self.log = log
        self.files = Dictionary(manifest.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func respond(to request: Request) async throws -> Response {
        let rawPath = request.uri.path
        guard rawPath.hasPrefix(basePath) || rawPath + "/" == basePath else {
            return Self.text(.notFound, "not under \(basePath): this server serves one bundle there\n")
        }
        if rawPath + "/" == basePath { return Self.redirect(to: basePath) }
        guard let decoded = String(rawPath.dropFirst(basePath.count)).removingPercentEncoding else {
            return Self.text(.badRequest, "bad percent-encoding\n")
        }
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
                var response = try await serve(path, expected: notFound)
                if response.status == .ok { response.status = .notFound }
                return response
            }
            return Self.text(.notFound, "no \(decoded) in this bundle\n")
        }
        return try await serve(path, expected: expected)
    }

    private func serve(_ path: String, expected: BundleFile?) async throws -> Response {
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
        var headers = HTTPFields()
        headers[.contentType] = WebHeaders.contentType(expected?.type ?? MediaType.of(path: path))
        headers[.cacheControl] = WebHeaders.cacheControl(for: path)
        if let expected { headers[.eTag] = "\"\(expected.sha256)\"" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func redirect(to location: String) -> Response {
        Response(status: .movedPermanently, headers: [.location: location])
    }
}
