import Crypto
import Foundation
import PicoCore

/// The events a bundle becomes on nostr relays.
///
/// - File content: chunk events of kind 1128 (pico's choice, documented in Silos/nostr):
///   base64 content, tags `x` (SHA-256 of the whole file), `chunk` (index, count) and `c`
///   (SHA-256 of the chunk). Chunks are per content, so identical files share them.
/// - The site: a NIP-5A manifest, kind 35128 with a `d` tag (a named site) or 15128 (the
///   author's root site), one `path` tag per file with its SHA-256, the aggregate `x` tag and
///   `server` tags (the Blossom servers holding the files) as gateways read them, then pico's
///   `relay` (the relays the events went to) and `mirror` tags (http(s) base URLs serving the
///   bundle as plain files), plus `bundle` (the bundle id) and `bundle-signature`, so the event
///   alone names the whole bundle and every place it lives (issue 16: the name's record).
public enum SiteEventKind {
    public static let chunk = 1128
    public static let namedSite = 35128
    public static let rootSite = 15128
}

public enum FileChunks {
    /// Chunk events for one file's bytes, `chunkSize` bytes each (one empty chunk for an empty file).
    public static func events(for data: Data, sha256: String, chunkSize: Int, createdAt: Int, key: AuthorKey) -> [NostrEvent] {
        let count = max(1, (data.count + chunkSize - 1) / chunkSize)
        return (0..<count).map { index in
            let piece = data[(data.startIndex + index * chunkSize)..<(data.startIndex + min(data.count, (index + 1) * chunkSize))]
            return NostrEvent(kind: SiteEventKind.chunk,
                              tags: [["x", sha256], ["chunk", String(index), String(count)],
                                     ["c", SHA256Hex.of(piece)]],
                              content: piece.base64EncodedString(), createdAt: createdAt, signedBy: key)
        }
    }

    /// Why chunk events do not make the file they name.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
        /// Events that are forged or altered (as opposed to simply missing).
        public let forged: Bool
        public init(description: String, forged: Bool) { (self.description, self.forged) = (description, forged) }
    }

    /// The file with SHA-256 `sha256`, from whatever chunk events a relay returned for it. Every
    /// event must have a valid id and signature by `author`, each chunk must match its `c`, and
    /// the whole must match `sha256`. Several sets (from publishes with different chunk sizes)
    /// may be mixed in `events`; the first complete valid set wins.
    public static func assemble(_ events: [NostrEvent], sha256: String, author: String) -> Result<Data, Problem> {
        var forged: [String] = []
        var sets: [Int: [Int: Data]] = [:]
        for event in events where event.tag("x")?.first == sha256 && event.kind == SiteEventKind.chunk {
            guard event.pubkey == author else { continue }
            switch event.validity {
            case .idMismatch:
                forged.append("event \(event.id.prefix(12))… was altered (its id is not the hash of its content)")
                continue
            case .badSignature:
                forged.append("event \(event.id.prefix(12))… has a signature that is not \(author.prefix(12))…'s")
                continue
            case .valid: break
            }
            guard let position = event.tag("chunk"), position.count >= 2, let index = Int(position[0]), let count = Int(position[1]),
                  count > 0, index >= 0, index < count, let bytes = Data(base64Encoded: event.content),
                  event.tag("c")?.first == SHA256Hex.of(bytes) else {
                forged.append("event \(event.id.prefix(12))… is not a well-formed chunk (bad chunk tag, base64 or c hash)")
                continue
            }
            sets[count, default: [:]][index] = bytes
        }
        for (count, chunks) in sets.sorted(by: { $0.key < $1.key }) where chunks.count == count {
            var whole = Data()
            for index in 0..<count { whole.append(chunks[index]!) }
            if SHA256Hex.of(whole) == sha256 { return .success(whole) }
            forged.append("its \(count) chunks put together do not have the SHA-256 the manifest names")
        }
        if !forged.isEmpty { return .failure(Problem(description: forged.joined(separator: "; "), forged: true)) }
        if let partial = sets.max(by: { $0.value.count < $1.value.count }) {
            return .failure(Problem(description: "only \(partial.value.count) of its \(partial.key) chunk events are on the relay", forged: false))
        }
        return .failure(Problem(description: "no chunk events for it are on the relay", forged: false))
    }
}

/// A NIP-5A site manifest event, as pico writes and reads it.
public struct SiteManifest: Sendable, Equatable {
    /// The `d` identifier of a named site (kind 35128); nil for the root site (kind 15128).
    public var site: String?
    /// Bundle paths (without the leading `/`) and their SHA-256, in SHA256SUMS order, then the
    /// two describing files.
    public var files: [(path: String, sha256: String)]
    /// The pico bundle the event names (its `bundle` tag); nil for a site another tool
    /// published (nsyte and the like write only `path` tags: see `ForeignSite`).
    public var bundleID: String?
    public var bundleSignature: BundleSignature?
    public var title: String?
    /// The Blossom servers that hold the files (`https://host`), as `server` tags: where
    /// gateways look for the blobs. Empty when the files are in pico's chunk events only.
    public var servers: [String]
    /// The relays the site event (and any chunk events) went to, as `relay` tags.
    public var relays: [String] = []
    /// http(s) base URLs, each ending in `/`, where `<base>SHA256SUMS`, `<base>pico-manifest.json`
    /// and `<base><path>` are the bundle's files (an S3 bucket, any web host), as `mirror` tags.
    public var mirrors: [String] = []

