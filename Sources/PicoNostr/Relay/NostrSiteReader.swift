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
    private var warned: Set<String> = []
    /// Relays skipped, and why, for an error that has nothing else to say.
    private var skipped: [String] = []
    var author: String { address.author.hexString }

    public init(address: NostrSiteAddress, relayTime: Duration = .seconds(300), laggardGrace: Duration = .seconds(10),
         warn: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) },
         blobSources: @escaping @Sendable (_ servers: [String]) -> [any ContentSource] = { _ in [] }) {
        (self.address, self.relayTime, self.laggardGrace, self.warn) = (address, relayTime, laggardGrace, warn)
        self.blobSources = blobSources
    }

    private func openSessions() async throws -> [RelaySession] {
        if let sessions { return sessions }
        let deadline = ContinuousClock.now + relayTime
        let outcomes = await withTaskGroup(of: (Int, Result<RelaySession, any Error>).self) { group in
            for (index, relay) in address.relays.enumerated() {
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
            case .failure(let error): unreachable.append("\(address.relays[index]): \(error)")
            }
        }
        guard !opened.isEmpty else {
            throw RelayError("no relay of \(address) could be reached:\n" + unreachable.map { "  \($0)" }.joined(separator: "\n"))
        }
        sessions = opened
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
        // 50 site events of a 10,000-file site take about 75 MiB; a relay keeps one per site.
        let budget = QueryBudget(maxEvents: 50, maxBytes: 32 << 20)
        let open = try await openSessions()
        let grace = laggardGrace
        let answers = await withTaskGroup(of: (RelaySession, Result<QueryAnswer, any Error>)?.self) { group in
            for session in open {
                group.addTask { [filter] in
                    do { return (session, .success(try await session.run { try await $0.query([filter], budget: budget) })) }
                    catch { return (session, .failure(error)) }
                }
            }
            var all: [(RelaySession, Result<QueryAnswer, any Error>)] = []
            var waitingForLaggards = false
            for await answer in group {
                guard let answer else {
                    // Once one relay has answered, the others get `grace` more; a relay that
                    // stays silent is closed (which ends its query) instead of waited for.
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
        var candidates: [(event: NostrEvent, relay: String, validity: NostrEvent.Validity)] = []
        for (session, answer) in answers {
            switch answer {
            case .success(let answer):
                if let cut = answer.cutShort { await skip(session, because: cut) ; continue }
                var events = answer.events.filter { $0.pubkey == author && kinds.contains($0.kind) }
                if case .named(let name) = address.site { events = events.filter { $0.tag("d")?.first == name } }
                candidates += events.map { ($0, session.url, $0.validity) }
            case .failure(let error):
                await skip(session, because: "\(error)")
            }
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
            throw RelayError("no site by \(NIP19Entity.npub(publicKey: address.author).encoded) on \(address.relays.joined(separator: ", "))"
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
/// event, and refused when larger than `limit`.
extension NostrSiteReader: BundleReader {
    public nonisolated var description: String { address.description }

    public func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)? {
        let (site, _, _) = try await siteManifest()
        guard let hash = site.files.first(where: { $0.path == path })?.sha256 else { return nil }
        switch try await contents([StoredContent(sha256: hash, size: nil)])[hash] {
        case .success(let data)?:
            guard data.count <= limit else { throw RelayError("\(path) is larger than \(limit) bytes") }
            return InMemoryFileReader(data: data)
        case .failure(let problem)?: throw RelayError("\(path): \(problem)")
        case nil: return nil
        }
    }
}
