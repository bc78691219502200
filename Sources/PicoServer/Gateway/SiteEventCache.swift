import Foundation
import PicoCore
import PicoFiles
import PicoNostr
#if canImport(Glibc)
import Glibc
#endif

/// The newest site event the gateway has seen for each site (`ROOT/<pubkey hex>_<d>.json`, `d`
/// empty for the root site), so a site already visited resolves with the relays gone. Read back
/// only when its id and signature verify and it is the author's event for that very site: the
/// file proves itself, as a blob does by its hash. Written atomically; at most `maxSites` kept,
/// the ones seen longest ago removed first.
public struct SiteEventCache: Sendable {
    public let root: URL
    public var maxSites = 256
    /// A site event of a 10,000-file site is about 1.5 MiB; the relays' budget per query is this.
    static let maxEventBytes = 32 << 20

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func fileName(for site: NsiteHostLabel) -> String {
        site.author.hexString + "_" + (site.site ?? "") + ".json"
    }

    /// The cached event of `site`, verified; nil when there is none that holds.
    public func event(for site: NsiteHostLabel) async -> NostrEvent? {
        let (root, name) = (root.path, fileName(for: site))
        guard let data = try? await BlockingRead.run({ try FileTree.readWithoutFollowing(name, under: root, limit: Self.maxEventBytes) }),
              let event = try? JSONDecoder().decode(NostrEvent.self, from: data) else { return nil }
        let kind = site.site == nil ? SiteEventKind.rootSite : SiteEventKind.namedSite
        guard event.pubkey == site.author.hexString, event.kind == kind,
              site.site == nil || event.tag("d")?.first == site.site, event.validity == .valid else { return nil }
        return event
    }

    /// Keeps `event` as the newest of `site` (the caller checked it is).
    public func store(_ event: NostrEvent, for site: NsiteHostLabel) async {
        guard let data = try? JSONEncoder().encode(event) else { return }
        let (root, name, maxSites) = (root.path, fileName(for: site), maxSites)
        _ = try? await BlockingRead.run {
            try BlobCache.writeAtomically(data, to: root + "/" + name, temporaryFolder: root)
            Self.removeOldest(in: root, keeping: maxSites)
        }
    }

    static func removeOldest(in root: String, keeping count: Int) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasSuffix(".json") }
        guard names.count > count else { return }
        let dated = names.map { name -> (String, Int) in
            var info = stat()
            return (name, lstat(root + "/" + name, &info) == 0 ? info.st_mtim.tv_sec : 0)
        }
        for (name, _) in dated.sorted(by: { $0.1 < $1.1 }).prefix(names.count - count) { unlink(root + "/" + name) }
    }
}
