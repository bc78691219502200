import Crypto
import Foundation
import PicoCore

/// A NIP-01 event. Its id is the SHA-256 of `[0,pubkey,created_at,kind,tags,content]` written
/// as compact JSON with NIP-01's escapes; its signature is BIP-340 over those 32 bytes.
public struct NostrEvent: Sendable, Equatable, Codable {
    public var id: String
    public var pubkey: String
    public var createdAt: Int
    public var kind: Int
    public var tags: [[String]]
    public var content: String
    public var sig: String

    enum CodingKeys: String, CodingKey {
        case id, pubkey, kind, tags, content, sig
        case createdAt = "created_at"
    }

    public init(id: String, pubkey: String, createdAt: Int, kind: Int, tags: [[String]], content: String, sig: String) {
        (self.id, self.pubkey, self.createdAt, self.kind, self.tags, self.content, self.sig) = (id, pubkey, createdAt, kind, tags, content, sig)
    }

    /// A new event, its id computed and signed by `key`.
    public init(kind: Int, tags: [[String]], content: String, createdAt: Int, signedBy key: AuthorKey) {
        self.init(id: "", pubkey: key.publicKeyHex, createdAt: createdAt, kind: kind, tags: tags, content: content, sig: "")
        let digest = Self.idBytes(of: self)
        id = digest.hexString
        sig = key.signRandomized(message: digest).hexString
    }

    /// The bytes NIP-01 hashes for the id. JSONValue writes exactly NIP-01's escapes
    /// (\n \" \\ \r \t \b \f, other control characters as \u00XX, everything else verbatim UTF-8).
    public var serializedForID: Data {
        JSONValue.array([.int(0), .string(pubkey), .int(createdAt), .int(kind),
                         .array(tags.map { .array($0.map(JSONValue.string)) }), .string(content)]).canonicalData
    }

    static func idBytes(of event: NostrEvent) -> [UInt8] { Array(SHA256.hash(data: event.serializedForID)) }

    public enum Validity: Equatable, Sendable {
        case valid
        /// The id is not the hash of the event: something in it was changed.
        case idMismatch
        case badSignature
    }

    public var validity: Validity {
        let digest = Self.idBytes(of: self)
        guard digest.hexString == id.lowercased() else { return .idMismatch }
        guard let sig = [UInt8](hex: sig), let key = [UInt8](hex: pubkey),
              SchnorrSignatureChecker().isValid(signature: sig, message: digest, publicKey: key) else { return .badSignature }
        return .valid
    }

    /// The first tag with this name, without the name.
    public func tag(_ name: String) -> [String]? {
        tags.first { $0.first == name }.map { Array($0.dropFirst()) }
    }

    public func tags(_ name: String) -> [[String]] {
        tags.filter { $0.first == name }.map { Array($0.dropFirst()) }
    }

    /// The event as a JSON object, for EVENT messages.
    public var json: JSONValue {
        .object(["id": .string(id), "pubkey": .string(pubkey), "created_at": .int(createdAt), "kind": .int(kind),
                 "tags": .array(tags.map { .array($0.map(JSONValue.string)) }), "content": .string(content), "sig": .string(sig)])
    }
}

/// A NIP-01 subscription filter.
public struct NostrFilter: Sendable, Equatable {
    public var ids: [String]?
    public var authors: [String]?
    public var kinds: [Int]?
    /// Single-letter tag filters: `#d`, `#x`, ...
    public var tags: [String: [String]] = [:]
    public var since: Int?
    public var until: Int?
    public var limit: Int?

    public init(ids: [String]? = nil, authors: [String]? = nil, kinds: [Int]? = nil, tags: [String: [String]] = [:],
                since: Int? = nil, until: Int? = nil, limit: Int? = nil) {
        (self.ids, self.authors, self.kinds, self.tags, self.since, self.until, self.limit) = (ids, authors, kinds, tags, since, until, limit)
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        if let ids { members["ids"] = .array(ids.map(JSONValue.string)) }
        if let authors { members["authors"] = .array(authors.map(JSONValue.string)) }
        if let kinds { members["kinds"] = .array(kinds.map(JSONValue.int)) }
        for (name, values) in tags { members["#" + name] = .array(values.map(JSONValue.string)) }
        if let since { members["since"] = .int(since) }
        if let until { members["until"] = .int(until) }
        if let limit { members["limit"] = .int(limit) }
        return .object(members)
    }
}

/// What a relay says (NIP-01), parsed from one text frame.
public enum RelayMessage: Sendable {
    case event(subscription: String, event: NostrEvent)
    case ok(eventID: String, accepted: Bool, message: String)
    case endOfStoredEvents(subscription: String)
    case closed(subscription: String, message: String)
    case notice(String)
    /// A message pico does not use (AUTH, COUNT, ...) or cannot read.
    case other(String)

    public static func parse(_ text: String) -> RelayMessage {
        let data = Data(text.utf8)
        guard let parsed = try? JSONDecoder().decode(Parsed.self, from: data) else {
            return .other(String(text.prefix(200)))
        }
        return parsed.message
    }

    private struct Parsed: Decodable {
        let message: RelayMessage
        init(from decoder: any Decoder) throws {
            var items = try decoder.unkeyedContainer()
            let type = try items.decode(String.self)
            switch type {
            case "EVENT":
                let subscription = try items.decode(String.self)
                message = .event(subscription: subscription, event: try items.decode(NostrEvent.self))
            case "OK":
                let id = try items.decode(String.self)
                let accepted = try items.decode(Bool.self)
                message = .ok(eventID: id, accepted: accepted, message: (try? items.decode(String.self)) ?? "")
            case "EOSE": message = .endOfStoredEvents(subscription: try items.decode(String.self))
            case "CLOSED":
                let subscription = try items.decode(String.self)
                message = .closed(subscription: subscription, message: (try? items.decode(String.self)) ?? "")
            case "NOTICE": message = .notice((try? items.decode(String.self)) ?? "")
            default: message = .other(type)
            }
        }
    }
}
