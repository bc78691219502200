import Foundation
import PicoCore
import PicoNostr

/// Reads one author's site from relays: finds the newest valid NIP-5A manifest event and gets
/// file contents by hash, from the first relay that has them intact. Shared by fetch, verify
/// and serve.
actor NostrSiteReader {
    let address: NostrSiteAddress
    private var sessions: [RelaySession]?
    private var unreachable: [String] = []
    private var found: (site: SiteManifest, event: NostrEvent, relay: String)?
    var author: String { address.author.hexString }

    init(address: NostrSiteAddress) { self.address = address }

    private func openSessions() async throws -> [RelaySession] {
        if let sessions { return sessions }
        var opened: [RelaySession] = []
        for relay in address.relays {
            do { opened.append(try await RelaySession.open(relay)) } catch { unreachable.append("\(relay): \(error)") }
        }
        guard !opened.isEmpty else {
            throw SiloError("no relay of \(address) could be reached:\n" + unreachable.map { "  \($0)" }.joined(separator: "\n"))
        }
        sessions = opened
        return opened
    }

    /// The newest site manifest event by the author that is intact. An altered or forged event
    /// newer than it is an error, never silently passed over for an older version.
    func siteManifest() async throws -> (site: SiteManifest, event: NostrEvent, relay: String) {
        if let found { return found }
        var filter = NostrFilter(authors: [author], limit: 50)
        switch address.site {
        case .root: filter.kinds = [SiteEventKind.rootSite]
        case .named(let name): filter.kinds = [SiteEventKind.namedSite]; filter.tags = ["d": [name]]
        case .any: filter.kinds = [SiteEventKind.rootSite, SiteEventKind.namedSite]
        }
        var candidates: [(event: NostrEvent, relay: String, validity: NostrEvent.Validity)] = []
        var failures: [String] = []
        for session in try await openSessions() {
            do {
                let events = try await session.run { [filter] in try await $0.query([filter]) }
                candidates += events.filter { $0.pubkey == author && filter.kinds!.contains($0.kind) }.map { ($0, session.url, $0.validity) }
            } catch {
                failures.append("\(session.url): \(error)")
            }
        }
        if case .named(let name) = address.site { candidates = candidates.filter { $0.event.tag("d")?.first == name } }
        let valid = candidates.filter { $0.validity == .valid }
        var chosen = valid.filter { $0.event.kind == SiteEventKind.rootSite }
        if chosen.isEmpty { chosen = valid }
        if address.site == .any, chosen.first?.event.kind == SiteEventKind.namedSite {
            let names = Set(chosen.compactMap { $0.event.tag("d")?.first })
            if names.count > 1 {
                let choices = names.sorted().map { "  " + NostrSiteAddress.naddr(author: address.author, site: $0, relays: address.relays) }
                throw SiloError("\(address) has \(names.count) sites; name one:\n" + choices.joined(separator: "\n"))
            }
        }
        guard let newest = chosen.max(by: { ($0.event.createdAt, $1.event.id) < ($1.event.createdAt, $0.event.id) }) else {
            if let forged = candidates.first {
                throw SiloError("the site manifest event \(forged.event.id.prefix(12))… on \(forged.relay) is forged or altered "
                                + "(\(forged.validity == .idMismatch ? "its id does not match its content" : "its signature is not the author's")); nothing was fetched")
            }
            let why = (failures + unreachable).map { "\n  \($0)" }.joined()
            throw SiloError("no site by \(NIP19Entity.npub(publicKey: address.author).encoded) on \(address.relays.joined(separator: ", "))"
                            + " (publish one with pico publish BUNDLE --to RELAY --key KEY)\(why)")
        }
        if let forged = candidates.first(where: { $0.validity != .valid && $0.event.createdAt >= newest.event.createdAt
                                                 && $0.event.kind == newest.event.kind && $0.event.tag("d") == newest.event.tag("d") }) {
            throw SiloError("the newest site manifest event \(forged.event.id.prefix(12))… on \(forged.relay) is forged or altered; "
                            + "refusing to fall back to an older version")
        }
        let site: SiteManifest
        do { site = try SiteManifest(event: newest.event) } catch { throw SiloError("\(newest.relay): \(error)") }
        found = (site, newest.event, newest.relay)
        return found!
    }

    /// Contents by hash, each from the first relay that has it intact. A content that every
    /// relay lacks or holds altered keeps the most telling failure (altered over missing).
    func contents(_ wanted: [StoredContent]) async throws -> [String: Result<Data, FileChunks.Problem>] {
        var results: [String: Result<Data, FileChunks.Problem>] = [:]
        var remaining = wanted
        for session in try await openSessions() where !remaining.isEmpty {
            let store = RelayChunkStore(session: session, author: author, key: nil, information: session.information)
            let answers = try await store.get(remaining)
            for (hash, answer) in answers {
                switch (answer, results[hash]) {
                case (.success, _): results[hash] = answer
                case (.failure(let problem), .failure(let earlier)?) where !problem.forged || earlier.forged: continue
                case (.failure(let problem), _): results[hash] = .failure(FileChunks.Problem(description: "\(session.url): \(problem)", forged: problem.forged))
                }
            }
            remaining = remaining.filter { (try? results[$0.sha256]?.get()) == nil }
        }
        return results
    }

    func close() async {
        for session in sessions ?? [] { await session.close() }
        sessions = nil
    }
}

/// Reads single files of a site on relays for `pico serve`.
final class NostrBundleReader: RemoteBundleReader {
    let reader: NostrSiteReader
    init(reader: NostrSiteReader) { self.reader = reader }

    func read(_ path: String) async throws -> Data? {
        let (site, _, _) = try await reader.siteManifest()
        guard let hash = site.files.first(where: { $0.path == path })?.sha256 else { return nil }
        switch try await reader.contents([StoredContent(sha256: hash, size: nil)])[hash] {
        case .success(let data)?: return data
        case .failure(let problem)?: throw SiloError("\(path): \(problem)")
        case nil: return nil
        }
    }

    func close() async { await reader.close() }
}
