import Foundation
import PicoCore
import PicoFiles
import PicoNostr
#if canImport(Glibc)
import Glibc
#endif

/// The record of a name: the author-signed site event, where it was read, and the places it lists.
public struct SiteRecord: Sendable {
    public let event: NostrEvent
    public let site: SiteManifest
    /// A relay URL, or the `site-event.json` a library keeps.
    public let source: String

    public var bundleID: String? { site.bundleID }

    /// `mirror` tags: http(s) base URLs, each once, in order.
    public var mirrors: [String] {
        Self.unique(event.tags("mirror").compactMap(\.first).filter { $0.hasPrefix("https://") || $0.hasPrefix("http://") })
    }

    /// `relay` tags: where the site event and chunk events were published.
    public var relays: [String] {
        Self.unique(event.tags("relay").compactMap(\.first).filter { $0.hasPrefix("wss://") || $0.hasPrefix("ws://") })
    }

    public var servers: [String] { Self.unique(site.servers) }

    static func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// Newer by NIP-01's order for replaceable events: later created_at, then the lower id.
    func isNewer(than other: SiteRecord) -> Bool {
        (event.createdAt, other.event.id) > (other.event.createdAt, event.id)
    }
}

/// A bundle found by its name (issue 16): the newest record that verifies on the name's relays
/// (and the author's kind-10002 relays), or kept beside the bundle in a folder library; then the
/// places the record lists, tried in order — the library, `mirror` tags, Blossom `server` tags,
/// relay chunk events. `SHA256SUMS` is taken only when it hashes to the signed bundle id; each
/// file comes from the first place whose bytes verify; a place that serves a wrong byte is
/// skipped for the rest of the read, and it and every unreachable place are named.
public struct NamedBundle: Silo {
    public let name: SiteName
    /// A folder library to try first (`--from DIR`), and where a record is found offline.
    public var library: URL?
    /// Where accepted records are remembered, so that an older one is refused; nil: not remembered.
    public var history: RecordHistory?
    public var warn: @Sendable (String) -> Void
    public var address: String { name.description }
    /// The file a folder library keeps each bundle's record in.
    public static let recordFileName = "site-event.json"

    /// A plain `nostr:naddr1…` read with no library: when its record lists no mirror, the
    /// relays and Blossom servers are read exactly as before issue 16 (`NostrSilo`).
    var plainAddress: NostrSiteAddress?

