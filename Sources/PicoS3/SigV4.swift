import Crypto
import Foundation

/// AWS Signature Version 4 (the `AWS4-HMAC-SHA256` scheme), as S3 uses it: the path is
/// encoded once and never normalised, and every header given is signed.
///
/// Steps, as the AWS documentation names them: canonical request → string to sign →
/// signing key (HMAC chain over date, region, service) → signature.
public struct SigV4Signer: Sendable {
    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What signing produced; the intermediate texts are kept for tests and debugging.
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signedHeaders: String
        public var signature: String
        public var authorization: String
    }

    /// Signs a request.
    /// - Parameters:
    ///   - path: the request path, not yet percent-encoded (`/bucket/a b/é.html`).
    ///   - query: query items, not yet percent-encoded; a nil value is a key without `=`.
    ///   - headers: every header to sign, including `host` and `x-amz-date` (and for S3,
    ///     `x-amz-content-sha256`); names in any case, repeated names allowed.
    ///   - payloadSHA256: hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    ///   - date: the `x-amz-date` value, `YYYYMMDDTHHMMSSZ`.
    public func sign(method: String, path: String, query: [(String, String?)], headers: [(String, String)],
                     payloadSHA256: String, date: String) -> Signature {
        // Header names in lower case, sorted; repeated names join their values with commas;
        // values trimmed, inner runs of spaces collapsed to one.
        var grouped: [String: [String]] = [:]
        for (name, value) in headers {
            grouped[name.lowercased(), default: []].append(Self.collapseSpaces(value))
        }
        let names = grouped.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let encodedQuery: [(key: String, value: String)] = query.map { item in
            (URIEncoding.encode(item.0, keepSlash: false), URIEncoding.encode(item.1 ?? "", keepSlash: false))
        }
        let sortedQuery = encodedQuery.sorted { left, right in
            left.key == right.key ? left.value < right.value : left.key < right.key
        }
        let canonicalQuery = sortedQuery.map { $0.key + "=" + $0.value }.joined(separator: "&")

        let canonicalRequest = [
            method, URIEncoding.encode(path.isEmpty ? "/" : path, keepSlash: true), canonicalQuery,
            canonicalHeaders, signedHeaders, payloadSHA256,
        ].joined(separator: "\n")

        let day = String(date.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", date, scope,
            Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                         signedHeaders: signedHeaders, signature: signature, authorization: authorization)
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC, the form `x-amz-date` takes.
    public static func amzDate(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    static func collapseSpaces(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        // A table, not String(format:): this runs several times for every request.
        var out: [UInt8] = []
        for byte in bytes {
            out.append(lowerHexDigits[Int(byte >> 4)])
            out.append(lowerHexDigits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Percent-encoding as SigV4 and S3 want it: every byte but the unreserved characters
/// `A-Z a-z 0-9 - _ . ~` (and `/` in paths) becomes `%XX`, upper-case hex. Used both to
/// sign and to build the request URL, so the two can never disagree.
public enum URIEncoding {
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(upperHexDigits[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(upperHexDigits[Int(byte & 15)]))
            }
        }
        return out
    }

    /// The query string of a request, encoded the way the signer encodes it.
    public static func query(_ items: [(String, String?)]) -> String {
        items.map { key, value in
            value.map { encode(key, keepSlash: false) + "=" + encode($0, keepSlash: false) } ?? encode(key, keepSlash: false)
        }.joined(separator: "&")
    }
}

private let lowerHexDigits = Array("0123456789abcdef".utf8)
private let upperHexDigits = Array("0123456789ABCDEF".utf8)
