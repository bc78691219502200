import Foundation

/// A failure talking to S3, said so a person can act on it: what was refused, which bucket,
/// and what to check. Never carries credentials.
public struct S3Error: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case address, credentials, accessDenied, noSuchBucket, notFound, server, network, integrity, refused
        /// A failure on this side (writing what was received), not the server's.
        case local
    }
    public var kind: Kind
    public var message: String
    /// The HTTP status and S3's error code, when the server answered.
    public var status: Int?
    public var code: String?
    /// The error underneath a network or local failure (a reset connection, a full disk).
    public var cause: (any Error)?

    public init(_ kind: Kind, _ message: String, status: Int? = nil, code: String? = nil, cause: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
        self.cause = cause
    }

    public var description: String { message }

    /// Reads S3's `<Error><Code>…</Code><Message>…</Message></Error>` answer.
    static func fromResponse(status: Int, body: [UInt8], method: String, key: String, location: S3Location) -> S3Error {
        let xml = String(decoding: body, as: UTF8.self)
        let code = XMLText.first("Code", in: xml)
        let serverMessage = XMLText.first("Message", in: xml)
        let said = [code, serverMessage].compactMap { $0 }.joined(separator: ": ")
        let what = "\(method) \(key.isEmpty ? "s3://\(location.bucket)" : "s3://\(location.bucket)/\(key)")"
        let server = " at \(location.endpoint.url)" + (said.isEmpty ? " (HTTP \(status))" : " (HTTP \(status) \(said))")
        switch (status, code) {
        case (_, "NoSuchBucket"):
            return S3Error(.noSuchBucket, "the bucket \"\(location.bucket)\" does not exist\(server). Create it "
                + "(aws s3 mb s3://\(location.bucket)), or check the bucket name, the endpoint and the region (\(location.region))",
                status: status, code: code)
        case (_, "SignatureDoesNotMatch"):
            return S3Error(.accessDenied, "\(what) was refused\(server): the secret key does not match the access key "
                + "\(location.credentials.accessKeyID.prefix(4))…; check AWS_SECRET_ACCESS_KEY (or the profile's aws_secret_access_key)",
                status: status, code: code)
        case (_, "InvalidAccessKeyId"):
            return S3Error(.accessDenied, "\(what) was refused\(server): the server does not know the access key "
                + "\(location.credentials.accessKeyID.prefix(4))…; check AWS_ACCESS_KEY_ID and the endpoint", status: status, code: code)
        case (403, _):
            return S3Error(.accessDenied, "\(what) was refused\(server): check that the credentials may "
                + "\(method == "GET" || method == "HEAD" ? "read" : "write") bucket \"\(location.bucket)\" "
                + "(s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket), and the region (\(location.region))",
                status: status, code: code)
        case (404, _):
            return S3Error(.notFound, "\(what): not found\(server)", status: status, code: code)
        case (500..., _), (429, _):
            return S3Error(.server, "\(what) kept failing\(server); the server is overloaded or down, try again later",
                           status: status, code: code)
        default:
            return S3Error(.refused, "\(what) was refused\(server)", status: status, code: code)
        }
    }
}

/// Just enough XML for S3's answers (error bodies, object listings, multipart uploads): the
/// text of named elements, with the five predefined entities and character references decoded.
enum XMLText {
    static func all(_ name: String, in xml: String) -> [String] {
        var found: [String] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest[open.upperBound...].range(of: "</\(name)>") {
            found.append(decode(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func first(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml[open.upperBound...].range(of: "</\(name)>") else { return nil }
        return decode(xml[open.upperBound..<close.lowerBound])
    }

    /// The parts of `xml` between `<name>` and `</name>`, each still XML.
    static func blocks(_ name: String, in xml: String) -> [Substring] {
        var found: [Substring] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest[open.upperBound...].range(of: "</\(name)>") {
            found.append(rest[open.upperBound..<close.lowerBound])
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func decode(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else {
                out += rest[amp...]
                return out
            }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst(), radix: 10) : nil
                if let number, let scalar = Unicode.Scalar(number) { out.unicodeScalars.append(scalar) } else { out += "&\(entity);" }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
