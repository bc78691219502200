import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import PicoRetry
import Synchronization

/// The S3 requests pico needs (objects, listings, multipart uploads), signed with SigV4 and
/// sent through AsyncHTTPClient. Every request is retried with exponential backoff and full
/// jitter on 5xx, 429/SlowDown and dropped connections; other errors are turned into an
/// `S3Error` that names the bucket and what to check.
public final class S3Client: Sendable {
    public let location: S3Location
    public let retry: RetryPolicy
    public let counts = RequestCounts()
    private let http: HTTPClient
    private let signer: SigV4Signer

    /// - Parameter connections: how many requests may be in flight at once.
    public init(location: S3Location, connections: Int = 16, retry: RetryPolicy = RetryPolicy()) {
        self.location = location
        self.retry = retry
        signer = SigV4Signer(credentials: location.credentials, region: location.region)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(60)),
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        )
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Closes the connections; call once when done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: Objects

    public struct ObjectHeaders: Sendable {
        public var contentType: String?
        public var cacheControl: String?
        public init(contentType: String? = nil, cacheControl: String? = nil) {
            self.contentType = contentType
            self.cacheControl = cacheControl
        }
    }

    /// PUT of one whole object. The server checks the body against `x-amz-checksum-sha256`
    /// (or `Content-MD5`, see `bodyChecksum`) and refuses it if a byte changed on the way. With
    /// `expectedSHA256` (hex), a body with another hash is not sent at all.
    public func putObject(key: String, body: Data, headers: ObjectHeaders, expectedSHA256: String? = nil) async throws(S3Error) {
        let digest = Array(SHA256.hash(data: body))
        if let expectedSHA256, SigV4Signer.hex(digest) != expectedSHA256 {
            throw S3Error(.integrity, "\(key) does not match its SHA-256 in the manifest; it was not sent")
        }
        var extra: [(String, String)] = []
        if let type = headers.contentType { extra.append(("content-type", type)) }
        if let cache = headers.cacheControl { extra.append(("cache-control", cache)) }
        _ = try await sendChecked("PUT", key: key, headers: extra, body: body, digest: digest)
    }

    /// Sends a body with the checksum header the server takes: `x-amz-checksum-sha256` first;
    /// a server that says it does not implement it gets `Content-MD5` from then on.
    private func sendChecked(_ method: String, key: String, query: [(String, String?)] = [], headers: [(String, String)],
                             body: Data, digest: [UInt8],
                             responseHeaders: (HTTPHeaders) -> Void = { _ in }) async throws(S3Error) -> [UInt8] {
        let usesMD5 = bodyChecksum.usesMD5
        let checksum = usesMD5 ? ("content-md5", Data(Insecure.MD5.hash(data: body)).base64EncodedString())
            : ("x-amz-checksum-sha256", Data(digest).base64EncodedString())
        do {
            return try await send(method, key: key, query: query, headers: headers + [checksum], body: body,
                                  bodySHA256: SigV4Signer.hex(digest), responseHeaders: responseHeaders)
        } catch {
            guard !usesMD5, BodyChecksum.isUnsupported(error) else { throw error }
            bodyChecksum.useMD5()
            return try await sendChecked(method, key: key, query: query, headers: headers, body: body, digest: digest,
                                         responseHeaders: responseHeaders)
        }
    }

    /// Which header carries the body's checksum; `Content-MD5` once the server refused
    /// `x-amz-checksum-sha256` (some S3-compatible servers lack the newer checksums).
    public let bodyChecksum = BodyChecksum()

    /// The whole object, or nil when there is no such key.
    public func getObject(key: String, limit: Int = 256 << 20) async throws(S3Error) -> [UInt8]? {
        var collected: [UInt8] = []
        let found = try await streamObject(key: key, restart: { collected.removeAll(keepingCapacity: true) }) { chunk in
            guard collected.count + chunk.count <= limit else {
                throw S3Error(.refused, "s3://\(self.location.bucket)/\(self.location.key(key)) is larger than \(limit) bytes")
            }
            collected.append(contentsOf: chunk)
        }
        return found ? collected : nil
    }

    /// Streams an object's bytes into `receive`; false when there is no such key. A transfer
    /// cut off midway is retried from the start, after `restart`.
    public func streamObject(key: String, restart: () throws -> Void,
                             receive: (UnsafeRawBufferPointer) throws -> Void) async throws(S3Error) -> Bool {
        do {
            try await send("GET", key: key, restart: restart, receive: receive)
            return true
        } catch {
            if error.kind == .notFound { return false }
            throw error
        }
    }

    public func deleteObject(key: String) async throws(S3Error) {
        _ = try await send("DELETE", key: key)
    }

    /// One object of a listing. Its key is kept as the bytes S3 holds: two keys may differ only
    /// in Unicode normalisation (which Swift's `==` on strings ignores) or not be UTF-8 at all,
    /// and each is still an object a web server serves.
    public struct ListedObject: Sendable, Equatable {
        public var keyBytes: [UInt8]
        public var size: Int
        /// The key as text with exactly its scalars (U+FFFD where it is not UTF-8); for
        /// comparing keys use `keyBytes`.
        public var key: String { String(decoding: keyBytes, as: UTF8.self) }
        public var isValidUTF8: Bool { String(validating: keyBytes, as: UTF8.self) != nil }

        public init(keyBytes: [UInt8], size: Int) { (self.keyBytes, self.size) = (keyBytes, size) }
        public init(key: String, size: Int) { self.init(keyBytes: Array(key.utf8), size: size) }
    }

    /// What a hostile or broken server may make one listing cost before pico gives up.
    public struct ListingLimits: Sendable {
        public var maxPages = 10_000
        public var maxKeys = 1_000_000
        /// Truncated pages in a row that bring no key (a server that only ever says "more").
        public var maxEmptyPages = 100
        public var maxPageBytes = 32 << 20
        public init() {}
    }

    /// One page of a ListObjectsV2 answer.
    public struct ListingPage: Sendable, Equatable {
        public var objects: [ListedObject]
        public var isTruncated: Bool
        public var nextToken: String?

        /// Reads a page. With `<EncodingType>url</EncodingType>` keys are percent-decoded to
        /// their bytes (S3 writes a space as `+`, as botocore reads it); without, the key is
        /// the XML text.
        public static func parse(_ xml: String) -> ListingPage {
            let urlEncoded = XMLText.first("EncodingType", in: xml) == "url"
            var objects: [ListedObject] = []
            for block in XMLText.blocks("Contents", in: xml) {
                let text = String(block)
                guard let key = XMLText.first("Key", in: text) else { continue }
                let bytes = urlEncoded ? percentDecoded(key) : Array(key.utf8)
                objects.append(ListedObject(keyBytes: bytes, size: max(0, Int(XMLText.first("Size", in: text) ?? "") ?? 0)))
            }
            return ListingPage(objects: objects, isTruncated: XMLText.first("IsTruncated", in: xml) == "true",
                               nextToken: XMLText.first("NextContinuationToken", in: xml))
        }

        static func percentDecoded(_ text: String) -> [UInt8] {
            var out: [UInt8] = []
            let bytes = Array(text.utf8)
            var index = 0
            func hex(_ byte: UInt8) -> UInt8? {
                switch byte {
                case 0x30...0x39: byte - 0x30
                case 0x41...0x46: byte - 0x41 + 10
                case 0x61...0x66: byte - 0x61 + 10
                default: nil
                }
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                    out.append(high << 4 | low)
                    index += 3
                } else {
                    out.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                    index += 1
                }
            }
            return out
        }
    }

    /// Every object whose key starts with `prefix`, following continuation tokens, within
    /// `limits`: a server that never stops saying "more", repeats a token or sends huge pages
    /// gets a clear error, not an endless loop.
    public func listObjects(prefix: String, limits: ListingLimits = ListingLimits()) async throws(S3Error) -> [ListedObject] {
        var objects: [ListedObject] = []
        var token: String?
        var seenTokens: Set<String> = []
        var pages = 0, emptyPagesInARow = 0
        let listing = "the listing of s3://\(location.bucket)/\(prefix)"
        repeat {
            var query: [(String, String?)] = [("list-type", "2"), ("prefix", prefix), ("encoding-type", "url")]
            if let token { query.append(("continuation-token", token)) }
            let xml = String(decoding: try await send("GET", key: "", query: query, limit: limits.maxPageBytes), as: UTF8.self)
            let page = ListingPage.parse(xml)
            pages += 1
            objects += page.objects
            emptyPagesInARow = page.objects.isEmpty ? emptyPagesInARow + 1 : 0
            guard page.isTruncated else { break }
            guard let next = page.nextToken, !next.isEmpty else {
                throw S3Error(.refused, "\(listing) at \(location.endpoint.url) says it is truncated but gives no NextContinuationToken")
            }
            // Tokens are remembered by hash: a hostile server's tokens may be large.
            guard seenTokens.insert(SigV4Signer.hex(SHA256.hash(data: Data(next.utf8)))).inserted else {
                throw S3Error(.refused, "\(listing) at \(location.endpoint.url) does not advance: it gave the same continuation token twice "
                              + "(after \(pages) pages, \(objects.count) keys)")
            }
            if pages >= limits.maxPages || objects.count > limits.maxKeys || emptyPagesInARow >= limits.maxEmptyPages {
                throw S3Error(.refused, "\(listing) at \(location.endpoint.url) did not end after \(pages) pages and \(objects.count) keys "
                              + "(pico stops at \(limits.maxPages) pages, \(limits.maxKeys) keys or \(limits.maxEmptyPages) empty pages in a row); "
                              + "the server keeps answering IsTruncated=true")
            }
            token = next
        } while true
        return objects
    }

    // MARK: Multipart uploads (large files)

    public func createMultipartUpload(key: String, headers: ObjectHeaders) async throws(S3Error) -> String {
        var extra = bodyChecksum.usesMD5 ? [] : [("x-amz-checksum-algorithm", "SHA256")]
        if let type = headers.contentType { extra.append(("content-type", type)) }
        if let cache = headers.cacheControl { extra.append(("cache-control", cache)) }
        let xml = String(decoding: try await send("POST", key: key, query: [("uploads", nil)], headers: extra), as: UTF8.self)
        guard let id = XMLText.first("UploadId", in: xml) else {
            throw S3Error(.refused, "the server started no multipart upload for \(key)")
        }
        return id
    }

    public struct UploadedPart: Sendable {
        public var number: Int
        public var etag: String
        /// Nil when the server takes no SHA-256 checksums (parts were checked with Content-MD5).
        public var sha256Base64: String?
    }

    public func uploadPart(key: String, uploadID: String, number: Int, body: Data) async throws(S3Error) -> UploadedPart {
        let digest = Array(SHA256.hash(data: body))
        var etag = ""
        _ = try await sendChecked("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                  headers: [], body: body, digest: digest, responseHeaders: { etag = $0.first(name: "etag") ?? "" })
        return UploadedPart(number: number, etag: etag, sha256Base64: bodyChecksum.usesMD5 ? nil : Data(digest).base64EncodedString())
    }

    public func completeMultipartUpload(key: String, uploadID: String, parts: [UploadedPart]) async throws(S3Error) {
        let body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            + parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(XMLText.escape($0.etag))</ETag>"
                + ($0.sha256Base64.map { "<ChecksumSHA256>\($0)</ChecksumSHA256>" } ?? "") + "</Part>" }.joined()
            + "</CompleteMultipartUpload>"
        let bytes = Data(body.utf8)
        let answer = try await send("POST", key: key, query: [("uploadId", uploadID)],
                                    headers: [("content-type", "application/xml")], body: bytes,
                                    bodySHA256: SigV4Signer.hex(SHA256.hash(data: bytes)))
        // S3 can answer 200 and still report an error in the body.
        let xml = String(decoding: answer, as: UTF8.self)
        if xml.contains("<Error>") {
            throw S3Error.fromResponse(status: 200, body: answer, method: "POST", key: key, location: location)
        }
    }

    public func abortMultipartUpload(key: String, uploadID: String) async {
        _ = try? await send("DELETE", key: key, query: [("uploadId", uploadID)])
    }

    // MARK: Sending, signing, retrying

    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Sends one request and returns the body of the answer (at most `limit` bytes).
    private func send(_ method: String, key: String, query: [(String, String?)] = [], headers extra: [(String, String)] = [],
                      body: Data? = nil, bodySHA256: String? = nil,
                      limit: Int = 1 << 20,
                      responseHeaders: (HTTPHeaders) -> Void = { _ in }) async throws(S3Error) -> [UInt8] {
        var collected: [UInt8] = []
        try await send(method, key: key, query: query, headers: extra, body: body, bodySHA256: bodySHA256,
                       responseHeaders: responseHeaders, restart: { collected.removeAll() },
                       receive: { chunk in
                           // Answers pico reads whole are small; a server that sends more is not believed.
                           guard collected.count + chunk.count <= limit else {
                               throw S3Error(.refused, "\(method) s3://\(self.location.bucket)/\(key) at \(self.location.endpoint.url) "
                                             + "answered with more than \(limit) bytes")
                           }
                           collected.append(contentsOf: chunk)
                       })
        return collected
    }

    /// Sends one request, retrying as the policy says, and streams the body of the answer into
    /// `receive` (after `restart` at each try). Non-2xx answers become `S3Error`s.
    private func send(_ method: String, key: String, query: [(String, String?)] = [], headers extra: [(String, String)] = [],
                      body: Data? = nil, bodySHA256: String? = nil,
                      responseHeaders: (HTTPHeaders) -> Void = { _ in },
                      restart: () throws -> Void,
                      receive: (UnsafeRawBufferPointer) throws -> Void) async throws(S3Error) {
        let bucketKey = key.isEmpty ? "" : location.key(key)
        let prepared = S3Request(method: method, key: bucketKey, query: query, headers: extra,
                                 payloadSHA256: bodySHA256 ?? Self.emptySHA256)
        var attempt = 0
        while true {
            attempt += 1
            counts.add(method)
            let (url, headers) = prepared.signed(for: location, signer: signer, date: SigV4Signer.amzDate(Date()))
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: method)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.headers.add(name: "user-agent", value: "pico")
            if let body { request.body = .bytes(body) }
            else if method == "PUT" || method == "POST" { request.body = .bytes(Data()) }

            var failure: S3Error
            do {
                try restart()
                let response = try await http.execute(request, timeout: .minutes(10))
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    responseHeaders(response.headers)
                    for try await chunk in response.body {
                        try chunk.withUnsafeReadableBytes { bytes in
                            // The receiver's own failures (a full disk) are not the network's: no retry.
                            do { try receive(bytes) } catch let error as S3Error { throw error } catch {
                                throw S3Error(.local, "\(error)", cause: error)
                            }
                        }
                    }
                    return
                }
                let answer = try await response.body.collect(upTo: 1 << 20)
                failure = S3Error.fromResponse(status: status, body: Array(answer.readableBytesView), method: method,
                                               key: bucketKey, location: location)
                let retryable = status >= 500 || status == 429 || failure.code == "SlowDown" || failure.code == "RequestTimeout"
                if !retryable { throw failure }
            } catch let error as S3Error where error.kind != .server {
                throw error
            } catch let error as S3Error {
                failure = error
            } catch is CancellationError {
                throw S3Error(.network, "\(method) s3://\(location.bucket)/\(bucketKey) was cancelled")
            } catch {
                // Dropped connections, timeouts, resets: worth another try.
                failure = S3Error(.network, "\(method) s3://\(location.bucket)/\(bucketKey) at \(location.endpoint.url) failed: "
                                  + "\(error) (is the endpoint right and the server running?)", cause: error)
            }
            guard attempt < retry.attempts else {
                throw S3Error(failure.kind, failure.message + " (gave up after \(attempt) attempts)", status: failure.status, code: failure.code,
                              cause: failure.cause)
            }
            counts.addRetry()
            try? await Task.sleep(nanoseconds: retry.delay(afterAttempt: attempt))
        }
    }
}

