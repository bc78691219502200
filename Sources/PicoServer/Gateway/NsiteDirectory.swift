import Foundation
import PicoCore
import PicoNostr

/// One site as the gateway serves it: the files its site event names, by absolute path.
struct NsiteListing: Sendable {
    let event: NostrEvent
    /// `/a/b.html` → SHA-256 (lowercase hex), from the `path` tags; the first tag of a path wins.
    let files: [String: String]
    /// Path tags that name no file the gateway can serve (not absolute, not a SHA-256).
    let malformedTags: Int

    init(event: NostrEvent) {
        self.event = event
        var files: [String: String] = [:]
        var malformed = 0
        for tag in event.tags("path") {
            guard tag.count >= 2, tag[0].hasPrefix("/"), BlobCache.isHash(tag[1].lowercased()) else { malformed += 1; continue }
            if files[tag[0]] == nil { files[tag[0]] = tag[1].lowercased() }
        }
        (self.files, malformedTags) = (files, malformed)
    }
}

/// Why a host's site cannot be served at all.
struct SiteUnavailable: Error, CustomStringConvertible {
    /// 404: no relay has a site event for it; 502: no relay could be asked.
    let status: Int
    let description: String
}

/// The sites the gateway has open, at most `maxOpenSites` (each holds connections to the
/// relays; the one used longest ago is closed first), each with the newest site event found.
///
/// A site is resolved once on its first visit: the relays are asked (through the reader
/// `openReader` makes, the one `pico fetch` and `pico serve` use), and the event is kept on
/// disk. Later requests get the site at once; after `refreshAfter` the relays are asked again
/// in the background. With the relays gone the last event that verified is used: from memory,
/// or from the disk cache on the first visit after a restart.
actor NsiteDirectory {
    struct OpenSite: Sendable {
        let label: NsiteHostLabel
        let listing: NsiteListing
        /// Where missing blobs come from; nil when the relays could not be reached (blobs then
        /// come only from the cache).
        let reader: NostrSiteReader?
        var checkedAt: ContinuousClock.Instant
    }

    let relays: [String]
    let openReader: @Sendable (NostrSiteAddress) -> NostrSiteReader
    let events: SiteEventCache
    let maxOpenSites: Int
    let refreshAfter: Duration
    let log: @Sendable (String) -> Void
    private var open: [String: OpenSite] = [:]
    private var lastUse: [String: ContinuousClock.Instant] = [:]
    private var resolving: [String: Task<OpenSite, any Error>] = [:]

    init(relays: [String], events: SiteEventCache, maxOpenSites: Int, refreshAfter: Duration,
         openReader: @escaping @Sendable (NostrSiteAddress) -> NostrSiteReader, log: @escaping @Sendable (String) -> Void) {
        (self.relays, self.events, self.maxOpenSites, self.refreshAfter) = (relays, events, maxOpenSites, refreshAfter)
        (self.openReader, self.log) = (openReader, log)
    }

    /// The site `label` names, resolved on its first visit.
    func site(_ label: NsiteHostLabel) async throws -> OpenSite {
        let key = label.description
        lastUse[key] = .now
        if let known = open[key] {
            if ContinuousClock.now - known.checkedAt > refreshAfter, resolving[key] == nil {
                let task = Task { try await self.resolve(label, previous: known) }
                resolving[key] = task
                Task { _ = try? await task.value; self.finished(key) }
            }
            return known
        }
        let task = resolving[key] ?? Task { try await self.resolve(label, previous: nil) }
        if resolving[key] == nil {
            resolving[key] = task
            Task { _ = try? await task.value; self.finished(key) }
        }
        return try await task.value
    }

    private func finished(_ key: String) {
        resolving[key] = nil
        if open[key] == nil { lastUse[key] = nil }
    }

    private func resolve(_ label: NsiteHostLabel, previous: OpenSite?) async throws -> OpenSite {
        let key = label.description
        let resolved = try await ask(label, previous: previous)
        if let old = open[key]?.reader, old !== resolved.reader { Self.closeLater(old) }
        open[key] = resolved
        closeLeastUsed()
        return resolved
    }

    /// Asks the relays for the site event; falls back on what was seen before.
    private func ask(_ label: NsiteHostLabel, previous: OpenSite?) async throws -> OpenSite {
        let cached: NostrEvent? = if let previous { previous.listing.event } else { await events.event(for: label) }
        var failure: String
        var unreachable = relays.isEmpty
        if relays.isEmpty {
            failure = "no relay was given to ask (pico serve --gateway --relay wss://…)"
        } else {
            let reader = openReader(try label.address(relays: relays))
            do {
                let (_, found, _) = try await reader.siteManifest()
                // A relay that lost the newer event does not take the site back in time.
                if let cached, (cached.createdAt, cached.id) > (found.createdAt, found.id) {
                    log("\(label): the relays hold an older site event than the one seen before; keeping event \(cached.id.prefix(12))…")
                    return OpenSite(label: label, listing: previous?.listing ?? NsiteListing(event: cached), reader: reader, checkedAt: .now)
                }
                if cached?.id != found.id { await events.store(found, for: label) }
                let listing = previous?.listing.event.id == found.id ? previous!.listing : NsiteListing(event: found)
                if listing.malformedTags > 0 {
                    log("\(label): \(listing.malformedTags) path tag\(listing.malformedTags == 1 ? "" : "s") of event \(found.id.prefix(12))… name no file (not an absolute path and a SHA-256); ignored")
                }
                return OpenSite(label: label, listing: listing, reader: reader, checkedAt: .now)
            } catch {
                await reader.close()
                failure = "\(error)"
                unreachable = failure.contains("could be reached")
            }
        }
        guard let cached else { throw SiteUnavailable(status: unreachable ? 502 : 404, description: failure) }
        log("\(label): \(failure); serving the site event seen before (\(cached.id.prefix(12))…, created_at \(cached.createdAt))")
        // Asked again after `refreshAfter`, as any site.
        return OpenSite(label: label, listing: previous?.listing ?? NsiteListing(event: cached), reader: previous?.reader, checkedAt: .now)
    }

    /// Keeps at most `maxOpenSites` open.
    private func closeLeastUsed() {
        while open.count > maxOpenSites {
            guard let (key, _) = lastUse.filter({ open[$0.key] != nil }).min(by: { $0.value < $1.value }) else { return }
            if let reader = open.removeValue(forKey: key)?.reader { Self.closeLater(reader) }
            lastUse[key] = nil
        }
        // Hosts that never resolved are not remembered.
        lastUse = lastUse.filter { open[$0.key] != nil || resolving[$0.key] != nil }
    }

    /// Closes a reader that requests may still be reading blobs through, once they are done.
    private static func closeLater(_ reader: NostrSiteReader) {
        Task {
            try? await Task.sleep(for: .seconds(60))
            await reader.close()
        }
    }
}