    /// Every place the event names: `server`, `relay` and `mirror` tags.
    public var places: SitePlaces {
        get { SitePlaces(servers: servers, relays: relays, mirrors: mirrors) }
        set { (servers, relays, mirrors) = (newValue.servers, newValue.relays, newValue.mirrors) }
    }

    public static func == (a: SiteManifest, b: SiteManifest) -> Bool {
        a.site == b.site && a.bundleID == b.bundleID && a.bundleSignature == b.bundleSignature && a.title == b.title
            && a.files.map(\.path) == b.files.map(\.path) && a.files.map(\.sha256) == b.files.map(\.sha256)
            && a.servers == b.servers && a.relays == b.relays && a.mirrors == b.mirrors
    }

    public init(site: String?, files: [(path: String, sha256: String)], bundleID: String?,
                bundleSignature: BundleSignature?, title: String?, servers: [String] = []) {
        (self.site, self.files, self.bundleID, self.bundleSignature, self.title) = (site, files, bundleID, bundleSignature, title)
        self.servers = servers
    }

    public var kind: Int { site == nil ? SiteEventKind.rootSite : SiteEventKind.namedSite }

    /// Whether the `path` tags name a pico-manifest.json and a SHA256SUMS: a pico bundle, even
    /// when another tool published it (a bundle folder deployed with nsyte has no bundle tag).
    public var listsDescribingFiles: Bool {
        BundleManifest.describingFiles.allSatisfy { name in files.contains { $0.path == name } }
    }

    /// NIP-5A's aggregate hash of the site: the SHA-256 of the lines `<sha256> <absolute path>\n`,
    /// one per `path` tag, sorted. It names the set of paths and contents, as the bundle id does,
    /// but over other bytes (the describing files are among its paths), so the two differ.
    public var aggregateHash: String { Self.aggregateHash(pathTags: files.map { ("/" + $0.path, $0.sha256) }) }

    /// The aggregate hash of `path` tags as an event carries them (absolute paths). Lines are
    /// sorted by their UTF-8 bytes.
    public static func aggregateHash(pathTags: [(path: String, sha256: String)]) -> String {
        let lines = pathTags.map { Array("\($0.sha256) \($0.path)\n".utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
        var hasher = SHA256()
        for line in lines { hasher.update(data: line) }
        return Array(hasher.finalize()).hexString
    }

    public func event(createdAt: Int, key: AuthorKey) -> NostrEvent {
        var tags: [[String]] = []
        if let site { tags.append(["d", site]) }
        tags += files.map { ["path", "/" + $0.path, $0.sha256] }
        tags.append(["x", aggregateHash, "aggregate"])
        tags += servers.map { ["server", $0] }
        tags += relays.map { ["relay", $0] }
        tags += mirrors.map { ["mirror", $0] }
        if let bundleID { tags.append(["bundle", bundleID]) }
        if let bundleSignature { tags.append(["bundle-signature", bundleSignature.pubkey, bundleSignature.sig]) }
        if let title { tags.append(["title", title]) }
        tags.append(["client", "pico"])
        return NostrEvent(kind: kind, tags: tags, content: "", createdAt: createdAt, signedBy: key)
    }

    public struct Malformed: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Reads a manifest event (its id and signature are checked by the caller).
    public init(event: NostrEvent) throws {
        guard event.kind == SiteEventKind.namedSite || event.kind == SiteEventKind.rootSite else {
            throw Malformed(description: "event \(event.id.prefix(12))… is kind \(event.kind), not a NIP-5A site manifest")
        }
        site = event.kind == SiteEventKind.namedSite ? (event.tag("d")?.first ?? "") : nil
        var files: [(String, String)] = []
        for (index, tag) in event.tags("path").enumerated() {
            let problem: String? = if tag.count < 2 { "it has no SHA-256" }
                else if !tag[0].hasPrefix("/") { "its path does not start with / (NIP-5A paths are absolute)" }
                else if tag[1].utf8.count != 64 || [UInt8](hex: tag[1]) == nil { "its SHA-256 is not 64 hex digits" }
                else { nil }
            if let problem {
                let shown = TextFormats.escapingControls(String(describing: tag.map { String($0.prefix(100)) }))
                throw Malformed(description: "event \(event.id.prefix(12))… has a malformed path tag (path tag \(index + 1), \(shown)): \(problem)")
            }
            files.append((String(tag[0].dropFirst()), tag[1].lowercased()))
        }
        self.files = files
        if let bundle = event.tag("bundle") {
            guard let id = bundle.first, id.count == 64, [UInt8](hex: id) != nil else {
                throw Malformed(description: "event \(event.id.prefix(12))… has a malformed bundle tag \(bundle)")
            }
            bundleID = id
        } else {
            bundleID = nil
        }
        bundleSignature = event.tag("bundle-signature").flatMap { $0.count >= 2 ? BundleSignature(pubkey: $0[0], sig: $0[1]) : nil }
        title = event.tag("title")?.first
        servers = event.tags("server").compactMap(\.first)
        // Places another tool might write wrongly are left out rather than trusted: a relay is
        // ws(s)://, a mirror an http(s) URL ending in /.
        relays = event.tags("relay").compactMap(\.first).filter(SitePlaces.isRelay)
        mirrors = event.tags("mirror").compactMap(\.first).filter(SitePlaces.isMirror)
    }
}
