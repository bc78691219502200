import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PicoCore

/// A relay's NIP-11 information document: what it is and the limits it enforces. pico sizes
/// chunk events and queries to these limits.
public struct RelayInformation: Sendable, Equatable {
    public var name: String?
    public var software: String?
    public var supportedNIPs: [Int] = []
    public var maxMessageLength: Int?
    public var maxContentLength: Int?
    public var maxEventTags: Int?
    public var maxSubscriptions: Int?
    public var maxFilters: Int?
    public var maxLimit: Int?
    public var authRequired = false
    public var paymentRequired = false

    public init() {}

    /// Reads the document from a JSON object (unknown fields ignored, wrong types too).
    public init(json: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return }
        name = object["name"] as? String
        software = object["software"] as? String
        supportedNIPs = (object["supported_nips"] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? []
        let limitation = object["limitation"] as? [String: Any] ?? [:]
        func number(_ key: String) -> Int? { (limitation[key] as? NSNumber).map(\.intValue).flatMap { $0 > 0 ? $0 : nil } }
        maxMessageLength = number("max_message_length")
        maxContentLength = number("max_content_length")
        maxEventTags = number("max_event_tags")
        maxSubscriptions = number("max_subscriptions")
        maxFilters = number("max_filters")
        maxLimit = number("max_limit")
        authRequired = (limitation["auth_required"] as? Bool) ?? false
        paymentRequired = (limitation["payment_required"] as? Bool) ?? false
    }

    /// Why `event` cannot go to this relay as it says in its NIP-11 document, or nil: more tags
    /// than `max_event_tags`, or an `["EVENT", …]` message longer than `max_message_length` bytes.
    public func limitProblem(with event: NostrEvent, relay: String) -> RelayLimitExceeded? {
        if let maxEventTags, event.tags.count > maxEventTags {
            return RelayLimitExceeded(relay: relay, limit: "max_event_tags", allowed: maxEventTags, actual: event.tags.count, unit: "tags")
        }
        if let maxMessageLength {
            let length = JSONValue.array([.string("EVENT"), event.json]).canonicalData.count
            if length > maxMessageLength {
                return RelayLimitExceeded(relay: relay, limit: "max_message_length", allowed: maxMessageLength, actual: length, unit: "bytes")
            }
        }
        return nil
    }

    /// The document's address: the relay's URL with http(s) for ws(s).
    public static func documentURL(forRelay relay: String) -> String {
        if relay.hasPrefix("wss://") { return "https://" + relay.dropFirst(6) }
        if relay.hasPrefix("ws://") { return "http://" + relay.dropFirst(5) }
        return relay
    }

    /// Fetches the document; nil when the relay has none (then pico uses cautious defaults).
    public static func fetch(forRelay relay: String, timeout: TimeAmount = .seconds(10)) async -> RelayInformation? {
        var request = HTTPClientRequest(url: documentURL(forRelay: relay))
        request.headers.add(name: "Accept", value: "application/nostr+json")
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            guard response.status == .ok else { return nil }
            let body = try await response.body.collect(upTo: 1 << 20)
            return RelayInformation(json: Data(body.readableBytesView))
        } catch {
            return nil
        }
    }
}

/// An event larger than a relay takes, by a limit of its NIP-11 document.
public struct RelayLimitExceeded: Error, CustomStringConvertible, Sendable, Equatable {
    public let relay: String
    /// The NIP-11 `limitation` field: `max_event_tags` or `max_message_length`.
    public let limit: String
    public let allowed: Int
    public let actual: Int
    public let unit: String

    public var description: String {
        "the site event has \(actual) \(unit), more than \(relay) takes (\(limit) \(allowed) in its NIP-11 document); "
            + "the site has too many files for this relay: publish to a relay with a larger \(limit), or make the bundle smaller"
    }
}
