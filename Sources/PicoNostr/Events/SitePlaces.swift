import Foundation

/// Every place a site event says its bundle lives (issue 16's record): Blossom `server`s,
/// `relay`s, and `mirror`s (http(s) base URLs serving it as plain files). A publish keeps the
/// places of the newest record of the name, drops those the user names, and adds the ones it
/// wrote to: each place once, old ones first, in their order.
public struct SitePlaces: Sendable, Equatable {
    public var servers: [String]
    public var relays: [String]
    public var mirrors: [String]

    public init(servers: [String] = [], relays: [String] = [], mirrors: [String] = []) {
        (self.servers, self.relays, self.mirrors) = (servers, relays, mirrors)
    }

    public var isEmpty: Bool { servers.isEmpty && relays.isEmpty && mirrors.isEmpty }

    /// A `relay` tag's value pico keeps: a ws:// or wss:// URL with a host.
    public static func isRelay(_ text: String) -> Bool {
        (text.hasPrefix("ws://") || text.hasPrefix("wss://")) && URL(string: text)?.host?.isEmpty == false
    }

    /// A `mirror` tag's value pico keeps: an http:// or https:// URL with a host, ending in `/`,
    /// with no query, fragment or user part (a base the bundle's paths are appended to).
    public static func isMirror(_ text: String) -> Bool {
        guard text.hasPrefix("https://") || text.hasPrefix("http://"), text.hasSuffix("/"),
              let parts = URLComponents(string: text), parts.host?.isEmpty == false,
              parts.query == nil, parts.fragment == nil, parts.user == nil, parts.password == nil else { return false }
        return true
    }

    /// `text` as a mirror base: an http(s) URL, given a trailing `/` when it has none; nil when
    /// it cannot be one (another scheme, a query, a user part).
    public static func mirrorBase(_ text: String) -> String? {
        let base = text.hasSuffix("/") ? text : text + "/"
        return isMirror(base) ? base : nil
    }

    /// These places, then every place of `other` not among them.
    public func adding(_ other: SitePlaces) -> SitePlaces {
        SitePlaces(servers: Self.union(servers, other.servers), relays: Self.union(relays, other.relays),
                   mirrors: Self.union(mirrors, other.mirrors))
    }

    /// These places without the ones `locations` name (a server, relay or mirror URL, compared
    /// without a `blossom+` prefix or trailing `/`), and the locations that named none.
    public func dropping(_ locations: [String]) -> (places: SitePlaces, unmatched: [String]) {
        var places = self
        var unmatched: [String] = []
        for location in locations {
            let key = Self.comparable(location)
            let before = places
            places.servers.removeAll { Self.comparable($0) == key }
            places.relays.removeAll { Self.comparable($0) == key }
            places.mirrors.removeAll { Self.comparable($0) == key }
            if places == before { unmatched.append(location) }
        }
        return (places, unmatched)
    }

    /// A place as compared for `--drop`: no `blossom+` prefix, no trailing `/`, the scheme and host
    /// in lower case (the path as written).
    static func comparable(_ location: String) -> String {
        var text = location.hasPrefix("blossom+") ? String(location.dropFirst("blossom+".count)) : location
        while text.hasSuffix("/") { text.removeLast() }
        guard let schemeEnd = text.range(of: "://") else { return text }
        let authorityEnd = text[schemeEnd.upperBound...].firstIndex(of: "/") ?? text.endIndex
        return text[..<authorityEnd].lowercased() + text[authorityEnd...]
    }

    static func union(_ first: [String], _ second: [String]) -> [String] {
        var seen = Set<String>()
        return (first + second).filter { seen.insert($0).inserted }
    }
}
