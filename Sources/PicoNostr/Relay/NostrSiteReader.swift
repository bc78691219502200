import Foundation
import PicoCore

/// Reads one author's site from relays: finds the newest valid NIP-5A manifest event and gets
/// file contents by hash, from the first relay that has them intact as chunk events, else from
/// the first Blossom server (its `server` tags, then the author's kind-10063 list) that serves
/// them intact. Shared by fetch, verify
/// and serve (it is the site's `BundleReader`).
///
/// Any relay may be hostile. Each gets a bounded share: its answers are cut off at the events
/// and bytes a query asks for (see `RelayChunkStore`), its time at `relayTime`. A relay that
/// oversteps, fails, or sends events that do not verify is skipped with a warning naming it,
/// and the others are used: one bad relay among good ones cannot stop a fetch.
public actor NostrSiteReader {
    public let address: NostrSiteAddress
    /// The time one relay may take for the whole read.
    let relayTime: Duration
    /// How long the other relays may take to send site events once one has.
    let laggardGrace: Duration
    private let warn: @Sendable (String) -> Void
    /// The stores behind the site event's `server` tags (Blossom servers), in the order given:
    /// where contents that no relay holds as chunk events are read.
    private let blobSources: @Sendable (_ servers: [String]) -> [any ContentSource]
    private var sessions: [RelaySession]?
    private var unreachable: [String] = []
    private var found: (site: SiteManifest, event: NostrEvent, relay: String)?
    /// The site event read as a foreign site, once its tags passed.
    private var foreign: ForeignSite?
    /// A foreign site's describing files, once made, and the contents kept from making them.
    private var foreignDescription: (manifestData: Data, checksums: Data)?
    private var foreignCache: [String: Data] = [:]
    /// What `pico serve` keeps in memory of a foreign site's blobs.
    static let foreignCacheBytes = 64 << 20
    /// Says what the reader should know that is no problem (who published a site).
    private let tell: @Sendable (String) -> Void
    private var warned: Set<String> = []
    /// Relays skipped, and why, for an error that has nothing else to say.
    private var skipped: [String] = []
    var author: String { address.author.hexString }

    public init(address: NostrSiteAddress, relayTime: Duration = .seconds(300), laggardGrace: Duration = .seconds(10),
         warn: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) },
         blobSources: @escaping @Sendable (_ servers: [String]) -> [any ContentSource] = { _ in [] },
         tell: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data("note: \($0)\n".utf8)) }) {
        (self.address, self.relayTime, self.laggardGrace, self.warn, self.tell) = (address, relayTime, laggardGrace, warn, tell)
        self.blobSources = blobSources
    }

    private func openSessions() async throws -> [RelaySession] {
        if let sessions { return sessions }
        let opened = await open(address.relays, by: ContinuousClock.now + relayTime)
        guard !opened.isEmpty else {
            throw RelayError("no relay of \(address) could be reached:\n" + unreachable.map { "  \($0)" }.joined(separator: "\n"))
        }
        sessions = opened
        return opened
    }

    /// Sessions to every relay of `relays` that can be reached, in their order; the others are
    /// noted in `unreachable`.
    private func open(_ relays: [String], by deadline: ContinuousClock.Instant) async -> [RelaySession] {
        let outcomes = await withTaskGroup(of: (Int, Result<RelaySession, any Error>).self) { group in
            for (index, relay) in relays.enumerated() {
                group.addTask {
                    do { return (index, .success(try await RelaySession.open(relay))) } catch { return (index, .failure(error)) }
                }
            }
            var all: [(Int, Result<RelaySession, any Error>)] = []
            for await outcome in group { all.append(outcome) }
            return all.sorted { $0.0 < $1.0 }
        }
        var opened: [RelaySession] = []
        for (index, outcome) in outcomes {
            switch outcome {
            case .success(let session):
                await session.limitTime(to: deadline)
                opened.append(session)
            case .failure(let error): unreachable.append("\(relays[index]): \(error)")
            }
        }
        return opened
    }

    /// Stops using a relay for the rest of this read, saying why.
    private func skip(_ session: RelaySession, because reason: String) async {
        sessions?.removeAll { $0 === session }
        skipped.append("\(session.url): \(reason)")
        report("\(session.url): \(reason); pico stopped reading from it")
        await session.close()
    }

    private func report(_ warning: String) {
        if warned.insert(warning).inserted { warn(warning) }
    }

    /// The newest site manifest event by the author that is intact, from all relays at once.
    /// Events that fail verification are skipped, with a warning naming the relay; an older
    /// valid event is taken over a newer forged one (a forger cannot hide the site). Only when
    /// no relay holds a valid one is a forged one an error.
    public func siteManifest() async throws -> (site: SiteManifest, event: NostrEvent, relay: String) {
        if let found { return found }
        var filter = NostrFilter(authors: [author], limit: 50)
        switch address.site {
        case .root: filter.kinds = [SiteEventKind.rootSite]
        case .named(let name): filter.kinds = [SiteEventKind.namedSite]; filter.tags = ["d": [name]]
        case .any: filter.kinds = [SiteEventKind.rootSite, SiteEventKind.namedSite]
        }
        let kinds = filter.kinds!
        let author = author
        // NIP-65: the author's relay list rides along in the same REQ; its outbox relays are
        // read too, so a site is found where its author writes even when the address names
        // other relays.
        let relayList = NostrFilter(authors: [author], kinds: [AuthorLists.relays], limit: 5)
        // 50 site events of a 10,000-file site take about 75 MiB; a relay keeps one per site.
        let budget = QueryBudget(maxEvents: 55, maxBytes: 32 << 20)
        let first = await collect(await query(try await openSessions(), [filter, relayList], budget: budget), kinds: kinds)
        var candidates = first.sites
        let lists = first.relayLists
        let known = (sessions ?? []).map(\.url) + address.relays
        let outbox = Self.outboxRelays(in: lists.max { ($0.createdAt, $1.id) < ($1.createdAt, $0.id) })
            .filter { relay in !known.contains { AuthorLists.normalized($0) == AuthorLists.normalized(relay) } }
            .prefix(Self.maxOutboxRelays)
        if !outbox.isEmpty {
            report("the author's relay list (kind 10002) names \(outbox.joined(separator: ", ")); reading the site from \(outbox.count == 1 ? "it" : "them") too")
            let before = unreachable.count
            let more = await open(Array(outbox), by: ContinuousClock.now + relayTime)
            for failure in unreachable[before...] { report("\(failure) (a relay of the author's kind-10002 list)") }
            sessions = (sessions ?? []) + more
            candidates += await collect(await query(more, [filter], budget: budget), kinds: kinds).sites
        }
        for forged in candidates where forged.validity != .valid {
            report("\(forged.relay): skipped the site manifest event \(forged.event.id.prefix(12))… (created_at \(forged.event.createdAt)): "
                   + (forged.validity == .idMismatch ? "its id does not match its content" : "its signature is not the author's"))
        }
        let valid = candidates.filter { $0.validity == .valid }
        var chosen = valid.filter { $0.event.kind == SiteEventKind.rootSite }
        if chosen.isEmpty { chosen = valid }
        if address.site == .any, chosen.first?.event.kind == SiteEventKind.namedSite {
            let names = Set(chosen.compactMap { $0.event.tag("d")?.first })
            if names.count > 1 {
                let choices = names.sorted().map { "  " + NostrSiteAddress.naddr(author: address.author, site: $0, relays: address.relays) }
                throw RelayError("\(address) has \(names.count) sites; name one:\n" + choices.joined(separator: "\n"))
            }
        }
        guard let newest = chosen.max(by: { ($0.event.createdAt, $1.event.id) < ($1.event.createdAt, $0.event.id) }) else {
            if let forged = candidates.first {
                throw RelayError("the site manifest event \(forged.event.id.prefix(12))… on \(forged.relay) is forged or altered "
                                + "(\(forged.validity == .idMismatch ? "its id does not match its content" : "its signature is not the author's"))"
                                + " and no relay holds a valid one; nothing was fetched")
            }
            let why = (skipped + unreachable).map { "\n  \($0)" }.joined()
            throw RelayError("no site by \(NIP19Entity.npub(publicKey: address.author).encoded) on \((address.relays + outbox).joined(separator: ", "))"
                            + " (publish one with pico publish BUNDLE --to RELAY --key KEY)\(why)")
        }
        let site: SiteManifest
        do { site = try SiteManifest(event: newest.event) } catch { throw RelayError("\(newest.relay): \(error)") }
        // The relay that had the newest event is asked for contents first.
        if var ordered = sessions, let index = ordered.firstIndex(where: { $0.url == newest.relay }) {
            ordered.insert(ordered.remove(at: index), at: 0)
            sessions = ordered
        }
        found = (site, newest.event, newest.relay)
        return found!
    }

    /// The author's site events of `kinds` (and of the address's site) in the answers, with
    /// the relay each came from and whether it verifies, and the author's valid kind-10002
    /// lists. A relay that failed or overstepped is skipped.
    private func collect(_ answers: [(RelaySession, Result<QueryAnswer, any Error>)], kinds: [Int]) async
        -> (sites: [(event: NostrEvent, relay: String, validity: NostrEvent.Validity)], relayLists: [NostrEvent]) {
        var sites: [(event: NostrEvent, relay: String, validity: NostrEvent.Validity)] = []
        var lists: [NostrEvent] = []
        for (session, answer) in answers {
            switch answer {
            case .success(let answer):
                if let cut = answer.cutShort { await skip(session, because: cut) ; continue }
                var events = answer.events.filter { $0.pubkey == author && kinds.contains($0.kind) }
                if case .named(let name) = address.site { events = events.filter { $0.tag("d")?.first == name } }
                sites += events.map { ($0, session.url, $0.validity) }
                lists += answer.events.filter { $0.pubkey == author && $0.kind == AuthorLists.relays && $0.validity == .valid }
            case .failure(let error):
                await skip(session, because: "\(error)")
            }
        }
        return (sites, lists)
    }

    /// At most this many relays of the author's kind-10002 list are read beyond the address's.
    static let maxOutboxRelays = 8

    /// The relays an author writes to (NIP-65: `r` tags marked `write` or not marked), as
    /// WebSocket URLs, in the list's order, each once.
    static func outboxRelays(in list: NostrEvent?) -> [String] {
        var relays: [String] = []
        for tag in list?.tags("r") ?? [] where !tag.isEmpty && (tag.count == 1 || tag[1] == "write") {
            let url = tag[0].trimmingCharacters(in: .whitespaces)
            guard url.hasPrefix("ws://") || url.hasPrefix("wss://"), URL(string: url)?.host != nil,
                  !relays.contains(where: { AuthorLists.normalized($0) == AuthorLists.normalized(url) }) else { continue }
            relays.append(url)
        }
        return relays
    }

    /// Runs one query on every session at once. Once one relay has answered, the others get
    /// `laggardGrace` more; a relay that stays silent is closed (which ends its query) instead
    /// of waited for. Answers in URL order.
    private func query(_ open: [RelaySession], _ filters: [NostrFilter], budget: QueryBudget)
        async -> [(RelaySession, Result<QueryAnswer, any Error>)] {
        let grace = laggardGrace
        return await withTaskGroup(of: (RelaySession, Result<QueryAnswer, any Error>)?.self) { group in
            for session in open {
                group.addTask {
                    do { return (session, .success(try await session.run { try await $0.query(filters, budget: budget) })) }
                    catch { return (session, .failure(error)) }
                }
            }
            var all: [(RelaySession, Result<QueryAnswer, any Error>)] = []
            var waitingForLaggards = false
            for await answer in group {
                guard let answer else {
                    for session in open where !all.contains(where: { $0.0 === session }) {
                        await session.close()
                        all.append((session, .failure(RelayError("did not answer within \(grace) of the first relay"))))
                    }
                    continue
                }
                guard !all.contains(where: { $0.0 === answer.0 }) else { continue }
                all.append(answer)
                if all.count == open.count { group.cancelAll(); break }
                if !waitingForLaggards, case .success = answer.1 {
                    waitingForLaggards = true
                    group.addTask { try? await Task.sleep(for: grace); return nil }
                }
            }
            return all.sorted { $0.0.url < $1.0.url }
        }
    }

    /// Contents by hash, each from the first relay that has it intact, else from the first of
    /// the site event's `server` tags that serves it intact. A content that every relay and
    /// server lacks or holds altered keeps the most telling failure (altered over missing). A
    /// relay that fails or oversteps is skipped for the rest of the read; a server that fails
    /// or answers wrong bytes is named in a warning, and the next one is asked.
    public func contents(_ wanted: [StoredContent]) async throws -> [String: Result<Data, FileChunks.Problem>] {
        var results: [String: Result<Data, FileChunks.Problem>] = [:]
        var remaining = wanted
        for session in try await openSessions() where !remaining.isEmpty {
            let store = RelayChunkStore(session: session, author: author, key: nil, information: session.information)
            let answers: [String: Result<Data, FileChunks.Problem>]
            do { answers = try await store.get(remaining) } catch {
                let reason = (error as? RelayOverstepped)?.reason ?? "\(error)"
                for content in remaining where results[content.sha256] == nil {
                    results[content.sha256] = .failure(FileChunks.Problem(description: "\(session.url): \(reason)", forged: false))
                }
                await skip(session, because: reason)
                continue
            }
            var forged = 0
            for (hash, answer) in answers {
                switch (answer, results[hash]) {
                case (.success, _): results[hash] = answer
                case (.failure(let problem), .failure(let earlier)?) where !problem.forged || earlier.forged:
                    if problem.forged { forged += 1 }
                case (.failure(let problem), _):
                    if problem.forged { forged += 1 }
                    results[hash] = .failure(FileChunks.Problem(description: "\(session.url): \(problem)", forged: problem.forged))
                }
            }
            if forged > 0 {
                report("\(session.url): chunk events of \(forged) file content\(forged == 1 ? "" : "s") failed verification (forged or altered); skipped")
            }
            remaining = remaining.filter { (try? results[$0.sha256]?.get()) == nil }
        }
        // Then the Blossom servers: the site event's `server` tags in order, then the author's
        // kind-10063 list (asked only when the tags were not enough).
        let tagged = found?.site.servers ?? []
        remaining = await readBlobs(remaining, from: tagged, into: &results)
        if !remaining.isEmpty {
            let listed = await authorServerList().filter { server in !tagged.contains { Self.sameServer($0, server) } }
            if !listed.isEmpty {
                report("the author's Blossom server list (kind 10063) names \(listed.joined(separator: ", ")); trying \(listed.count == 1 ? "it" : "them") for \(remaining.count) blob\(remaining.count == 1 ? "" : "s")")
                remaining = await readBlobs(remaining, from: listed, into: &results)
            }
        }
        return results
    }

    /// Reads `remaining` from each server in turn, keeping what verifies; returns what is still missing.
    private func readBlobs(_ wanted: [StoredContent], from servers: [String],
                           into results: inout [String: Result<Data, FileChunks.Problem>]) async -> [StoredContent] {
        var remaining = wanted
        let sources = servers.isEmpty ? [] : blobSources(servers)
        for (index, source) in sources.enumerated() where !remaining.isEmpty {
            let answers = await source.get(remaining)
            var forged: [String] = [], failed: [String] = []
            for content in remaining {
                let answer = answers[content.sha256]
                    ?? .failure(FileChunks.Problem(description: "\(source.description) did not answer for \(content.sha256)", forged: false))
                switch (answer, results[content.sha256]) {
                case (.success, _): results[content.sha256] = answer
                case (.failure(let problem), let earlier):
                    if problem.forged { forged.append(problem.description) } else { failed.append(problem.description) }
                    if case .failure(let before)? = earlier, before.forged, !problem.forged { continue }
                    results[content.sha256] = .failure(problem)
                }
            }
            remaining = remaining.filter { (try? results[$0.sha256]?.get()) == nil }
            let next = !remaining.isEmpty && index < sources.count - 1 ? "; trying the next server" : ""
            if let first = forged.first {
                report("\(source.description): \(forged.count) blob\(forged.count == 1 ? "" : "s") had the wrong bytes (\(first)); skipped\(next)")
            }
            if let first = failed.first {
                report("\(source.description): \(failed.count) blob\(failed.count == 1 ? "" : "s") could not be read (\(first))\(next)")
            }
        }
        return remaining
    }

    /// The `server` entries of the author's newest valid kind-10063 list (BUD-03) on the relays, in its order.
    private func authorServerList() async -> [String] {
        let filter = NostrFilter(authors: [author], kinds: [AuthorLists.blossomServers], limit: 5)
        let budget = QueryBudget(maxEvents: 5, maxBytes: 1 << 20)
        var newest: NostrEvent?
        for session in sessions ?? [] {
            guard let answer = try? await session.run({ try await $0.query([filter], timeout: .seconds(30), budget: budget) }),
                  answer.cutShort == nil else { continue }
            for event in answer.events where event.pubkey == author && event.kind == AuthorLists.blossomServers && event.validity == .valid {
                if let known = newest, (known.createdAt, known.id) >= (event.createdAt, event.id) { continue }
                newest = event
            }
        }
        var servers: [String] = []
        for server in newest?.tags("server").compactMap(\.first) ?? [] where !servers.contains(where: { Self.sameServer($0, server) }) {
            servers.append(server)
        }
        return servers
    }

    /// Two server addresses that differ only in a trailing slash or letter case name one server.
    static func sameServer(_ a: String, _ b: String) -> Bool {
        func normal(_ url: String) -> String { (url.hasSuffix("/") ? String(url.dropLast()) : url).lowercased() }
        return normal(a) == normal(b)
    }

    public func close() async {
        for session in sessions ?? [] { await session.close() }
        sessions = nil
    }
}

