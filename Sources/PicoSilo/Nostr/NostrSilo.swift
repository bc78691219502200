import Foundation
import PicoBlossom
import PicoCore
import PicoFiles
import PicoNostr
import Synchronization
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// Bundles on nostr relays, their files on Blossom servers or in pico's own chunk events.
///
/// Publishing checks the site event against each relay's NIP-11 limits first; then, with
/// Blossom servers given, puts every file on every server as a blob (`BlossomBlobs`), else
/// sends each file's content to each relay as chunk events sized to its limits (contents the
/// relay already holds intact are not sent again); and last one NIP-5A site manifest event that
/// names every file by hash, with the aggregate `x`, the `server` tags, the bundle id and its
/// signature. Fetching finds the author's newest manifest event, reads each file from chunk
/// events, else as a blob from the event's `server` tags, then the author's kind-10063 list
/// (`BlossomBlobSource`), and checks every event's id and signature, every chunk and blob, every
/// file and the bundle signature before anything is kept.
public struct NostrSilo: Silo {
    public let address: String
    /// The author's key, which signs the events `publish` sends.
    public var authorKey: AuthorKey?
    /// Where `publish` sends the bundle.
    let targets: [RelayTarget]
    /// Where `publish` puts the files as blobs; none: in chunk events on the relays.
    let blossomServers: [BlossomServer]
    /// What `fetch`, `verify` and `serve` read.
    let site: NostrSiteAddress?
    /// The records pico has accepted: `fetch` and `verify` refuse a site event older than the
    /// newest one accepted for its name, and remember a newer one.
    public var history: RecordHistory? = .standard()

    public init(publishingTo targets: [RelayTarget], blossom blossomServers: [BlossomServer] = [], address: String) {
        (self.targets, self.blossomServers, self.address, self.site) = (targets, blossomServers, address, nil)
    }

    public init(reading site: NostrSiteAddress) {
        self.site = site
        address = site.description
        targets = site.relays.map { RelayTarget(url: $0, site: site.site) }
        blossomServers = []
    }

    // MARK: Publish

