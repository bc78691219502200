import Crypto
import Foundation
import PicoCore

/// What pico remembers of a name so that nobody can roll it back: per author and site, the
/// newest site event (the directory entry of issue 16) it has accepted, as created_at and id,
/// in `<folder>/<author hex>/<d>.json`. A relay or a drive that hands pico an older record for a
/// name pico has seen newer is refused, online or off. Order is NIP-01's for replaceable events:
/// the later created_at wins; at the same created_at the lower id.
public struct RecordHistory: Sendable {
    /// The folder of names (one sub-folder per author).
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    /// `$XDG_CACHE_HOME/pico/names`, else `~/.cache/pico/names` ($HOME first, as the shell has it).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> RecordHistory {
        let cache: URL
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            cache = URL(fileURLWithPath: xdg).appendingPathComponent("pico")
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            cache = URL(fileURLWithPath: home).appendingPathComponent(".cache/pico")
        } else {
            cache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/pico")
        }
        return RecordHistory(folder: cache.appendingPathComponent("names"))
    }

    /// The newest record accepted for a name.
    public struct Entry: Sendable, Equatable, Codable {
        public var id: String
        public var createdAt: Int
        public var kind: Int
        /// The `d` of a named site; nil for the author's root site.
        public var site: String?

        enum CodingKeys: String, CodingKey {
            case id, kind
            case createdAt = "created_at"
            case site = "d"
        }

        public init(id: String, createdAt: Int, kind: Int, site: String?) {
            (self.id, self.createdAt, self.kind, self.site) = (id, createdAt, kind, site)
        }

        /// Whether `event` comes after this entry (NIP-01: later created_at, then the lower id).
        func isOlder(than event: NostrEvent) -> Bool {
            createdAt < event.createdAt || (createdAt == event.createdAt && event.id.lowercased() < id)
        }
    }

    /// A record older than the one accepted before, or one that is no signed site event.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public enum Kind: Sendable, Equatable { case older, notASiteEvent, invalid }
        public let kind: Kind
        public let description: String
        /// What pico had accepted (for `older`).
        public let known: Entry?
    }

    /// The name a site event is the record of: its author and its `d` (nil for kind 15128).
    static func name(of event: NostrEvent) -> (author: String, site: String?) {
        (event.pubkey.lowercased(), event.kind == SiteEventKind.rootSite ? nil : (event.tag("d")?.first ?? ""))
    }

    /// Where the entry of a name is kept. A d that is not a safe file name (other tools write
    /// any text) is kept under its SHA-256; the root site under `_root` (no d starts with `_` in
    /// pico, and the hashed ones start with `_sha256-`).
    public func file(author: String, site: String?) -> URL {
        let leaf: String
        if let site {
            let safe = !site.isEmpty && site.utf8.count <= 100 && site.utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D
            }
            leaf = safe ? site : "_sha256-" + SHA256Hex.of(Data(site.utf8))
        } else {
            leaf = "_root"
        }
        return folder.appendingPathComponent(author.lowercased()).appendingPathComponent(leaf + ".json")
    }

    /// The newest record accepted for this name, if any (an unreadable file counts as none).
    public func newest(author: String, site: String?) -> Entry? {
        guard let data = try? Data(contentsOf: file(author: author, site: site)) else { return nil }
        return try? JSONDecoder().decode(Entry.self, from: data)
    }

    /// Accepts `event` as the record of its name when it is a validly signed site event no
    /// older than the newest accepted one, and remembers it if it is newer; throws a `Refusal`
    /// otherwise (and remembers nothing). The same event seen again is accepted.
    public func accept(_ event: NostrEvent) throws(Refusal) {
        try check(event)
        let (author, site) = Self.name(of: event)
        if let known = newest(author: author, site: site), !known.isOlder(than: event) { return }
        let entry = Entry(id: event.id.lowercased(), createdAt: event.createdAt, kind: event.kind, site: site)
        let target = file(author: author, site: site)
        // Best effort: a cache that cannot be written (read-only home) does not stop a fetch.
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(entry).write(to: target, options: .atomic)
        } catch {}
    }

    /// Throws the `Refusal` `accept` would, without remembering anything.
    public func check(_ event: NostrEvent) throws(Refusal) {
        guard event.kind == SiteEventKind.namedSite || event.kind == SiteEventKind.rootSite else {
            throw Refusal(kind: .notASiteEvent, description: "event \(event.id.prefix(12))… is kind \(event.kind), not a NIP-5A site event", known: nil)
        }
        guard event.validity == .valid else {
            throw Refusal(kind: .invalid, description: "the site event \(event.id.prefix(12))… is altered or not signed by its author \(event.pubkey.prefix(12))…", known: nil)
        }
        let (author, site) = Self.name(of: event)
        guard let known = newest(author: author, site: site), known.id != event.id.lowercased(), !known.isOlder(than: event) else { return }
        let name = NostrSiteAddress.naddr(author: [UInt8](hex: author) ?? [], site: site, relays: [])
        throw Refusal(kind: .older, description:
            "the record of \(name) offered (site event \(event.id.prefix(12))…, created \(Self.time(event.createdAt))) is older than "
            + "the one pico already accepted for that name (site event \(known.id.prefix(12))…, created \(Self.time(known.createdAt))); "
            + "refusing it: something is replaying an old record. (pico remembers accepted records in \(file(author: author, site: site).path))",
            known: known)
    }

    static func time(_ seconds: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
