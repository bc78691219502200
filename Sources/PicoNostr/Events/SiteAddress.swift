import Foundation

/// Which site of an author an address means.
public enum SiteSelector: Sendable, Equatable {
    /// The author's root site (NIP-5A kind 15128).
    case root
    /// A named site (kind 35128 with this `d`).
    case named(String)
    /// Whatever the author has: the root site, or their only named site.
    case any
}

/// `nostr:<npub|nprofile|naddr>?relay=ws://…&relay=…&site=NAME`: a bundle named by its
/// author's key (and site), fetched from whichever of the relays has it.
public struct NostrSiteAddress: Sendable, CustomStringConvertible {
    public var author: [UInt8]
    public var site: SiteSelector
    public var relays: [String]
    public let description: String

    public init(parsing address: String) throws {
        // An address holding a secret key is refused without being repeated.
        guard !KeyMaterial.mightBeKey(address) else {
            throw NostrAddressError("the address given holds a secret key (nsec); a bundle on nostr is named by the author's npub, nprofile or naddr")
        }
        description = address
        guard address.hasPrefix("nostr:") else { throw NostrAddressError("\(address): a nostr address starts with nostr:") }
        let (entityText, query) = QueryItems.split(String(address.dropFirst("nostr:".count)))
        let entity: NIP19Entity
        do { entity = try NIP19Entity.decode(entityText) } catch { throw NostrAddressError("\(address): \(error)") }
        var relays = query.filter { $0.name == "relay" }.map(\.value)
        switch entity {
        case .npub(let key): (author, site) = (key, .any)
        case .nprofile(let key, let hinted): (author, site, relays) = (key, .any, relays + hinted)
        case .naddr(let identifier, let key, let kind, let hinted):
            guard kind == SiteEventKind.namedSite || kind == SiteEventKind.rootSite else {
                throw NostrAddressError("\(address) names an event of kind \(kind), not a NIP-5A site (35128 or 15128)")
            }
            (author, relays) = (key, relays + hinted)
            site = kind == SiteEventKind.rootSite ? .root : .named(identifier)
        default:
            throw NostrAddressError("\(address): a bundle on nostr is named by npub, nprofile or naddr")
        }
        if let name = query.first(where: { $0.name == "site" })?.value {
            site = name == "root" ? .root : .named(name)
        }
        var seen = Set<String>()
        self.relays = relays.filter { seen.insert($0).inserted }
        guard !self.relays.isEmpty else {
            throw NostrAddressError("\(address) names no relay; add ?relay=wss://… (several are allowed)")
        }
        for relay in self.relays where !(relay.hasPrefix("ws://") || relay.hasPrefix("wss://")) {
            throw NostrAddressError("\(relay) is not a relay address (ws:// or wss://)")
        }
    }

    /// The NIP-19 address of one site, with relay hints.
    public static func naddr(author: [UInt8], site: String?, relays: [String]) -> String {
        "nostr:" + NIP19Entity.naddr(identifier: site ?? "", publicKey: author,
                                      kind: site == nil ? SiteEventKind.rootSite : SiteEventKind.namedSite,
                                      relays: relays).encoded
    }
}

/// A relay to publish to, `ws(s)://host[:port][/path][?site=NAME]`; `site` is pico's, and is
/// not sent to the relay.
public struct RelayTarget: Sendable, Equatable {
    public var url: String
    public var site: SiteSelector

    public init(url: String, site: SiteSelector) { (self.url, self.site) = (url, site) }

    public init(parsing address: String) throws {
        guard address.hasPrefix("ws://") || address.hasPrefix("wss://") else {
            throw NostrAddressError("\(address) is not a relay address (ws:// or wss://)")
        }
        let (base, query) = QueryItems.split(address)
        guard let parsed = URL(string: base), parsed.host != nil else { throw NostrAddressError("\(address) is not a valid relay URL") }
        let others = query.filter { $0.name != "site" }
        url = others.isEmpty ? base : base + "?" + others.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        site = query.first { $0.name == "site" }.map { $0.value == "root" ? .root : .named($0.value) } ?? .any
        if case .named(let name) = site, let problem = Self.siteIdentifierProblem(name) {
            throw NostrAddressError("\(address): ?site=\(name) \(problem); try ?site=\(Self.siteIdentifier(forName: name)) (or ?site=root for the author's root site)")
        }
    }

    /// NIP-5A's rule for a named site's `d`: 1 to 13 of `a-z`, `0-9` and `-`, not ending in `-`
    /// (gateways put it in a host name after the 50-character base36 key).
    public static let maxSiteIdentifierLength = 13

    /// Why `identifier` is not a valid `d` for a named site, or nil when it is.
    public static func siteIdentifierProblem(_ identifier: String) -> String? {
        if identifier.isEmpty { return "is empty" }
        if identifier.utf8.count > maxSiteIdentifierLength {
            return "is \(identifier.count) characters long; NIP-5A allows at most \(maxSiteIdentifierLength), so that gateways can put it in a host name"
        }
        if !identifier.utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }) {
            return "may hold only a-z, 0-9 and - (NIP-5A)"
        }
        if identifier.hasSuffix("-") { return "may not end in - (NIP-5A)" }
        return nil
    }

    /// A valid NIP-5A `d` made from a bundle name: accents dropped, lowercase letters and digits
    /// kept, every other run of characters one `-`, at most 13 characters, cut at a `-` when
    /// one is near the end ("Carried by Hand" is `carried-by`).
    public static func siteIdentifier(forName name: String) -> String {
        var out = ""
        let folded = name.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        for scalar in folded.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) { out.unicodeScalars.append(scalar) }
            else if !out.hasSuffix("-") && !out.isEmpty { out += "-" }
        }
        if out.count > maxSiteIdentifierLength {
            let cut = String(out.prefix(maxSiteIdentifierLength + 1))
            // A whole word when a dash leaves at least 5 characters, else a hard cut.
            if let dash = cut.lastIndex(of: "-"), cut.distance(from: cut.startIndex, to: dash) >= 5 {
                out = String(cut[..<dash])
            } else {
                out = String(out.prefix(maxSiteIdentifierLength))
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "site" : out
    }
}

/// An address that does not name a bundle on nostr, or a relay.
public struct NostrAddressError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `a?x=1&y=2`, with values percent-decoded (a relay URL in `relay=` may be written as is).
enum QueryItems {
    static func split(_ text: String) -> (String, [(name: String, value: String)]) {
        guard let mark = text.firstIndex(of: "?") else { return (text, []) }
        let items = text[text.index(after: mark)...].split(separator: "&").compactMap { pair -> (String, String)? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), String(parts[1]).removingPercentEncoding ?? String(parts[1]))
        }
        return (String(text[..<mark]), items.map { (name: $0.0, value: $0.1) })
    }
}
