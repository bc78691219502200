import Foundation

/// A failure talking to a Blossom server, said so a person can act on it: which server, which
/// file, what the server said (its `X-Reason`), and what to do. Never carries a key or a token.
public struct BlossomError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// 401: the authorization event was not accepted.
        case unauthorized
        /// 402: the server wants payment (BUD-07).
        case paymentRequired
        /// 403: the server's policy refuses this key or this blob.
        case forbidden
        /// 409: the server hashed the body to something else than `X-SHA-256`.
        case conflict
        /// 413: the blob is larger than the server stores.
        case tooLarge
        /// 415: the server does not store blobs of this type.
        case unsupportedType
        /// Another 4xx answer.
        case refused
        /// 5xx or 429 on every try.
        case server
        /// No answer: refused connections, time-outs, resets, on every try.
        case network
        /// The server's answer names another blob than the one sent.
        case integrity
    }

    public let kind: Kind
    public let server: String
    /// The HTTP status, when the server answered.
    public let status: Int?
    /// The server's `X-Reason`, as it said it (bounded, control characters removed).
    public let reason: String?
    public let description: String

    public init(_ kind: Kind, server: String, status: Int? = nil, reason: String? = nil, _ description: String) {
        (self.kind, self.server, self.status, self.reason, self.description) = (kind, server, status, reason, description)
    }

    /// What one request was about, for messages.
    public struct Subject: Sendable {
        /// `PUT /upload`, `PUT /mirror`, `HEAD /<sha256>`.
        public var request: String
        /// The bundle path of the file (or its hash when no path is known).
        public var file: String
        public var size: Int?
        public var type: String?
        /// The author's npub, to say which key a server refused.
        public var author: String

        public init(request: String, file: String, size: Int? = nil, type: String? = nil, author: String) {
            (self.request, self.file, self.size, self.type, self.author) = (request, file, size, type, author)
        }
    }

    /// The error for a non-2xx answer that trying again will not change.
    static func refusal(status: Int, reason: String?, server: BlossomServer, subject: Subject) -> BlossomError {
        let said = " (HTTP \(status)\(reason.map { ": \($0)" } ?? ""))"
        let what = "\(server.url) refused \(subject.request) of \(subject.file)\(said)"
        let size = subject.size.map { " (\($0) bytes)" } ?? ""
        switch status {
        case 401:
            return BlossomError(.unauthorized, server: server.url, status: status, reason: reason,
                                "\(what): it did not accept pico's authorization, a kind-24242 event signed by \(subject.author). "
                                + "Check that this server lets that key upload (many accept only their users' keys) and that this machine's clock is right")
        case 402:
            return BlossomError(.paymentRequired, server: server.url, status: status, reason: reason,
                                "\(what): the server wants payment before it stores blobs (BUD-07). Pay as the server says, or publish to another server")
        case 403:
            return BlossomError(.forbidden, server: server.url, status: status, reason: reason,
                                "\(what): the server's policy does not allow \(subject.author) to store this file. "
                                + "Ask its operator to allow the key, or publish to another server. If it says the authorization is "
                                + "for another server, it goes by another name than \(server.host), the one pico's token names: give --to that name")
        case 409:
            return BlossomError(.conflict, server: server.url, status: status, reason: reason,
                                "\(what): the SHA-256 the server computed is not the one pico sent in X-SHA-256, so the bytes changed on the way "
                                + "(a proxy that rewrites bodies?). Try again, or publish to another server")
        case 413:
            return BlossomError(.tooLarge, server: server.url, status: status, reason: reason,
                                "\(what): \(subject.file)\(size) is larger than this server stores. "
                                + "Publish to a server with a larger limit, or leave the file out of the bundle")
        case 415:
            return BlossomError(.unsupportedType, server: server.url, status: status, reason: reason,
                                "\(what): this server does not store files of type \(subject.type ?? "this type"). "
                                + "A site needs a server that stores any type (HTML, CSS, scripts, images); publish to another server")
        default:
            return BlossomError(.refused, server: server.url, status: status, reason: reason, what)
        }
    }

    /// A server's `X-Reason`, made safe to print: at most 300 characters, no control characters.
    static func reasonText(_ value: String?) -> String? {
        guard let value else { return nil }
        let cleaned = String(String.UnicodeScalarView(value.unicodeScalars.filter { !$0.properties.isNoncharacterCodePoint
                && !(0..<0x20).contains($0.value) && !(0x7F..<0xA0).contains($0.value) }))
            .trimmingCharacters(in: .whitespaces)
        guard !cleaned.isEmpty else { return nil }
        return cleaned.count > 300 ? String(cleaned.prefix(300)) + "…" : cleaned
    }
}
