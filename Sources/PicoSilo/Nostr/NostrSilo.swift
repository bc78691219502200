import Foundation
import PicoCore
import PicoFiles
import PicoNostr
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Bundles on nostr relays. Publishing sends each file's content as chunk events sized to the
/// relay's NIP-11 limits (contents the relay already holds intact are not sent again), then one
/// NIP-5A site manifest event that names every file by hash plus the bundle id and signature.
/// Fetching finds the author's newest manifest event and checks every event's id and
/// signature, every chunk, every file and the bundle signature before anything is kept.
public struct NostrSilo: Silo {
    public let address: String
    /// The author's key, which signs the events `publish` sends.
    public var authorKey: AuthorKey?
    /// Where `publish` sends the bundle.
    let targets: [RelayTarget]
    /// What `fetch`, `verify` and `serve` read.
    let site: NostrSiteAddress?

    public init(publishingTo targets: [RelayTarget], address: String) {
        (self.targets, self.address, self.site) = (targets, address, nil)
    }

    public init(reading site: NostrSiteAddress) {
        self.site = site
        address = site.description
        targets = site.relays.map { RelayTarget(url: $0, site: site.site) }
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

        let outcomes = await withTaskGroup(of: (RelayTarget, Result<RelayPublishReport, any Error>).self) { group in
            for target in targets {
                group.addTask {
                    do {
                        return (target, .success(try await publish(contents, to: target, key: key, progress: progress)))
                    } catch {
                        return (target, .failure(error))
                    }
                }
            }
            var all: [(RelayTarget, Result<RelayPublishReport, any Error>)] = []
            for await outcome in group { all.append(outcome) }
            return all.sorted { $0.0.url < $1.0.url }
        }
        let reports = outcomes.compactMap { try? $0.1.get() }
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
        for report in reports where report.site.map({ $0.count > 13 }) ?? false {
            warnings.append("site id \"\(report.site!)\" is longer than 13 characters, too long for an nsite gateway's host name; choose one with \(report.relay)?site=NAME")
        }
        var result = PublishResult(address: reports.map(\.relay).joined(separator: ", "), manifest: manifest,
                                   written: reports.reduce(0) { $0 + $1.contentsSent }, unchanged: reports.reduce(0) { $0 + $1.contentsHeld },
                                   removed: 0, bytesWritten: reports.reduce(0) { $0 + $1.bytesSent }, warnings: warnings)
        result.requests = ["EVENT": reports.reduce(0) { $0 + $1.eventsSent }]
        result.retries = reports.reduce(0) { $0 + $1.reconnects }
        result.details = reports.map { report in
            "\(report.relay): \(report.eventsSent) events (\(report.contentsSent) contents sent in chunks of \(report.chunkSize) bytes, "
                + "\(report.contentsHeld) already there)" + (report.manifestSent ? "" : "; site event unchanged")
        }
        if let first = reports.first {
            result.fetchAddress = NostrSiteAddress.naddr(author: key.publicKey, site: first.site, relays: reports.map(\.relay))
        }
        return result
    }

    struct RelayPublishReport: Sendable {
        var relay: String
        var site: String?
        var chunkSize: Int
        var contentsSent: Int, contentsHeld: Int, eventsSent: Int, bytesSent: Int
        var manifestSent: Bool
        var reconnects: Int
    }

    private func publish(_ contents: PublishedContents, to target: RelayTarget, key: AuthorKey,
                         progress: TransferCounter) async throws -> RelayPublishReport {
        let session = try await RelaySession.open(target.url)
        do {
            let report = try await publish(contents, session: session, target: target, key: key, progress: progress)
            await session.close()
            return report
        } catch {
            await session.close()
            throw error
        }
    }