/// One S3 request before it is sent: where it goes and what it says, signed anew for each try
/// (the date is part of the signature). Kept apart from sending so tests can hold the very
/// requests the client sends against what botocore signs.
public struct S3Request: Sendable {
    public var method: String
    /// The full object key (prefix included); empty for the bucket itself.
    public var key: String
    public var query: [(String, String?)]
    public var headers: [(String, String)]
    public var payloadSHA256: String

    public init(method: String, key: String, query: [(String, String?)] = [], headers: [(String, String)] = [],
                payloadSHA256: String) {
        self.method = method
        self.key = key
        self.query = query
        self.headers = headers
        self.payloadSHA256 = payloadSHA256
    }

    /// The URL (percent-encoded exactly as signed) and every header, `authorization` included.
    public func signed(for location: S3Location, signer: SigV4Signer, date: String) -> (url: String, headers: [(String, String)]) {
        let (host, path) = location.target(key: key)
        let url = location.endpoint.scheme + "://" + host + URIEncoding.encode(path, keepSlash: true)
            + (query.isEmpty ? "" : "?" + URIEncoding.query(query))
        var headers = [("host", host), ("x-amz-date", date), ("x-amz-content-sha256", payloadSHA256)] + self.headers
        if let token = location.credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        let signature = signer.sign(method: method, path: path, query: query, headers: headers, payloadSHA256: payloadSHA256, date: date)
        return (url, headers + [("authorization", signature.authorization)])
    }
}

/// The checksum header bodies go with, switched once for the whole client.
public final class BodyChecksum: Sendable {
    private let md5 = Mutex(false)

    public var usesMD5: Bool { md5.withLock { $0 } }
    func useMD5() { md5.withLock { $0 = true } }

    /// A refusal that says the server lacks `x-amz-checksum-*` (R2 and older MinIO, Ceph and
    /// Garage answer NotImplemented or name the header), as opposed to a damaged body.
    static func isUnsupported(_ error: S3Error) -> Bool {
        guard let status = error.status, status == 400 || status == 501 else { return false }
        if error.code == "NotImplemented" { return true }
        let text = error.message.lowercased()
        return error.code != "BadDigest" && text.contains("x-amz-checksum") && (text.contains("not implemented") || text.contains("unsupported"))
    }
}