    public func publish(bundle: URL, options: PublishOptions) async throws -> PublishResult {
        guard let key = authorKey else {
            throw SiloError("publishing to nostr relays needs the author's key: --key FILE or PICO_KEY (make one with pico key new -o FILE)")
        }
        if let site, site.author != key.publicKey {
            throw SiloError("\(address) belongs to \(NIP19Entity.npub(publicKey: site.author).encoded), but the key is \(key.npub)")
        }
        let (manifest, manifestData, checksums) = try LocalBundle.readForPublishing(bundle)
        var warnings: [String] = []
        if let signature = manifest.signature {
            guard signature.pubkey == key.publicKeyHex else {
                throw SiloError("the bundle is signed by \(signature.pubkey), but it is being published with \(key.npub); "
                                + "rebuild it with the same --key, so its name and its author agree")
            }
        } else {
            warnings.append("the bundle is not signed: readers can check who published it, but the bundle itself carries no author (build with --key)")
        }
        let contents = PublishedContents(bundle: bundle, manifest: manifest, manifestData: manifestData, checksums: checksums)
        let progress = TransferCounter(totalFiles: 0, totalBytes: 0, report: options.progress)

        // Every relay connected and asked for the name's newest record before anything is sent.
        let prepared = await eachTarget { target in try await prepare(contents, for: target, key: key) }
        var ready = prepared.compactMap { try? $0.1.get() }
        var outcomes = prepared.compactMap { outcome -> (RelayTarget, Result<RelayPublishReport, any Error>)? in
            guard case .failure(let error) = outcome.1 else { return nil }
            return (outcome.0, .failure(error))
        }
        // One record per name for every relay: the places of the newest one merged with these,
        // and each relay's limits checked against the event as it will be sent.
        var records: [String?: SiteRecordPlan] = [:]
        do {
            for site in Set(ready.map(\.site)) {
                let plan = try recordPlan(for: site, relays: ready.filter { $0.site == site }, key: key, options: options)
                records[site] = plan
                warnings += plan.warnings
            }
        } catch {
            for relay in ready { await relay.session.close() }
            throw error
        }
        var fitting: [PreparedRelay] = []
        for var relay in ready {
            let plan = records[relay.site]!
            relay.description = plan.description
            relay.record = plan.event
            if let exceeded = relay.session.information?.limitProblem(with: plan.event, relay: relay.session.url) {
                await relay.session.close()
                outcomes.append((relay.target, .failure(exceeded)))
            } else {
                fitting.append(relay)
            }
        }
        ready = fitting

        // The blobs first: a reader never sees a site event whose files are missing.
        var blobReports: [BlossomBlobs.ServerReport] = []
        if !blossomServers.isEmpty && !ready.isEmpty {
            do {
                blobReports = try await BlossomBlobs(servers: blossomServers, key: key).publish(contents, progress: progress)
            } catch {
                for relay in ready { await relay.session.close() }
                throw SiloError("\(error)\nnothing was sent to the relays: the site event they hold, if any, is still the previous one")
            }
        }
        let sent = await eachTarget(ready.map(\.target)) { [ready] target in
            try await publish(contents, to: ready.first { $0.target == target }!, key: key, progress: progress)
        }
        outcomes = (outcomes + sent).sorted { $0.0.url < $1.0.url }
        var announced: [String] = []
        if options.announce {
            let published = ready.filter { relay in sent.contains { $0.0 == relay.target && (try? $0.1.get()) != nil } }
            (announced, warnings) = await announce(on: published, key: key, warnings: warnings)
        }
        for relay in ready { await relay.session.close() }

        let reports = outcomes.compactMap { try? $0.1.get() }
        // The record is the one pico knows to be newest now: a replay of an older one is refused.
        let publishedSites = Set(ready.filter { relay in reports.contains { $0.relay == relay.session.url } }.map(\.site))
        for site in publishedSites { try? options.history?.accept(records[site]!.event) }
        let failures = outcomes.compactMap { outcome -> String? in
            guard case .failure(let error) = outcome.1 else { return nil }
            let text = String(describing: error)
            return text.hasPrefix(outcome.0.url) ? text : "\(outcome.0.url): \(text)"
        }
        if targets.count == 1, case .failure(let error)? = outcomes.first?.1 { throw error }
        if !failures.isEmpty {
            let done = reports.map { "  \($0.relay): published" }
            throw SiloError("publishing to \(failures.count) of \(targets.count) relays failed:\n"
                            + failures.map { "  \($0)" }.joined(separator: "\n") + (done.isEmpty ? "" : "\n" + done.joined(separator: "\n")))
        }
        if blossomServers.isEmpty {
            warnings.append("the files went to the relays as chunk events (kind 1128), pico's own store, which nsite gateways cannot read: "
                            + "only pico loads this site. Add --to blossom+https://SERVER to put them on a Blossom server for gateways too")
        }
        warnings += blobReports.compactMap(\.mirrorFallbackWarning)
        var result = PublishResult(address: (reports.map(\.relay) + blossomServers.map(\.url)).joined(separator: ", "), manifest: manifest,
                                   written: reports.reduce(0) { $0 + $1.contentsSent }, unchanged: reports.reduce(0) { $0 + $1.contentsHeld },
                                   removed: 0, bytesWritten: reports.reduce(0) { $0 + $1.bytesSent }, warnings: warnings)
        if !blobReports.isEmpty {
            let changed = blobReports.map { $0.uploaded + $0.mirrored }.max() ?? 0
            result.written = changed
            result.unchanged = contents.all.count - changed
            result.bytesWritten = blobReports.reduce(0) { $0 + $1.uploadedBytes }
        }
        result.requests = ["EVENT": reports.reduce(0) { $0 + $1.eventsSent }]
        for report in blobReports {
            for (method, count) in report.requests { result.requests[method, default: 0] += count }
        }
        result.retries = reports.reduce(0) { $0 + $1.reconnects } + blobReports.reduce(0) { $0 + $1.retries }
        result.details = blobReports.map { report in
            "\(report.server): \(report.uploaded) blobs uploaded (\(report.uploadedBytes) bytes), \(report.mirrored) mirrored from another server, "
                + "\(report.held) already there"
        }
        result.details += reports.map { report in
            (report.chunkSize.map { size in
                "\(report.relay): \(report.eventsSent) events (\(report.contentsSent) contents sent in chunks of \(size) bytes, \(report.contentsHeld) already there)"
            } ?? "\(report.relay): \(report.eventsSent) events (the site event; the files are on the Blossom servers)")
                + (report.manifestSent ? "" : "; site event unchanged")
        }
        result.details += announced
        result.requests["EVENT", default: 0] += announced.filter { $0.hasPrefix("announced") }.count * reports.count
        if let first = reports.first, let plan = records[first.site] {
            result.fetchAddress = NostrSiteAddress.naddr(author: key.publicKey, site: first.site, relays: reports.map(\.relay))
            result.siteEvent = plan.event
            let places = plan.description.places
            result.details.append("the record lists \(places.servers.count) Blossom servers, \(places.relays.count) relays, \(places.mirrors.count) mirrors"
                                  + (plan.kept.isEmpty ? "" : " (kept from the previous record: \(plan.kept.joined(separator: ", ")))")
                                  + (plan.dropped.isEmpty ? "" : " (dropped: \(plan.dropped.joined(separator: ", ")))"))
        }
        return result
    }