    private func publish(_ contents: PublishedContents, session: RelaySession, target: RelayTarget, key: AuthorKey,
                         progress: TransferCounter) async throws -> RelayPublishReport {
        let site: String? = switch target.site {
        case .root: nil
        case .named(let name): name
        case .any: RelayTarget.siteIdentifier(forName: contents.manifest.name)
        }
        var store = RelayChunkStore(session: session, author: key.publicKeyHex, key: key, information: session.information)
        let held = try await store.held(contents.all)
        let toSend = contents.all.filter { !held.contains($0.sha256) }
        progress.addWork(files: toSend.count, bytes: toSend.reduce(0) { $0 + ($1.size ?? 0) })

        let events = EventTally()
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

        // The site manifest event last, newer than any earlier one (replaceable events keep the newest).
        let manifest = contents.manifest
        let kind = site == nil ? SiteEventKind.rootSite : SiteEventKind.namedSite
        let filter = NostrFilter(authors: [key.publicKeyHex], kinds: [kind], tags: site.map { ["d": [$0]] } ?? [:], limit: 10)
        let previous = try await session.run { try await $0.query([filter]) }.filter { $0.validity == .valid }
        let newestPrevious = previous.max { $0.createdAt < $1.createdAt }
        let description = SiteManifest(site: site, files: contents.pathTags, bundleID: manifest.id,
                                       bundleSignature: manifest.signature, title: manifest.name)
        var manifestSent = false
        if toSend.isEmpty, let newestPrevious, (try? SiteManifest(event: newestPrevious)) == description {
            // Nothing changed on this relay.
        } else {
            let createdAt = max(Int(Date().timeIntervalSince1970), (newestPrevious?.createdAt ?? 0) + 1)
            let event = description.event(createdAt: createdAt, key: key)
            let answer = try await session.run { try await $0.publish(event) }
            guard answer.accepted else { throw SiloError("\(session.url) refused the site manifest event: \(answer.message)") }
            events.add(1)
            manifestSent = true
        }
        return RelayPublishReport(relay: session.url, site: site, chunkSize: store.chunkSize, contentsSent: toSend.count,
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
        return NostrSiteReader(address: site)
    }

    /// Everything the relays hold for the site, checked; `files` keyed by bundle path.
    private struct Retrieved {
        var manifestData: Data
        var checksums: Data
        var manifest: BundleManifest
        /// Only files whose paths keep the rules: they are written to disk once all verified.
        var files: [BundlePath: Data] = [:]
        var problems: [VerificationProblem] = []
    }

    private func retrieve(with reader: NostrSiteReader) async throws -> Retrieved {
        let (site, event, relay) = try await reader.siteManifest()
        let describing = Dictionary(site.files.filter { BundleManifest.describingFiles.contains($0.path) }.map { ($0.path, $0.sha256) },
                                    uniquingKeysWith: { first, _ in first })
        guard let manifestHash = describing[BundleManifest.fileName], let checksumsHash = describing[BundleManifest.checksumsFileName] else {
            throw SiloError("the site event \(event.id.prefix(12))… on \(relay) lists no \(BundleManifest.fileName); it is not a pico bundle")
        }
        let got = try await reader.contents([StoredContent(sha256: manifestHash, size: nil), StoredContent(sha256: checksumsHash, size: nil)])
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
        if manifest.id != site.bundleID {
            retrieved.problems.append(.init(.id, "the site event names bundle \(site.bundleID), but its \(BundleManifest.fileName) is bundle \(manifest.id)"))
        }
        if manifest.signature != site.bundleSignature {
            retrieved.problems.append(.init(.signature, "the site event's bundle-signature tag differs from the signature in \(BundleManifest.fileName)"))
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
        let answers = try await reader.contents(unique.map { StoredContent(sha256: $0.key, size: $0.value) })
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
        return try FetchedBundle.finish(try StagingFolder(replacing: destination), from: address,
                                        manifestData: retrieved.manifestData, checksums: retrieved.checksums,
                                        present: present(retrieved), inMemory: retrieved.files,
                                        siloProblems: retrieved.problems, verifier: verifier)
    }

    public func verify(with verifier: BundleVerifier) async throws -> [VerificationReport] {
        let reader = try siteReader()
        do {
            let retrieved = try await retrieve(with: reader)
            await reader.close()
            return [FetchedBundle.report(target: address, manifestData: retrieved.manifestData, checksums: retrieved.checksums,
                                         present: present(retrieved), siloProblems: retrieved.problems, verifier: verifier)]
        } catch {
            await reader.close()
            throw error
        }
    }

    public func reader() throws -> any BundleReader {
        guard let site else { throw SiloError("\(address) is a relay, not a bundle: name it nostr:npub1…?relay=…") }
        return NostrSiteReader(address: site)
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

    init(bundle: URL, manifest: BundleManifest, manifestData: Data, checksums: Data) {
        (self.bundle, self.manifest) = (bundle, manifest)
        let describing = [(BundleManifest.checksumsFileName, checksums), (BundleManifest.fileName, manifestData)]
            .map { (path: $0.0, data: $0.1, sha256: SHA256Hex.of($0.1)) }
        pathTags = manifest.files.map { ($0.path, $0.sha256) } + describing.map { ($0.path, $0.sha256) }
        var firstPath: [String: String] = [:]
        var all: [StoredContent] = []
        for file in manifest.files where firstPath[file.sha256] == nil {
            firstPath[file.sha256] = file.path
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
    }

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
