import Foundation
import PicoCore
import PicoNostr

/// A BUD-11 authorization token: a kind-24242 nostr event signed by the author key, scoped to
/// one action (`t`), the blobs it may touch (`x`, one per hash), one server (`server`, its host
/// name) and a short life (`expiration`, NIP-40).
public struct BlossomAuthorization: Sendable {
    public static let kind = 24242
    /// How long a token is good for: long enough for a slow upload, short enough that a token
    /// seen on the way is soon worthless.
    public static let lifetime = 600

    public let event: NostrEvent

    /// `action` is BUD-11's verb (`upload` for PUT /upload and PUT /mirror).
    public init(action: String, hashes: [String], server: BlossomServer, key: AuthorKey,
                now: Int = Int(Date().timeIntervalSince1970)) {
        var tags: [[String]] = [["t", action]]
        tags += hashes.map { ["x", $0] }
        tags.append(["expiration", String(now + Self.lifetime)])
        tags.append(["server", server.host])
        let what = hashes.count == 1 ? "1 file" : "\(hashes.count) files"
        event = NostrEvent(kind: Self.kind, tags: tags, content: "Upload \(what) of a site (pico)", createdAt: now, signedBy: key)
    }

    /// `Nostr <base64>`: the event as JSON in standard, padded base64. BUD-11 now asks for
    /// base64url without padding; deployed servers accept the standard form, which nsyte sends too.
    public var header: String { "Nostr " + event.json.canonicalData.base64EncodedString() }
}