    /// `--announce`: the author's kind-10063 server list (the Blossom servers) and kind-10002
    /// relay list (these relays, as outbox relays), each merged into the newest one these relays
    /// hold (never dropping an entry) and sent to all of them when it changed. Gateways that
    /// look only at the author's lists find the site then. Failures are warnings: the site is
    /// published already.
    private func announce(on relays: [PreparedRelay], key: AuthorKey, warnings: [String]) async -> (details: [String], warnings: [String]) {
        var warnings = warnings
        guard !relays.isEmpty else { return ([], warnings) }
        let kinds = [AuthorLists.blossomServers, AuthorLists.relays]
        let filter = NostrFilter(authors: [key.publicKeyHex], kinds: kinds, limit: 20)
        var newest: [Int: NostrEvent] = [:]
        for relay in relays {
            guard let events = try? await relay.session.run({ try await $0.query([filter]) }) else { continue }
            for event in events where event.pubkey == key.publicKeyHex && kinds.contains(event.kind) && event.validity == .valid {
                if let known = newest[event.kind], (known.createdAt, known.id) >= (event.createdAt, event.id) { continue }
                newest[event.kind] = event
            }
        }
        var lists: [(kind: Int, tags: [[String]], what: String)] = []
        if !blossomServers.isEmpty, let tags = AuthorLists.mergedServerList(newest[AuthorLists.blossomServers], adding: blossomServers.map(\.url)) {
            lists.append((AuthorLists.blossomServers, tags, "kind 10063, \(tags.filter { $0.first == "server" }.count) Blossom servers"))
        }
        if let tags = AuthorLists.mergedRelayList(newest[AuthorLists.relays], adding: relays.map(\.session.url)) {
            lists.append((AuthorLists.relays, tags, "kind 10002, \(tags.filter { $0.first == "r" }.count) relays"))
        }
        var details: [String] = []
        for list in lists {
            let createdAt = max(Int(Date().timeIntervalSince1970), (newest[list.kind]?.createdAt ?? 0) + 1)
            let event = NostrEvent(kind: list.kind, tags: list.tags, content: newest[list.kind]?.content ?? "", createdAt: createdAt, signedBy: key)
            for relay in relays {
                do {
                    let answer = try await relay.session.run { try await $0.publish(event) }
                    if !answer.accepted { warnings.append("\(relay.session.url) refused the author's \(list.what.prefix(10)) list: \(answer.message)") }
                } catch {
                    warnings.append("\(relay.session.url): the author's \(list.what.prefix(10)) list was not sent: \(error)")
                }
            }
            details.append("announced the author's list (\(list.what)), merged with what the relays held")
        }
        if lists.isEmpty { details.append("the author's server and relay lists already name these servers and relays") }
        return (details, warnings)
    }

