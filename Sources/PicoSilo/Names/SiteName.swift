import Foundation
import PicoCore
import PicoNostr

/// A bundle's name (issue 16): its author's key and site, with the relays to ask for its
/// record. Written `nostr:naddr1…`, `nostr:npub1…/NAME` or `did:nostr:<hex>/NAME` (an alias),
/// each optionally with `?relay=wss://…` (several allowed). `NAME` `root` is the author's root
/// site. A name with no relay can still be read from a folder library (`--from`).
public struct SiteName: Sendable, CustomStringConvertible {
    public let author: [UInt8]
    /// nil: the author's root site (kind 15128).
    public let site: String?
    public let relays: [String]
    public let description: String

    public var authorHex: String { author.hexString }
    public var kind: Int { site == nil ? SiteEventKind.rootSite : SiteEventKind.namedSite }

    /// Whether `text` is written as a name rather than as a plain nostr address: an naddr, or a
    /// key followed by `/NAME`.
    public static func isName(_ text: String) -> Bool {
        if text.hasPrefix("did:nostr:") { return true }
        guard text.hasPrefix("nostr:") else { return false }
        let entity = QueryText.split(String(text.dropFirst("nostr:".count))).base
        return entity.hasPrefix("naddr1") || entity.contains("/")
    }

    public init(parsing text: String) throws(SiloError) {
        // did:nostr: carries the public key in hex, which looks like a secret one; the rest is checked.
        let checked = text.hasPrefix("did:nostr:") ? String(text.dropFirst("did:nostr:".count).drop { $0 != "/" }) : text
        guard !KeyMaterial.mightBeKey(checked) else {
            throw SiloError("the name given holds a secret key (nsec); a bundle is named by its author's npub, or the naddr pico publish printed")
        }
        description = text
        let (base, query) = QueryText.split(text)
        var relays = query.filter { $0.name == "relay" }.map(\.value)
        let author: [UInt8]
        var site: String?
        if base.hasPrefix("did:nostr:") {
            let rest = base.dropFirst("did:nostr:".count)
            let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 64, let key = [UInt8](hex: String(parts[0]).lowercased()) else {
                throw SiloError("\(text): write did:nostr:<64 hex digits of the author's key>/NAME")
            }
            (author, site) = (key, String(parts[1]))
        } else if base.hasPrefix("nostr:") {
            let entityText = String(base.dropFirst("nostr:".count))
            let parts = entityText.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let entity: NIP19Entity
            do { entity = try NIP19Entity.decode(String(parts[0])) } catch { throw SiloError("\(text): \(error)") }
            switch entity {
            case .naddr(let identifier, let key, let kind, let hinted):
                guard parts.count == 1 else { throw SiloError("\(text): an naddr names its site already; drop /\(parts[1])") }
                guard kind == SiteEventKind.namedSite || kind == SiteEventKind.rootSite else {
                    throw SiloError("\(text) names an event of kind \(kind), not a NIP-5A site (35128 or 15128)")
                }
                (author, site) = (key, kind == SiteEventKind.rootSite ? nil : identifier)
                relays += hinted
            case .npub(let key) where parts.count == 2:
                (author, site) = (key, String(parts[1]))
            case .nprofile(let key, let hinted) where parts.count == 2:
                (author, site) = (key, String(parts[1]))
                relays += hinted
            default:
                throw SiloError("\(text): a name is nostr:naddr1…, nostr:npub1…/NAME or did:nostr:<hex>/NAME")
            }
        } else {
            throw SiloError("\(text): a name is nostr:naddr1…, nostr:npub1…/NAME or did:nostr:<hex>/NAME")
        }
        if site == "root" { site = nil }
        if let site, let problem = RelayTarget.siteIdentifierProblem(site) {
            throw SiloError("\(text): the site name \(site) \(problem)")
        }
        var seen = Set<String>()
        relays = relays.filter { seen.insert($0).inserted }
        for relay in relays where !(relay.hasPrefix("ws://") || relay.hasPrefix("wss://")) {
            throw SiloError("\(relay) is not a relay address (ws:// or wss://)")
        }
        (self.author, self.site, self.relays) = (author, site, relays)
    }

    /// The nostr address the relay reader takes (nil with no relay to ask).
    func address(relays extra: [String] = []) throws -> NostrSiteAddress? {
        var all = relays
        for relay in extra where !all.contains(relay) { all.append(relay) }
        guard !all.isEmpty else { return nil }
        let npub = NIP19Entity.npub(publicKey: author).encoded
        let query = all.map { "relay=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) }
            + ["site=" + (site ?? "root")]
        return try NostrSiteAddress(parsing: "nostr:\(npub)?" + query.joined(separator: "&"))
    }

    /// The naddr of this name, with relay hints.
    public func naddr(relays: [String]) -> String { NostrSiteAddress.naddr(author: author, site: site, relays: relays) }

    /// Whether `event` is a record of this name: its author, kind and `d`.
    func names(_ event: NostrEvent) -> Bool {
        guard event.pubkey.lowercased() == authorHex, event.kind == kind else { return false }
        return site == nil || event.tag("d")?.first == site
    }
}

/// `a?x=1&y=2`, values percent-decoded.
enum QueryText {
    static func split(_ text: String) -> (base: String, items: [(name: String, value: String)]) {
        guard let mark = text.firstIndex(of: "?") else { return (text, []) }
        let items = text[text.index(after: mark)...].split(separator: "&").compactMap { pair -> (name: String, value: String)? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), String(parts[1]).removingPercentEncoding ?? String(parts[1]))
        }
        return (String(text[..<mark]), items)
    }
}
