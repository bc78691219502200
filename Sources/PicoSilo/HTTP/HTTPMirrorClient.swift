import AsyncHTTPClient
import Foundation
import NIOCore
import PicoRetry

/// Why reading a bundle from a web server failed, with the URL asked for.
public struct HTTPSiloError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Not an http(s) base URL pico can read.
        case badAddress
        /// Connection refused, reset, DNS: the server could not be reached.
        case unreachable
        /// The TLS handshake failed (a certificate, or no TLS on that port).
        case tls
        /// The server stopped sending (connect or read timed out).
        case timeout
        /// An answer pico does not take: 4xx/5xx other than 404, a redirect to another origin.
        case refused
        /// More bytes than the manifest (or pico's bound for the describing files) allows.
        case tooLarge
    }

    public let kind: Kind
    public let url: String
    public let status: Int?
    public let description: String

    init(_ kind: Kind, url: String, status: Int? = nil, _ description: String) {
        (self.kind, self.url, self.status, self.description) = (kind, url, status, description)
    }
}

/// GET of files under one http(s) base URL, as any static web server serves them: redirects
/// followed only on the same origin, bodies bounded before they are read, dropped connections,
/// time-outs, 5xx and 429 retried with the shared `RetryPolicy`.
final class HTTPMirrorClient: Sendable {
    let base: URL
    let retry: RetryPolicy
    let counts = RequestCounts()
    private let http: HTTPClient
    static let maxRedirects = 5

    /// - Parameter readTimeout: how long the server may send nothing before the try is given up.
    init(base: URL, connections: Int, retry: RetryPolicy, readTimeout: TimeAmount) {
        self.base = base
        self.retry = retry
        var configuration = HTTPClient.Configuration(
            // Redirects are followed by `stream`, which checks the origin first.
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: readTimeout),
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        )
        // The bytes are hashed as the server holds them: no transparent gunzip.
        configuration.decompression = .disabled
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func shutdown() async { try? await http.shutdown() }