    /// Runs `body` for every target at once; outcomes in target order.
    private func eachTarget<T: Sendable>(_ list: [RelayTarget]? = nil, _ body: @escaping @Sendable (RelayTarget) async throws -> T) async
        -> [(RelayTarget, Result<T, any Error>)] {
        let list = list ?? targets
        return await withTaskGroup(of: (Int, Result<T, any Error>).self) { group in
            for (index, target) in list.enumerated() {
                group.addTask {
                    do { return (index, .success(try await body(target))) } catch { return (index, .failure(error)) }
                }
            }
            var all: [(Int, Result<T, any Error>)] = []
            for await outcome in group { all.append(outcome) }
            return all.sorted { $0.0 < $1.0 }.map { (list[$0.0], $0.1) }
        }
    }

    /// A relay ready to be published to: connected, with its site id and site event, which fits its limits.
    struct PreparedRelay: Sendable {
        var target: RelayTarget
        var session: RelaySession
        var site: String?
        var description: SiteManifest
        /// The newest valid site event of this author and site the relay holds.
        var previous: NostrEvent?
        /// The site event to send: set once every relay's previous record is known.
        var record: NostrEvent?
    }

    /// The record one publish sends to every relay of a name.
    struct SiteRecordPlan: Sendable {
        var description: SiteManifest
        var event: NostrEvent
        /// Places kept from the previous record, and places `--drop` removed (for the report).
        var kept: [String] = []
        var dropped: [String] = []
        var warnings: [String] = []
    }

    /// The name's record: the newest valid site event any of `relays` holds (refused when pico
    /// has accepted a newer one: the relays are replaying an old record), its places minus
    /// `options.drops`, plus the places this publish writes to, in one event newer than both.
    /// Unchanged from the newest one, that very event is sent again (so every relay holds the
    /// same record).
    private func recordPlan(for site: String?, relays: [PreparedRelay], key: AuthorKey, options: PublishOptions) throws -> SiteRecordPlan {
        var description = relays[0].description
        let newest = relays.compactMap(\.previous).max { Self.isOlder($0, than: $1) }
        if let newest, let history = options.history {
            do throws(RecordHistory.Refusal) { try history.check(newest) } catch {
                throw SiloError("\(error.description)\nThe relays hold only that older record, so its places cannot be merged; "
                                + "nothing was published. Publish to a relay that holds the newest record too.")
            }
        }
        var plan = SiteRecordPlan(description: description, event: description.event(createdAt: 0, key: key))
        let old = newest.flatMap { try? SiteManifest(event: $0) }?.places ?? SitePlaces()
        let (kept, unmatched) = old.dropping(options.drops)
        plan.dropped = options.drops.filter { !unmatched.contains($0) }
        for location in unmatched {
            plan.warnings.append("--drop \(location): the record of this name lists no such place (it lists "
                                 + (old.isEmpty ? "none" : [old.servers, old.relays, old.mirrors].joined().joined(separator: ", ")) + ")")
        }
        let written = SitePlaces(servers: blossomServers.map(\.url), relays: relays.map(\.session.url),
                                 mirrors: options.mirrors.compactMap(SitePlaces.mirrorBase))
        description.places = kept.adding(written)
        let fromBefore = [kept.servers, kept.relays, kept.mirrors].joined().filter { place in
            ![written.servers, written.relays, written.mirrors].joined().contains(place)
        }
        plan.kept = Array(fromBefore)
        if let newest, let before = try? SiteManifest(event: newest), before.bundleID != description.bundleID, !plan.kept.isEmpty {
            plan.warnings.append("the record keeps \(plan.kept.count) places of the previous one, which named bundle "
                                 + "\(before.bundleID.map { String($0.prefix(12)) + "…" } ?? "(none)"): they may hold that bundle until it is "
                                 + "published there again (--drop PLACE removes one)")
        }
        plan.description = description
        if let newest, (try? SiteManifest(event: newest)) == description,
           newest.tags.contains(["x", description.aggregateHash, "aggregate"]) {
            plan.event = newest
        } else {
            let known = options.history?.newest(author: key.publicKeyHex, site: site)?.createdAt ?? 0
            let createdAt = max(Int(Date().timeIntervalSince1970), (newest?.createdAt ?? 0) + 1, known + 1)
            plan.event = description.event(createdAt: createdAt, key: key)
        }
        return plan
    }