/// Contents by hash from somewhere other than the relays: a Blossom server named by the site
/// event. Each content is checked against its hash; each fails alone (`forged` when the bytes
/// were wrong). Never throws: a server that is down fails every content, naming itself.
public protocol ContentSource: Sendable {
    var description: String { get }
    func get(_ contents: [StoredContent]) async -> [String: Result<Data, FileChunks.Problem>]
}

/// Single files of the site, for `pico serve`: each fetched whole by its hash from the site
/// event, and refused when larger than `limit`. A site another tool published gets the two
/// describing files pico writes for it (`ForeignSite`): every blob is downloaded and checked
/// once for that (its size goes in the manifest), and kept for serving while they fit in
/// `foreignCacheBytes`.
extension NostrSiteReader: BundleReader {
    public nonisolated var description: String { address.description }

    public func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)? {
        let (site, _, _) = try await siteManifest()
        let hash: String
        if let foreign = try await foreignSite() {
            if BundleManifest.describingFiles.contains(path) {
                let described = try await describeForeign(foreign)
                return InMemoryFileReader(data: path == BundleManifest.fileName ? described.manifestData : described.checksums)
            }
            guard let file = foreign.files.first(where: { $0.path.string == path }) else { return nil }
            if let kept = foreignCache[file.sha256] {
                guard kept.count <= limit else { throw RelayError("\(path) is larger than \(limit) bytes") }
                return InMemoryFileReader(data: kept)
            }
            hash = file.sha256
        } else {
            guard let tagged = site.files.first(where: { $0.path == path })?.sha256 else { return nil }
            hash = tagged
        }
        switch try await contents([StoredContent(sha256: hash, size: nil)])[hash] {
        case .success(let data)?:
            guard data.count <= limit else { throw RelayError("\(path) is larger than \(limit) bytes") }
            return InMemoryFileReader(data: data)
        case .failure(let problem)?: throw RelayError("\(path): \(problem)")
        case nil: return nil
        }
    }

    /// The site as another tool published it: a site event with no pico bundle tag whose `path`
    /// tags do not name pico's describing files. Nil for a pico site. Throws when the tags
    /// cannot be a bundle (see `ForeignSite`).
    public func foreignSite() async throws -> ForeignSite? {
        let (site, event, relay) = try await siteManifest()
        guard site.bundleID == nil, !site.listsDescribingFiles else { return nil }
        if let foreign, foreign.eventID == event.id { return foreign }
        do { foreign = try ForeignSite(event: event) } catch { throw RelayError("\(relay): \(error)") }
        return foreign
    }

    /// The describing files pico writes for a foreign site, made once: every content
    /// downloaded and checked; one that no relay or server has intact is left out, with a warning.
    private func describeForeign(_ foreign: ForeignSite) async throws -> (manifestData: Data, checksums: Data) {
        if let foreignDescription { return foreignDescription }
        let answers = try await contents(foreign.contents)
        var sizes: [String: Int] = [:]
        var kept = 0
        for (hash, answer) in answers {
            switch answer {
            case .success(let data):
                sizes[hash] = data.count
                if kept + data.count <= Self.foreignCacheBytes { foreignCache[hash] = data; kept += data.count }
            case .failure(let problem):
                let paths = foreign.files.filter { $0.sha256 == hash }.map(\.path.string)
                report("\(paths.joined(separator: ", ")): left out of the bundle, no relay or server has it intact: \(problem)")
            }
        }
        let bundle = try foreign.bundle(sizes: sizes)
        tell("\(address) was \(foreign.note)")
        foreignDescription = (bundle.manifestData, bundle.checksums)
        return foreignDescription!
    }
}