    /// Bytes a bundle path may hold unescaped in a URL: RFC 3986's unreserved ones. `+` too is
    /// escaped (S3 website hosting reads it as a space), and every non-ASCII byte.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The URL of a bundle path (already checked safe: no `..`, no empty segments).
    func url(of path: String) -> String {
        base.absoluteString + path.split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? String($0) }
            .joined(separator: "/")
    }

    /// Streams the body of `GET <base><path>` into `receive` (after `restart` at each try);
    /// false when the server says 404 or 410. A body, or a Content-Length, over `limit` bytes
    /// throws `.tooLarge` without reading further.
    func stream(_ path: String, limit: Int, restart: () throws -> Void,
                receive: (UnsafeRawBufferPointer) throws -> Void) async throws(HTTPSiloError) -> Bool {
        let first = url(of: path)
        var attempt = 0
        while true {
            attempt += 1
            var failure: HTTPSiloError
            do {
                try restart()
                return try await get(first, limit: limit, receive: receive)
            } catch let error as HTTPSiloError {
                guard error.kind == .unreachable || error.kind == .timeout || (error.kind == .refused && (error.status ?? 0) >= 500)
                        || error.status == 429 else { throw error }
                failure = error
            } catch is CancellationError {
                throw HTTPSiloError(.unreachable, url: first, "GET \(first) was cancelled")
            } catch {
                // The receiver's own failure (a full disk): not the network's, no retry.
                throw HTTPSiloError(.refused, url: first, "\(error)")
            }
            guard attempt < retry.attempts else {
                throw HTTPSiloError(failure.kind, url: failure.url, status: failure.status,
                                    failure.description + " (gave up after \(attempt) attempts)")
            }
            counts.addRetry()
            try? await Task.sleep(nanoseconds: retry.delay(afterAttempt: attempt))
        }
    }

    /// One try: the request, and the redirects on the same origin after it.
    private func get(_ start: String, limit: Int, receive: (UnsafeRawBufferPointer) throws -> Void) async throws -> Bool {
        var current = start
        for _ in 0...Self.maxRedirects {
            counts.add("GET")
            var request = HTTPClientRequest(url: current)
            request.method = .GET
            request.headers.add(name: "user-agent", value: "pico")
            request.headers.add(name: "accept-encoding", value: "identity")
            let response: HTTPClientResponse
            do { response = try await http.execute(request, timeout: .minutes(10)) } catch {
                throw Self.networkError(error, url: current)
            }
            let status = Int(response.status.code)
            switch status {
            case 200:
                if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                    throw HTTPSiloError(.tooLarge, url: current, status: status,
                                        "\(current) is \(length) bytes, more than the \(limit) pico reads for it; pico did not read it")
                }
                var size = 0
                do {
                    for try await chunk in response.body {
                        size += chunk.readableBytes
                        guard size <= limit else {
                            throw HTTPSiloError(.tooLarge, url: current, status: status,
                                                "\(current) is longer than the \(limit) bytes pico reads for it; pico stopped reading")
                        }
                        try chunk.withUnsafeReadableBytes { bytes in
                            do { try receive(bytes) } catch { throw ReceiveFailure(underlying: error) }
                        }
                    }
                } catch let error as HTTPSiloError { throw error } catch let error as ReceiveFailure { throw error.underlying } catch {
                    throw Self.networkError(error, url: current)
                }
                return true
            case 404, 410:
                return false
            case 301, 302, 303, 307, 308:
                guard let location = response.headers.first(name: "location"),
                      let next = URL(string: location, relativeTo: URL(string: current))?.absoluteURL else {
                    throw HTTPSiloError(.refused, url: current, status: status, "\(current) answered HTTP \(status) with no usable Location")
                }
                guard Self.sameOrigin(next, base) else {
                    throw HTTPSiloError(.refused, url: current, status: status,
                                        "\(current) redirects to \(next.absoluteString), another origin; pico follows redirects only within \(Self.origin(base))")
                }
                current = next.absoluteString
            default:
                throw HTTPSiloError(.refused, url: current, status: status, "\(current) answered HTTP \(status)")
            }
        }
        throw HTTPSiloError(.refused, url: start, "\(start) redirected more than \(Self.maxRedirects) times")
    }

    /// An error thrown by `receive`, carried out of the body loop unchanged.
    private struct ReceiveFailure: Error { let underlying: any Error }

    static func origin(_ url: URL) -> String {
        "\(url.scheme ?? "")://\(url.host ?? "")\(url.port.map { ":\($0)" } ?? "")"
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func port(_ url: URL) -> Int? { url.port ?? (url.scheme?.lowercased() == "https" ? 443 : url.scheme?.lowercased() == "http" ? 80 : nil) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }

    /// The network failure in words a user can act on.
    static func networkError(_ error: any Error, url: String) -> HTTPSiloError {
        let host = URL(string: url).map(origin) ?? url
        let text = String(describing: error)
        if let io = error as? IOError {
            let reason = String(cString: strerror(io.errnoCode))
            return HTTPSiloError(.unreachable, url: url, "could not reach \(host) (\(reason)); is the address right and the server running?")
        }
        if let client = error as? HTTPClientError {
            if client == .connectTimeout || client == .readTimeout || client == .deadlineExceeded {
                return HTTPSiloError(.timeout, url: url, "\(host) stopped answering GET \(url) (\(client)); the server is stalled or too slow")
            }
            if client == .remoteConnectionClosed {
                return HTTPSiloError(.unreachable, url: url, "\(host) closed the connection during GET \(url)")
            }
        }
        let lowered = text.lowercased()
        if lowered.contains("ssl") || lowered.contains("tls") || lowered.contains("certificate") || lowered.contains("handshake") {
            return HTTPSiloError(.tls, url: url, "TLS with \(host) failed (\(text)); is it an https server with a valid certificate?")
        }
        if lowered.contains("connection refused") || lowered.contains("refused") {
            return HTTPSiloError(.unreachable, url: url, "could not reach \(host) (connection refused); is the address right and the server running?")
        }
        return HTTPSiloError(.unreachable, url: url, "GET \(url) failed (\(text))")
    }
}