    /// NIP-01's order of replaceable events: the later created_at, then the lower id, is newer.
    static func isOlder(_ a: NostrEvent, than b: NostrEvent) -> Bool {
        a.createdAt < b.createdAt || (a.createdAt == b.createdAt && a.id > b.id)
    }

    private func prepare(_ contents: PublishedContents, for target: RelayTarget, key: AuthorKey) async throws -> PreparedRelay {
        let site: String? = switch target.site {
        case .root: nil
        case .named(let name): name
        case .any: RelayTarget.siteIdentifier(forName: contents.manifest.name)
        }
        let manifest = contents.manifest
        let description = SiteManifest(site: site, files: contents.pathTags, bundleID: manifest.id,
                                       bundleSignature: manifest.signature, title: manifest.name,
                                       servers: blossomServers.map(\.url))
        let session = try await RelaySession.open(target.url)
        // The event as it will be sent, without the places merged in yet (checked again with them).
        let probe = description.event(createdAt: Int(Date().timeIntervalSince1970), key: key)
        if let exceeded = session.information?.limitProblem(with: probe, relay: session.url) {
            await session.close()
            throw exceeded
        }
        let kind = site == nil ? SiteEventKind.rootSite : SiteEventKind.namedSite
        let filter = NostrFilter(authors: [key.publicKeyHex], kinds: [kind], tags: site.map { ["d": [$0]] } ?? [:], limit: 10)
        let previous: [NostrEvent]
        do { previous = try await session.run { try await $0.query([filter]) } } catch {
            await session.close()
            throw error
        }
        let newest = previous.filter { event in
            event.pubkey == key.publicKeyHex && event.kind == kind && (site == nil || event.tag("d")?.first == site) && event.validity == .valid
        }.max { Self.isOlder($0, than: $1) }
        return PreparedRelay(target: target, session: session, site: site, description: description, previous: newest)
    }

    struct RelayPublishReport: Sendable {
        var relay: String
        var site: String?
        /// Nil when the files went to Blossom servers and no chunk events were sent.
        var chunkSize: Int?
        var contentsSent: Int, contentsHeld: Int, eventsSent: Int, bytesSent: Int
        var manifestSent: Bool
        var reconnects: Int
    }

    private func publish(_ contents: PublishedContents, to relay: PreparedRelay, key: AuthorKey,
                         progress: TransferCounter) async throws -> RelayPublishReport {
        let session = relay.session
        let events = EventTally()
        var chunkSize: Int?
        var toSend: [StoredContent] = [], held: Set<String> = []
        if blossomServers.isEmpty {
            // pico's own store: the files as chunk events on the relay.
            var store = RelayChunkStore(session: session, author: key.publicKeyHex, key: key, information: session.information)
            held = try await store.held(contents.all)
            toSend = contents.all.filter { !held.contains($0.sha256) }
            progress.addWork(files: toSend.count, bytes: toSend.reduce(0) { $0 + ($1.size ?? 0) })
            let sizes = ChunkSizeMemory(store.chunkSize)
            try await Parallel.forEach(toSend, limit: 4) { [store] content in
                let data = try contents.data(for: content.sha256)
                var attempt = store
                while true {
                    attempt.chunkSize = sizes.current
                    do {
                        events.add(try await attempt.put(data, sha256: content.sha256))
                        break
                    } catch let refused as RelayChunkStore.ChunkRefused where refused.tooLarge && attempt.chunkSize > 512 {
                        // The relay's NIP-11 limits were not the whole truth: halve and send this content again.
                        sizes.shrink(below: attempt.chunkSize)
                    }
                }
                progress.add(bytes: data.count)
            }
            store.chunkSize = sizes.current
            chunkSize = store.chunkSize
        }

        // The site manifest event last, the same record for every relay, newer than any earlier
        // one (replaceable events keep the newest).
        let site = relay.site
        var manifestSent = false
        let event = relay.record!
        if relay.previous?.id == event.id {
            // Nothing changed on this relay.
        } else {
            let answer = try await session.run { try await $0.publish(event) }
            guard answer.accepted else { throw SiloError("\(session.url) refused the site manifest event: \(answer.message)") }
            events.add(1)
            manifestSent = true
        }
        return RelayPublishReport(relay: session.url, site: site, chunkSize: chunkSize, contentsSent: toSend.count,
                                  contentsHeld: held.count, eventsSent: events.value,
                                  bytesSent: toSend.reduce(0) { $0 + ($1.size ?? 0) }, manifestSent: manifestSent,
                                  reconnects: await session.reconnects)
    }

