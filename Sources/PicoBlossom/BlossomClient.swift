import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import PicoCore
import PicoNostr
import PicoRetry

/// The Blossom requests a publish needs: `HEAD /<sha256>` (BUD-01), `PUT /upload` (BUD-02) and
/// `PUT /mirror` (BUD-04), each authorized with a fresh BUD-11 token scoped to the server and
/// the blob. Requests are retried with exponential backoff and full jitter on 5xx, 429 and
/// dropped connections; other answers become a `BlossomError` naming the server and the file.
public final class BlossomClient: Sendable {
    public let server: BlossomServer
    public let retry: RetryPolicy
    public let counts = RequestCounts()
    /// Signs upload and mirror tokens; nil for a client that only reads (`download`).
    private let key: AuthorKey?
    private let http: HTTPClient

    /// - Parameter connections: how many requests may be in flight at once.
    public init(server: BlossomServer, key: AuthorKey?, connections: Int = 8, retry: RetryPolicy = .blossom) {
        self.server = server
        self.key = key
        self.retry = retry
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(120)),
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        )
        configuration.decompression = .disabled
        // Failed connections are retried by `send`, with its backoff and limit: a server that
        // is down is reported in a second or two, not after the pool's own retries time out.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// The author's npub, for messages.
    var author: String { key?.npub ?? "(no key)" }

    /// Closes the connections; call once when done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// What a server says it stored (BUD-02).
    public struct BlobDescriptor: Sendable, Equatable {
        public var url: String?
        public var sha256: String?
        public var size: Int?
        public var type: String?
    }

    /// Whether the server holds the blob (`HEAD /<sha256>`): 200 with the right length is yes,
    /// anything else is no (a server that wants authorization to read says 401; the upload
    /// that follows costs nothing then, it answers 200 for a blob it has).
    public func holds(_ sha256: String, size: Int?, file: String) async throws(BlossomError) -> Bool {
        let subject = BlossomError.Subject(request: "HEAD /\(sha256)", file: file, size: size, author: author)
        let answer = try await send("HEAD", path: "/" + sha256, subject: subject, accept: { $0 == 200 || (400..<500).contains($0) && $0 != 429 })
        guard answer.status == 200 else { return false }
        if let size, let length = answer.headers.first(name: "content-length").flatMap(Int.init), length != size { return false }
        return true
    }

    /// `PUT /upload` of one blob whose bytes are `data` (their SHA-256 is checked first: a body
    /// that is not `sha256` is not sent).
    public func upload(_ data: Data, sha256: String, type: String, file: String) async throws(BlossomError) -> BlobDescriptor {
        let subject = BlossomError.Subject(request: "PUT /upload", file: file, size: data.count, type: type, author: author)
        guard SHA256Hex.of(data) == sha256 else {
            throw BlossomError(.integrity, server: server.url, "\(file) does not have the SHA-256 of the manifest; it was not sent to \(server.url)")
        }
        let answer = try await send("PUT", path: "/upload", headers: [("content-type", type), ("x-sha-256", sha256)], body: data,
                                    authorize: [sha256], subject: subject, accept: { (200..<300).contains($0) })
        return try descriptor(answer.body, for: sha256, size: data.count, subject: subject)
    }

    /// `PUT /mirror`: the server fetches the blob from `source` (another server's
    /// `GET /<sha256>`) and checks it against the token's `x`. Throws `.refused` with status
    /// 404, 405 or 501 when the server has no mirror endpoint, 502 when it could not fetch.
    public func mirror(_ sha256: String, from source: String, size: Int?, type: String, file: String) async throws(BlossomError) -> BlobDescriptor {
        let subject = BlossomError.Subject(request: "PUT /mirror", file: file, size: size, type: type, author: author)
        let body = JSONValue.object(["url": .string(source)]).canonicalData
        let answer = try await send("PUT", path: "/mirror", headers: [("content-type", "application/json")], body: body,
                                    authorize: [sha256], subject: subject, accept: { (200..<300).contains($0) },
                                    retryable: { $0 == 429 || $0 == 500 || $0 == 503 || $0 == 504 })
        return try descriptor(answer.body, for: sha256, size: size, subject: subject)
    }

    /// The descriptor the server answered with, which must name the blob that was sent.
    private func descriptor(_ body: [UInt8], for sha256: String, size: Int?, subject: BlossomError.Subject) throws(BlossomError) -> BlobDescriptor {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        let found = BlobDescriptor(url: object["url"] as? String, sha256: (object["sha256"] as? String)?.lowercased(),
                                   size: (object["size"] as? NSNumber)?.intValue, type: object["type"] as? String)
        if let stored = found.sha256, stored != sha256 {
            throw BlossomError(.integrity, server: server.url,
                               "\(server.url) answered \(subject.request) of \(subject.file) with a blob of SHA-256 \(stored), not \(sha256); it was not stored as sent")
        }
        if let stored = found.size, let size, stored != size {
            throw BlossomError(.integrity, server: server.url,
                               "\(server.url) answered \(subject.request) of \(subject.file) with a blob of \(stored) bytes, not \(size)")
        }
        return found
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// Sends one request until an answer `accept`s, retrying what `retryable` says and dropped
    /// connections; any other answer is a refusal. A new token is signed for each try.
    func send(_ method: String, path: String, headers extra: [(String, String)] = [], body: Data? = nil,
                      authorize hashes: [String]? = nil, subject: BlossomError.Subject,
                      accept: (Int) -> Bool,
                      retryable: (Int) -> Bool = { $0 == 429 || $0 >= 500 },
                      maxBody: Int = 1 << 20) async throws(BlossomError) -> Answer {
        var attempt = 0
        while true {
            attempt += 1
            counts.add(method)
            var request = HTTPClientRequest(url: server.url + path)
            request.method = HTTPMethod(rawValue: method)
            request.headers.add(name: "user-agent", value: "pico")
            for (name, value) in extra { request.headers.add(name: name, value: value) }
            if let hashes, let key {
                request.headers.add(name: "authorization", value: BlossomAuthorization(action: "upload", hashes: hashes, server: server, key: key).header)
            }
            if let body {
                request.headers.add(name: "content-length", value: String(body.count))
                request.body = .bytes(body)
            }
            var failure: BlossomError
            do {
                let response = try await http.execute(request, timeout: .minutes(10))
                let status = Int(response.status.code)
                let tooLong = BlossomError(.integrity, server: server.url, status: status,
                                           "\(server.url) answered \(subject.request) of \(subject.file) with more than \(maxBody) bytes; pico stopped reading")
                if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > maxBody { throw tooLong }
                let collected: ByteBuffer
                do { collected = try await response.body.collect(upTo: maxBody) } catch is NIOTooManyBytesError { throw tooLong }
                if accept(status) {
                    return Answer(status: status, headers: response.headers, body: Array(collected.readableBytesView))
                }
                let reason = BlossomError.reasonText(response.headers.first(name: "x-reason"))
                guard retryable(status) else { throw BlossomError.refusal(status: status, reason: reason, server: server, subject: subject) }
                failure = BlossomError(.server, server: server.url, status: status, reason: reason,
                                       "\(server.url) kept failing \(subject.request) of \(subject.file) (HTTP \(status)\(reason.map { ": \($0)" } ?? "")); "
                                       + "the server is overloaded or down, try again later")
            } catch let error as BlossomError {
                throw error
            } catch is CancellationError {
                throw BlossomError(.network, server: server.url, "\(subject.request) of \(subject.file) to \(server.url) was cancelled")
            } catch {
                // Refused connections, time-outs, resets: worth another try.
                failure = BlossomError(.network, server: server.url,
                                       "could not reach \(server.url) for \(subject.request) of \(subject.file) (\(Self.networkReason(error))); "
                                       + "is the address right and the server running?")
            }
            guard attempt < retry.attempts else {
                throw BlossomError(failure.kind, server: failure.server, status: failure.status, reason: failure.reason,
                                   failure.description + " (gave up after \(attempt) attempts)")
            }
            counts.addRetry()
            try? await Task.sleep(nanoseconds: retry.delay(afterAttempt: attempt))
        }
    }
}

extension BlossomClient {
    /// What went wrong on the network, in words: "Connection refused" rather than NIO's wrapping.
    static func networkReason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return String(describing: error)
    }
}

extension RetryPolicy {
    /// A Blossom server's numbers: fewer, longer waits than S3's (a publish talks to public
    /// servers that rate-limit; a server that is down is reported in a few seconds).
    public static let blossom = RetryPolicy(attempts: 5, baseDelay: 0.1, maxDelay: 3)
}