    public init(name: SiteName, library: URL? = nil, history: RecordHistory? = .standard(),
                warn: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }) {
        (self.name, self.library, self.history, self.warn) = (name, library, history, warn)
    }

    /// The name as `SiloAddress` reads it (no library).
    init(address text: String) throws {
        self.init(name: try SiteName(parsing: text))
        if text.hasPrefix("nostr:"), !text.contains("/") || text.firstIndex(of: "/")! > (text.firstIndex(of: "?") ?? text.endIndex) {
            plainAddress = try? NostrSiteAddress(parsing: text)
        }
    }

    /// The silo that reads a plain address as before, when this read should go that way: no
    /// library, and a pico record that lists no mirror (or a site another tool published).
    func plainSilo() async throws -> NostrSilo? {
        guard library == nil, let plainAddress else { return nil }
        var peek = self
        peek.history = nil
        peek.warn = { _ in }
        let record = try await peek.record()
        guard record.mirrors.isEmpty || record.bundleID == nil else { return nil }
        return NostrSilo(reading: plainAddress)
    }

    public func publish(bundle: URL, options: PublishOptions) async throws -> PublishResult {
        throw SiloError("\(address) is a name; publish to the places themselves (--to wss://RELAY --to blossom+https://… --to DIR)")
    }

    // MARK: The record

    /// The newest valid record of the name on the relays and in the library, accepted into the
    /// history (an older one than pico has seen is refused).
    public func record() async throws -> SiteRecord {
        var candidates: [SiteRecord] = []
        var failures: [String] = []
        if let address = try name.address() {
            let reader = NostrSiteReader(address: address, warn: warn, blobSources: { _ in [] }, tell: { _ in })
            do {
                let (site, event, relay) = try await reader.siteManifest()
                candidates.append(SiteRecord(event: event, site: site, source: relay))
            } catch {
                failures.append("\(error)")
            }
            await reader.close()
        }
        if let library, let kept = libraryRecords(in: library).first {
            candidates.append(kept.record)
        }
        guard var newest = candidates.first else {
            let why = failures.isEmpty ? "" : ":\n" + failures.map { "  \($0)" }.joined(separator: "\n")
            throw SiloError("no record of \(name) was found" + (library.map { " (on the relays or in \($0.path))" } ?? "")
                            + (name.relays.isEmpty && library == nil ? "; the name gives no relay: add ?relay=wss://… or --from DIR" : "") + why)
        }
        for candidate in candidates.dropFirst() where candidate.isNewer(than: newest) { newest = candidate }
        if !failures.isEmpty, library != nil {
            warn("the relays gave no record (\(failures.joined(separator: "; ").prefix(300))); using the one kept in the library, \(newest.source)")
        }
        if let history {
            do throws(RecordHistory.Refusal) { try history.accept(newest.event) } catch { throw SiloError(error.description) }
        }
        return newest
    }

    /// The library's records of this name, newest first, each with its bundle folder: a
    /// `site-event.json` that verifies (id, signature) and names this author, kind and `d`.
    func libraryRecords(in library: URL) -> [(record: SiteRecord, folder: URL)] {
        var found: [(record: SiteRecord, folder: URL)] = []
        for folder in FilesystemSilo(url: library, address: library.path).bundles() {
            let file = folder.appendingPathComponent(Self.recordFileName)
            var info = stat()
            guard lstat(file.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size < 64 << 20,
                  let data = try? FileTree.read(atPath: file.path),
                  let event = try? JSONDecoder().decode(NostrEvent.self, from: data) else { continue }
            guard name.names(event) else { continue }
            guard event.validity == .valid else {
                warn("\(file.path) is not a valid signed site event (altered, or not signed by its author); ignored")
                continue
            }
            guard let site = try? SiteManifest(event: event) else { continue }
            found.append((SiteRecord(event: event, site: site, source: file.path), folder))
        }
        return found.sorted { $0.record.isNewer(than: $1.record) }
    }

    /// Every place the record lists, in the order they are tried.
    func places(of record: SiteRecord) throws -> [BundlePlace] {
        var places: [BundlePlace] = []
        if let library {
            places.append(BundlePlace(kind: .library, location: library.path, reader: libraryReader(library, record: record)))
        }
        for mirror in record.mirrors {
            places.append(BundlePlace(kind: .mirror, location: mirror, reader: MirrorPlaceReader(base: mirror)))
        }
        for server in record.servers {
            places.append(BundlePlace(kind: .blossom, location: server, reader: BlossomPlaceReader(tag: server)))
        }
        // pico puts the files on the relays as chunk events only when it has no Blossom server.
        guard record.servers.isEmpty else { return places }
        var relays = record.relays
        for relay in name.relays + [record.source] where relay.hasPrefix("ws") && !relays.contains(relay) { relays.append(relay) }
        if let address = try name.address(relays: relays) {
            places.append(BundlePlace(kind: .relay, location: address.relays.joined(separator: ", "), reader: RelayPlaceReader(address: address)))
        }
        return places
    }

    /// The library's folder for this record: one whose record names it and whose SHA256SUMS is
    /// the record's bundle, else one that simply holds that bundle, else the newest of the name
    /// (a stale copy).
    private func libraryReader(_ library: URL, record: SiteRecord) -> LibraryPlaceReader {
        func holds(_ folder: URL) -> Bool {
            guard let data = try? FileTree.read(atPath: folder.path + "/" + BundleManifest.checksumsFileName) else { return false }
            return Checksums.bundleID(of: data) == record.bundleID
        }
        let named = libraryRecords(in: library).map(\.folder)
        if let folder = named.first(where: holds) ?? FilesystemSilo(url: library, address: library.path).bundles().first(where: holds) ?? named.first {
            return LibraryPlaceReader(folder: folder, absence: "")
        }
        return LibraryPlaceReader(folder: nil, absence: "\(library.path) holds no bundle named \(name)")
    }

    // MARK: Reading through the places

    /// The state of one place after (part of) a read.
    public enum PlaceState: Error, Sendable, Equatable {
        case current
        /// It holds another bundle (its SHA256SUMS hashes to this id).
        case stale(bundleID: String)
        /// It served wrong bytes (or lacks) this file.
        case tampered(file: String, reason: String)
        case unreachable(String)

        public var word: String {
            switch self {
            case .current: "current"
            case .stale: "stale"
            case .tampered: "tampered"
            case .unreachable: "unreachable"
            }
        }

        public var detail: String {
            switch self {
            case .current: ""
            case .stale(let id): "holds bundle \(id)"
            case .tampered(let file, let reason): "\(file): \(reason)"
            case .unreachable(let why): why
            }
        }
    }

    /// The describing files, checked against the record, and what each place did.
    struct Described: Sendable {
        var record: SiteRecord
        var places: [BundlePlace]
        var manifestData: Data
        var checksums: Data
        var manifest: BundleManifest
        /// Index of each place that may not be used any more, and why.
        var skipped: [Int: PlaceState]
        var problems: [VerificationProblem]
        /// Files taken from each place, by index.
        var used: [Int: Int] = [:]
    }

    /// Judges one answer for a file whose hash (and size) are known.
    static func judge(_ answer: PlaceAnswer?, for file: WantedFile) -> Result<Data, PlaceState>? {
        switch answer {
        case .bytes(let data)?:
            if let size = file.size, data.count != size {
                return .failure(.tampered(file: file.path, reason: "\(data.count) bytes, not \(size)"))
            }
            let got = SHA256Hex.of(data)
            return got == file.sha256 ? .success(data) : .failure(.tampered(file: file.path, reason: "its SHA-256 is \(got), not \(file.sha256)"))
        case .wrong(let why)?: return .failure(.tampered(file: file.path, reason: why))
        case .unreachable(let why)?: return .failure(.unreachable(why))
        case .missing, nil: return nil
        }
    }

    /// The record, then SHA256SUMS (only one that hashes to the signed bundle id) and the
    /// manifest (only the one the record's path tag names), from the first places that have them.
    func describe(quiet: Bool = false) async throws -> Described {
        let record = try await record()
        guard let bundleID = record.bundleID else {
            throw SiloError("the record of \(name) (site event \(record.event.id.prefix(12))… on \(record.source)) names no bundle id: it is not a pico bundle")
        }
        let places = try places(of: record)
        let tagged = Dictionary(record.site.files.map { ($0.path, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        guard let manifestHash = tagged[BundleManifest.fileName] else {
            throw SiloError("the record of \(name) lists no \(BundleManifest.fileName); it is not a pico bundle")
        }
        let wantedSums = WantedFile(path: BundleManifest.checksumsFileName, sha256: bundleID, size: nil)
        let wantedManifest = WantedFile(path: BundleManifest.fileName, sha256: manifestHash, size: nil)
        var checksums: Data?, manifestData: Data?
        var skipped: [Int: PlaceState] = [:]
        var missing: [String] = []
        for (index, place) in places.enumerated() where checksums == nil || manifestData == nil {
            let answers = await place.reader.read([wantedSums, wantedManifest].filter { want in
                want.path == BundleManifest.checksumsFileName ? checksums == nil : manifestData == nil
            })
            for want in [wantedSums, wantedManifest] where answers[want.path] != nil {
                switch Self.judge(answers[want.path], for: want) {
                case .success(let data)?:
                    if want.path == BundleManifest.checksumsFileName { checksums = data } else { manifestData = data }
                case .failure(let state)?:
                    var state = state
                    if want.path == BundleManifest.checksumsFileName, case .bytes(let data)? = answers[want.path], place.kind == .library || place.kind == .mirror {
                        // Another whole SHA256SUMS: the place holds another bundle.
                        state = .stale(bundleID: Checksums.bundleID(of: data))
                    }
                    if skipped[index] == nil { skipped[index] = state }
                case nil:
                    if case .missing(let why)? = answers[want.path] { missing.append("\(place): \(why)") }
                }
            }
        }
        for (index, state) in skipped.sorted(by: { $0.key < $1.key }) where !quiet { warn(Self.sentence(places[index], state)) }
        guard let checksums, let manifestData else {
            let lines = places.enumerated().map { index, place in "  \(place): " + (skipped[index].map { "\($0.word): \($0.detail)" } ?? "no copy") }
            throw SiloError.verdict("no place the record of \(name) lists holds "
                                    + (checksums == nil ? "a \(BundleManifest.checksumsFileName) that hashes to the signed bundle id \(bundleID)"
                                                        : "the \(BundleManifest.fileName) the record names")
                                    + "; nothing was written:\n" + lines.joined(separator: "\n"))
        }
        let manifest: BundleManifest
        do { manifest = try BundleManifest.decode(manifestData) } catch {
            throw SiloError.verdict("the \(BundleManifest.fileName) the record of \(name) names is unreadable: \(error)")
        }
        var problems: [VerificationProblem] = []
        if manifest.id != bundleID {
            problems.append(.init(.id, "the record names bundle \(bundleID), but its \(BundleManifest.fileName) is bundle \(manifest.id)"))
        }
        if manifest.signature != record.site.bundleSignature {
            problems.append(.init(.signature, "the record's bundle-signature tag differs from the signature in \(BundleManifest.fileName)"))
        }
        if let signer = manifest.signature?.pubkey, signer != record.event.pubkey {
            problems.append(.init(.signer, "the bundle is signed by \(signer), but its record is by \(record.event.pubkey)"))
        }
        for file in manifest.files where tagged[file.path] != file.sha256 {
            problems.append(.init(.changed, path: file.path, "the record's path tag does not give this file's SHA-256 from the manifest"))
        }
        return Described(record: record, places: places, manifestData: manifestData, checksums: checksums, manifest: manifest,
                         skipped: skipped, problems: problems)
    }

    /// What a place's state means, as one warning line.
    static func sentence(_ place: BundlePlace, _ state: PlaceState) -> String {
        switch state {
        case .current: "\(place) is current"
        case .stale(let id): "\(place) is stale: it holds bundle \(id), not the one the record names; skipped"
        case .tampered(let file, let reason): "\(place) served wrong bytes for \(file) (\(reason)); skipped for the rest of this read"
        case .unreachable(let why): "\(place) is unreachable (\(why)); the next place was tried"
        }
    }

    /// Every file of the bundle, each from the first usable place whose bytes verify.
    func retrieve() async throws -> (Described, [BundlePath: Data]) {
        var described = try await describe()
        var files: [BundlePath: Data] = [:]
        var remaining = described.manifest.safeFiles.map { (path: $0.path, want: WantedFile(path: $0.path.string, sha256: $0.sha256, size: $0.size)) }
        for (index, place) in described.places.enumerated() where !remaining.isEmpty && described.skipped[index] == nil {
            let answers = await place.reader.read(remaining.map(\.want))
            var left: [(path: BundlePath, want: WantedFile)] = []
            for file in remaining {
                switch Self.judge(answers[file.want.path], for: file.want) {
                case .success(let data)?:
                    files[file.path] = data
                    described.used[index, default: 0] += 1
                case .failure(let state)?:
                    if described.skipped[index] == nil {
                        described.skipped[index] = state
                        warn(Self.sentence(place, state))
                    }
                    left.append(file)
                case nil: left.append(file)
                }
            }
            remaining = left
        }
        for file in remaining {
            described.problems.append(.init(.missing, path: file.want.path, "no place the record lists has it intact"))
        }
        for place in described.places { await place.reader.close() }
        return (described, files)
    }

    /// Which places the files came from, for the report.
    static func note(_ described: Described) -> String {
        let from = described.used.sorted { $0.key < $1.key }.map { "\(described.places[$0.key]) (\($0.value))" }
        return "found by name (record \(described.record.event.id.prefix(12))… from \(described.record.source)); files from "
            + (from.isEmpty ? "no place" : from.joined(separator: ", "))
    }

    static func present(_ files: [BundlePath: Data]) -> [String: PresentFile] {
        Dictionary(uniqueKeysWithValues: files.map { ($0.key.string, PresentFile(isRegularFile: true, size: $0.value.count, sha256: SHA256Hex.of($0.value))) })
    }

    public func fetch(to destination: URL, verifier: BundleVerifier) async throws -> VerificationReport {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path), !((try? fm.contentsOfDirectory(atPath: destination.path)) ?? []).isEmpty {
            throw SiloError("\(destination.path) already exists and is not empty; fetch into a new folder")
        }
        if let plain = try await plainSilo() { return try await plain.fetch(to: destination, verifier: verifier) }
        let (described, files) = try await retrieve()
        var report = try FetchedBundle.finish(try StagingFolder(replacing: destination), from: address,
                                              manifestData: described.manifestData, checksums: described.checksums,
                                              present: Self.present(files), inMemory: files,
                                              siloProblems: described.problems, verifier: verifier)
        report.note = Self.note(described)
        return report
    }

    public func verify(with verifier: BundleVerifier) async throws -> [VerificationReport] {
        if let plain = try await plainSilo() { return try await plain.verify(with: verifier) }
        let (described, files) = try await retrieve()
        var report = FetchedBundle.report(target: address, manifestData: described.manifestData, checksums: described.checksums,
                                          present: Self.present(files), siloProblems: described.problems, verifier: verifier)
        report.note = Self.note(described)
        return [report]
    }

    public func reader() throws -> any BundleReader {
        if library == nil, let plainAddress { return NamedBundleReader(bundle: self, plain: try NostrSilo(reading: plainAddress).reader()) }
        return NamedBundleReader(bundle: self, plain: nil)
    }

    // MARK: Locate

    /// One place the record lists, checked whole.
    public struct LocatedPlace: Sendable {
        public let kind: PlaceKind
        public let location: String
        public let state: PlaceState
        public let seconds: Double
    }

    public struct LocateReport: Sendable {
        public let name: String
        public let bundleID: String
        /// Where the record was read.
        public let recordSource: String
        public let places: [LocatedPlace]
        /// Seconds to resolve the name to its record and describing files.
        public let resolveSeconds: Double
        public var allCurrent: Bool { places.allSatisfy { $0.state == .current } }
    }

    /// Every place the record lists, checked at once: SHA256SUMS (its bundle id), the manifest,
    /// then every file against the manifest, in manifest order; the first bad file is named.
    public func locate() async throws -> LocateReport {
        let clock = ContinuousClock()
        let start = clock.now
        let described = try await describe(quiet: true)
        let resolved = clock.now - start
        let manifestHash = SHA256Hex.of(described.manifestData)
        let wanted = [WantedFile(path: BundleManifest.checksumsFileName, sha256: SHA256Hex.of(described.checksums), size: described.checksums.count),
                      WantedFile(path: BundleManifest.fileName, sha256: manifestHash, size: described.manifestData.count)]
            + described.manifest.files.map { WantedFile(path: $0.path, sha256: $0.sha256, size: $0.size) }
        let located = await withTaskGroup(of: (Int, LocatedPlace).self) { group in
            for (index, place) in described.places.enumerated() {
                group.addTask {
                    let began = clock.now
                    let state = await Self.check(place, wanted)
                    await place.reader.close()
                    let elapsed = clock.now - began
                    return (index, LocatedPlace(kind: place.kind, location: place.location, state: state,
                                                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
                }
            }
            var all: [(Int, LocatedPlace)] = []
            for await one in group { all.append(one) }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return LocateReport(name: address, bundleID: described.manifest.id, recordSource: described.record.source, places: located,
                            resolveSeconds: Double(resolved.components.seconds) + Double(resolved.components.attoseconds) / 1e18)
    }

    /// One place's state: read in batches (bounded memory), the first bad file in manifest order named.
    static func check(_ place: BundlePlace, _ wanted: [WantedFile]) async -> PlaceState {
        let batch = 256
        var start = 0
        while start < wanted.count {
            let part = Array(wanted[start..<min(start + batch, wanted.count)])
            let answers = await place.reader.read(part)
            for file in part {
                switch judge(answers[file.path], for: file) {
                case .success?: continue
                case .failure(let state)?:
                    if file.path == BundleManifest.checksumsFileName, case .bytes(let data)? = answers[file.path] {
                        return .stale(bundleID: Checksums.bundleID(of: data))
                    }
                    return state
                case nil:
                    if case .missing(let why)? = answers[file.path] { return .tampered(file: file.path, reason: "missing (\(why))") }
                    return .tampered(file: file.path, reason: "missing")
                }
            }
            start += batch
        }
        return .current
    }
}

/// `pico serve NAME`: the record and describing files resolved once, then each file from the
/// first usable place whose bytes verify.
actor NamedBundleReader: BundleReader {
    let bundle: NamedBundle
    private var described: NamedBundle.Described?
    /// The plain nostr reader, used when the record lists no mirror (see `NamedBundle.plainSilo`).
    private var plain: (any BundleReader)?
    private var decided = false
    nonisolated var description: String { bundle.address }

    init(bundle: NamedBundle, plain: (any BundleReader)?) { (self.bundle, self.plain) = (bundle, plain) }

    func manifestStamp() async -> String? { nil }

    func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)? {
        if !decided {
            if plain != nil, try await bundle.plainSilo() == nil { plain = nil }
            decided = true
        }
        if let plain { return try await plain.open(path, limit: limit) }
        if described == nil { described = try await bundle.describe() }
        guard var described else { return nil }
        if path == BundleManifest.fileName { return InMemoryFileReader(data: described.manifestData) }
        if path == BundleManifest.checksumsFileName { return InMemoryFileReader(data: described.checksums) }
        guard let file = described.manifest.files.first(where: { $0.path == path }) else { return nil }
        guard file.size <= limit else { throw SiloError("\(path) is larger than \(limit) bytes") }
        let want = WantedFile(path: file.path, sha256: file.sha256, size: file.size)
        for (index, place) in described.places.enumerated() where described.skipped[index] == nil {
            switch NamedBundle.judge(await place.reader.read([want])[path], for: want) {
            case .success(let data)?:
                self.described = described
                return InMemoryFileReader(data: data)
            case .failure(let state)?:
                described.skipped[index] = state
                bundle.warn(NamedBundle.sentence(place, state))
            case nil: continue
            }
        }
        self.described = described
        throw SiloError("\(path): no place the record of \(bundle.name) lists has it intact")
    }

    func close() async {
        await plain?.close()
        for place in described?.places ?? [] { await place.reader.close() }
    }
}