    // MARK: Fetch, verify, serve

    private func siteReader() throws -> NostrSiteReader {
        guard let site else {
            throw SiloError("\(address) is a relay to publish to; to read a bundle name its author: "
                            + "nostr:npub1…?relay=\(targets.first?.url ?? "wss://…") (or the naddr that pico publish printed)")
        }
        return NostrSiteReader(address: site, blobSources: BlossomBlobSource.sources)
    }

    /// Everything the relays hold for the site, checked; `files` keyed by bundle path.
    private struct Retrieved {
        var manifestData: Data
        var checksums: Data
        var manifest: BundleManifest
        /// Only files whose paths keep the rules: they are written to disk once all verified.
        var files: [BundlePath: Data] = [:]
        var problems: [VerificationProblem] = []
        /// Who published a site that is not pico's, and what was checked (for the report).
        var note: String?
    }

    private func retrieve(with reader: NostrSiteReader) async throws -> Retrieved {
        let (site, event, relay) = try await SiloError.during("reading the site event of \(address)") { try await reader.siteManifest() }
        if let history {
            do throws(RecordHistory.Refusal) { try history.accept(event) } catch {
                throw SiloError.verdict("\(error.description)\nnothing was fetched from \(relay)")
            }
        }
        if let foreign = try await SiloError.during("reading the site event of \(address)", { try await reader.foreignSite() }) {
            return try await retrieve(foreign, with: reader)
        }
        let describing = Dictionary(site.files.filter { BundleManifest.describingFiles.contains($0.path) }.map { ($0.path, $0.sha256) },
                                    uniquingKeysWith: { first, _ in first })
        guard let manifestHash = describing[BundleManifest.fileName], let checksumsHash = describing[BundleManifest.checksumsFileName] else {
            throw SiloError("the site event \(event.id.prefix(12))… on \(relay) lists no \(BundleManifest.fileName); it is not a pico bundle")
        }
        let got = try await SiloError.during("downloading \(BundleManifest.fileName) and \(BundleManifest.checksumsFileName) from \(address)") {
            try await reader.contents([StoredContent(sha256: manifestHash, size: nil), StoredContent(sha256: checksumsHash, size: nil)])
        }
        func describingFile(_ name: String, _ hash: String) throws -> Data {
            switch got[hash] {
            case .success(let data)?: return data
            case .failure(let problem)?: throw SiloError("\(name): \(problem); nothing was accepted")
            case nil: throw SiloError("\(name): not found on any relay")
            }
        }
        let manifestData = try describingFile(BundleManifest.fileName, manifestHash)
        let checksums = try describingFile(BundleManifest.checksumsFileName, checksumsHash)
        let manifest: BundleManifest
        do { manifest = try BundleManifest.decode(manifestData) } catch {
            throw SiloError("\(BundleManifest.fileName) from \(relay) is unreadable: \(error)")
        }
        var retrieved = Retrieved(manifestData: manifestData, checksums: checksums, manifest: manifest)
        if let bundleID = site.bundleID {
            if manifest.id != bundleID {
                retrieved.problems.append(.init(.id, "the site event names bundle \(bundleID), but its \(BundleManifest.fileName) is bundle \(manifest.id)"))
            }
            if manifest.signature != site.bundleSignature {
                retrieved.problems.append(.init(.signature, "the site event's bundle-signature tag differs from the signature in \(BundleManifest.fileName)"))
            }
        } else {
            // A pico bundle folder another tool published: its own manifest is all there is to check against.
            let client = event.tag("client")?.first.map { TextFormats.escapingControls(String($0.prefix(60))) } ?? "a tool other than pico"
            retrieved.note = "published by \(client), with its \(BundleManifest.fileName): verified as a pico bundle; the site event has no bundle tag"
        }
        if let signer = manifest.signature?.pubkey, signer != event.pubkey {
            retrieved.problems.append(.init(.signer, "the bundle is signed by \(signer), but its site event is by \(event.pubkey)"))
        }
        let tagged = Dictionary(site.files.map { ($0.path, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        for file in manifest.files where tagged[file.path] != file.sha256 {
            retrieved.problems.append(.init(.changed, path: file.path, "the site event's path tag does not give this file's SHA-256 from the manifest"))
        }
        // Each content once, then every path that has it.
        var unique: [String: Int] = [:]
        let safe = manifest.safeFiles
        for file in safe { unique[file.sha256] = file.size }
        let answers = try await SiloError.during("downloading \(unique.count) files from \(address)") {
            try await reader.contents(unique.map { StoredContent(sha256: $0.key, size: $0.value) })
        }
        for file in safe {
            switch answers[file.sha256] {
            case .success(let data)?: retrieved.files[file.path] = data
            case .failure(let problem)?:
                retrieved.problems.append(.init(problem.forged ? .changed : .missing, path: file.path.string, problem.description))
            case nil: retrieved.problems.append(.init(.missing, path: file.path.string, "not found on any relay"))
            }
        }
        return retrieved
    }

    /// A site another tool published: every blob downloaded and checked against its `path` tag,
    /// then the unsigned manifest and SHA256SUMS made from the tags and the checked sizes. A
    /// content with no intact copy is left out of that manifest and is a problem of its own, so
    /// the bundle does not verify and nothing is written.
    private func retrieve(_ foreign: ForeignSite, with reader: NostrSiteReader) async throws -> Retrieved {
        let answers = try await SiloError.during("downloading \(foreign.contents.count) files from \(address)") {
            try await reader.contents(foreign.contents)
        }
        var sizes: [String: Int] = [:], files: [BundlePath: Data] = [:], problems: [VerificationProblem] = []
        for file in foreign.files {
            switch answers[file.sha256] {
            case .success(let data)?:
                sizes[file.sha256] = data.count
                files[file.path] = data
            case .failure(let problem)?:
                problems.append(.init(problem.forged ? .changed : .missing, path: file.path.string, problem.description))
            case nil: problems.append(.init(.missing, path: file.path.string, "not found on any relay or server"))
            }
        }
        let bundle = try foreign.bundle(sizes: sizes)
        var retrieved = Retrieved(manifestData: bundle.manifestData, checksums: bundle.checksums, manifest: bundle.manifest,
                                  files: files, problems: problems)
        retrieved.note = foreign.note
        return retrieved
    }

    private func present(_ retrieved: Retrieved) -> [String: PresentFile] {
        Dictionary(uniqueKeysWithValues: retrieved.files.map { path, data in
            (path.string, PresentFile(isRegularFile: true, size: data.count, sha256: SHA256Hex.of(data)))
        })
    }

    public func fetch(to destination: URL, verifier: BundleVerifier) async throws -> VerificationReport {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path), !((try? fm.contentsOfDirectory(atPath: destination.path)) ?? []).isEmpty {
            throw SiloError("\(destination.path) already exists and is not empty; fetch into a new folder")
        }
        let reader = try siteReader()
        let retrieved: Retrieved
        do {
            retrieved = try await retrieve(with: reader)
            await reader.close()
        } catch {
            await reader.close()
            throw error
        }
        // Everything is in memory already: the files are written only once it all verified.
        var report = try FetchedBundle.finish(try StagingFolder(replacing: destination), from: address,
                                              manifestData: retrieved.manifestData, checksums: retrieved.checksums,
                                              present: present(retrieved), inMemory: retrieved.files,
                                              siloProblems: retrieved.problems, verifier: verifier)
        report.note = retrieved.note
        return report
    }

    public func verify(with verifier: BundleVerifier) async throws -> [VerificationReport] {
        let reader = try siteReader()
        do {
            let retrieved = try await retrieve(with: reader)
            await reader.close()
            var report = FetchedBundle.report(target: address, manifestData: retrieved.manifestData, checksums: retrieved.checksums,
                                              present: present(retrieved), siloProblems: retrieved.problems, verifier: verifier)
            report.note = retrieved.note
            return [report]
        } catch {
            await reader.close()
            throw error
        }
    }

    public func reader() throws -> any BundleReader {
        guard let site else { throw SiloError("\(address) is a relay, not a bundle: name it nostr:npub1…?relay=…") }
        return NostrSiteReader(address: site, blobSources: BlossomBlobSource.sources)
    }
}

/// A bundle's contents, by hash, as publishing reads them: files from disk (checked against
/// the manifest as they are read), the two describing files from memory.
struct PublishedContents: Sendable {
    let bundle: URL
    let manifest: BundleManifest
    /// Every distinct content once.
    let all: [StoredContent]
    /// `path` tags: every file, then SHA256SUMS and pico-manifest.json.
    let pathTags: [(path: String, sha256: String)]
    /// The describing files, by hash (they are in memory; the rest is read when sent).
    private let inMemory: [String: Data]
    private let firstPath: [String: String]
    private let types: [String: String]

    init(bundle: URL, manifest: BundleManifest, manifestData: Data, checksums: Data) {
        (self.bundle, self.manifest) = (bundle, manifest)
        let describing = [(BundleManifest.checksumsFileName, checksums), (BundleManifest.fileName, manifestData)]
            .map { (path: $0.0, data: $0.1, sha256: SHA256Hex.of($0.1)) }
        pathTags = manifest.files.map { ($0.path, $0.sha256) } + describing.map { ($0.path, $0.sha256) }
        var firstPath: [String: String] = [:]
        var all: [StoredContent] = []
        var types: [String: String] = [:]
        for file in manifest.files where firstPath[file.sha256] == nil {
            firstPath[file.sha256] = file.path
            types[file.sha256] = file.type
            all.append(StoredContent(sha256: file.sha256, size: file.size))
        }
        var inMemory: [String: Data] = [:]
        for file in describing {
            if firstPath[file.sha256] == nil { all.append(StoredContent(sha256: file.sha256, size: file.data.count)) }
            firstPath[file.sha256] = firstPath[file.sha256] ?? file.path
            inMemory[file.sha256] = file.data
        }
        self.all = all
        self.firstPath = firstPath
        self.inMemory = inMemory
        self.types = types
    }

    /// The first bundle path with this content, for messages.
    func name(of sha256: String) -> String { firstPath[sha256] ?? sha256 }

    /// The media type of the first path with this content (the manifest's, for Blossom uploads).
    func type(of sha256: String) -> String { types[sha256] ?? MediaType.of(path: name(of: sha256)) }

    func data(for sha256: String) throws -> Data {
        if let data = inMemory[sha256] { return data }
        guard let path = firstPath[sha256] else { throw SiloError("no file with SHA-256 \(sha256)") }
        let data = try FileTree.read(atPath: bundle.path + "/" + path)
        guard SHA256Hex.of(data) == sha256 else {
            throw SiloError("\(path) changed since the bundle was built (its SHA-256 is not the manifest's); nothing more was published. Run pico verify \(bundle.path)")
        }
        return data
    }
}

/// Events sent, counted from concurrent uploads.
final class EventTally: Sendable {
    private let count = Mutex(0)
    func add(_ n: Int) { count.withLock { $0 += n } }
    var value: Int { count.withLock { $0 } }
}

/// The chunk size that works on a relay, shared by the contents sent to it at once.
final class ChunkSizeMemory: Sendable {
    private let size: Mutex<Int>
    init(_ size: Int) { self.size = Mutex(size) }
    var current: Int { size.withLock { $0 } }
    func shrink(below tried: Int) { size.withLock { $0 = min($0, tried / 2 / 3 * 3) } }
}
