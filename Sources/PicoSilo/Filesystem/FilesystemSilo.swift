import Foundation
import Mustache
import PicoCore
import PicoFiles
import PicoNostr
import PicoSearch
#if canImport(Glibc)
import Glibc
#endif

/// A folder or a thumb drive. Publishing puts each bundle in its own folder of a *library*
/// (`LIB/carried-by-hand/`) and writes `LIB/index.html`, a page listing every bundle that
/// works from file://. An address that is itself a bundle folder is updated in place.
public struct FilesystemSilo: Silo {
    public let url: URL
    public let address: String

    public init(url: URL, address: String) {
        self.url = url.standardizedFileURL
        self.address = address
    }

    static func isRealFolder(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    static func isBundle(_ folder: URL) -> Bool {
        Durable.exists(folder.path + "/" + BundleManifest.fileName)
            || PublishJournal.Location(bundle: folder).read() != nil
    }

    /// Bundle folders of the library at `url`, by folder name.
    public func bundles() -> [URL] {
        if Self.isBundle(url) { return [url] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        // Real folders only: a symlink in a library is never followed.
        return names.filter { !$0.hasPrefix(".") }.sorted()
            .map { url.appendingPathComponent($0) }
            .filter { Self.isRealFolder($0.path) && Self.isBundle($0) }
    }

    // MARK: publish

    public func publish(bundle source: URL, options: PublishOptions) async throws -> PublishResult {
        var staged = try stage(bundle: source, options: options)
        try staged.journal.apply(at: staged.location)
        if staged.intoLibrary {
            // The bundle is in place: a search index that cannot be rebuilt is a warning, not a failed publish.
            do { staged.result.warnings += try LibrarySearch(library: url).write().warnings }
            catch { staged.result.warnings.append("the library's search index (\(url.path)/\(SearchIndexBuilder.folder)) was not rebuilt: \(error)") }
            try LibraryIndex(library: url).write()
        }
        Durable.flush()
        return staged.result
    }

    /// A publish that is staged and committed, with only the moves into place left to do.
    struct StagedPublish {
        var journal: PublishJournal
        var location: PublishJournal.Location
        var intoLibrary: Bool
        var result: PublishResult
    }

    /// Verifies the bundle, works out what changed, copies new and changed files into the
    /// journal's staging folder, flushes, and writes the commit record.
    func stage(bundle source: URL, options: PublishOptions) throws -> StagedPublish {
        // The same policy as every reader: a present signature must be valid.
        let report = SiteRecordFile.verify(folder: source, with: BundleVerifier.standard())
        guard report.isValid, let manifest = report.manifest else {
            throw SiloError("\(source.path) is not an intact bundle; pico publishes only what verifies:\n"
                            + report.problems.map { "  \($0)" }.joined(separator: "\n"))
        }
        var warnings = PortableNames.problems(in: manifest.files.map { ($0.path, $0.size) })
        let folderName = Self.isBundle(url) ? url.lastPathComponent : LibraryText.folderName(forBundleNamed: manifest.name)
        warnings += PortableNames.problems(in: [(folderName, 0)])
        if options.strictPortable, !warnings.isEmpty {
            throw SiloError("these names cannot be stored on a FAT32/exFAT drive (--strict-portable):\n"
                            + warnings.map { "  \($0)" }.joined(separator: "\n"))
        }
        let target = Self.isBundle(url) ? url : url.appendingPathComponent(folderName)
        if !Self.isBundle(target), FileManager.default.fileExists(atPath: target.path),
           !((try? FileManager.default.contentsOfDirectory(atPath: target.path)) ?? []).isEmpty {
            throw SiloError("\(target.path) exists and is not a pico bundle; pico will not overwrite it")
        }
        let location = PublishJournal.Location(bundle: target)
        // Nothing outside LIB/NAME and LIB/.pico/NAME is touched: none of them may be a symlink.
        try location.checkConfined()

        // Finish an earlier, interrupted publish first; a journal that does not belong here is thrown away.
        switch location.find() {
        case .pending(let pending): try pending.apply(at: location)
        case .foreign(let reason):
            warnings.append("discarded the journal in \(location.folder), which does not belong to this bundle folder: \(reason)")
            try location.discard()
        case .none: try location.discard()
        }

        let oldManifest = Durable.readSmallFile(target.path + "/" + BundleManifest.fileName).flatMap { try? BundleManifest.decode($0) }
        let old = Dictionary((oldManifest?.files ?? []).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let walked = Self.isRealFolder(target.path) ? (try FileTree.walk(target)) : []
        // Names no manifest can list (not NFC, not UTF-8) are strays, never compared with listed paths.
        let live = walked.filter(\.hasCanonicalName)
        let oddNames = walked.filter { !$0.hasCanonicalName }
        let livePaths = Set(live.map(\.path))
        // Regular files as the walk found them (it never follows a symlink), by path.
        let liveFileSizes = Dictionary(live.filter { $0.kind == .file }.map { ($0.path, $0.size) }, uniquingKeysWith: { a, _ in a })
        var journal = PublishJournal(id: manifest.id, replaced: [], added: [], removed: [])
        var unchanged = 0
        var copyBytes = 0
        for file in manifest.files {
            let present = livePaths.contains(file.path)
            if let before = old[file.path], before.sha256 == file.sha256, liveFileSizes[file.path] == file.size {
                unchanged += 1
                continue
            }
            if present { journal.replaced.append(file.path) } else { journal.added.append(file.path) }
            copyBytes = copyBytes.addingSaturating(file.size)
        }
        for name in BundleManifest.describingFiles.sorted() {
            let live = Durable.readSmallFile(target.path + "/" + name)
            let new = try FileTree.read(atPath: source.path + "/" + name)
            if live == new { continue }
            if livePaths.contains(name) { journal.replaced.append(name) } else { journal.added.append(name) }
        }
        let newPaths = Set(manifest.files.map(\.path)).union(BundleManifest.describingFiles)
        // The name's record kept beside the bundle stays (publish rewrites it when it writes a record).
        journal.removed = live.map(\.path).filter { !newPaths.contains($0) && $0 != SiteRecordFile.name }
        for entry in oddNames {
            // An NFD name is a real path and goes; one that is not UTF-8 cannot be named here.
            if Durable.exists(target.path + "/" + entry.path) { journal.removed.append(entry.path) }
            else { warnings.append("\(entry.path) in \(target.path) has a name that is not UTF-8; remove it by hand") }
        }

        // 1. Stage every new and changed file, flushed to the drive.
        let toCopy = journal.replaced + journal.added
        let expectedHashes = Dictionary(manifest.files.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        var progress = TransferProgress(files: 0, totalFiles: toCopy.count, bytes: 0,
                                        totalBytes: toCopy.reduce(0) { $0.addingSaturating(Durable.size(source.path + "/" + $1) ?? 0) })
        for path in toCopy {
            let copied = try FileTree.copyHashing(from: source.path + "/" + path, to: location.staged + "/" + path, flush: true)
            if let expected = expectedHashes[path], copied.sha256 != expected {
                throw SiloError("\(path) changed while it was being published; run pico build again")
            }
            progress.files += 1
            progress.bytes = progress.bytes.addingSaturating(copied.size)
            options.progress?(progress)
        }
        Durable.flush()
        // 2. Commit: from here on the publish only goes forward.
        try Durable.writeAtomically(try JSONEncoder().encode(journal), to: location.record)
        Durable.flush()
        let result = PublishResult(address: address + (target == url ? "" : "/" + folderName), manifest: manifest,
                                   written: journal.replaced.count + journal.added.count, unchanged: unchanged,
                                   removed: journal.removed.count, bytesWritten: copyBytes, warnings: warnings)
        return StagedPublish(journal: journal, location: location, intoLibrary: target != url, result: result)
    }

    // MARK: verify and fetch

    public func verify(with verifier: BundleVerifier) async throws -> [VerificationReport] {
        let found = bundles()
        guard !found.isEmpty else {
            throw SiloError("\(url.path) holds no pico bundle (no pico-manifest.json, and no bundle folders inside)")
        }
        return found.map { Self.verifyBundle(at: $0, with: verifier) }
    }

    /// A bundle folder, or the old or new bundle of an interrupted publish (whichever is whole).
    static func verifyBundle(at folder: URL, with verifier: BundleVerifier) -> VerificationReport {
        let location = PublishJournal.Location(bundle: folder)
        guard let journal = location.read() else { return SiteRecordFile.verify(folder: folder, with: verifier) }
        let walked = (try? FileTree.walk(folder)) ?? []
        let live = walked.filter(\.hasCanonicalName)
        var reports: [VerificationReport] = []
        for new in [true, false] {
            var files = journal.view(new: new, at: location, live: live)
            let manifest = files.removeValue(forKey: BundleManifest.fileName).flatMap(Durable.readSmallFile)
            let checksums = files.removeValue(forKey: BundleManifest.checksumsFileName).flatMap(Durable.readSmallFile)
            let present = files.mapValues { path in
                let size = Durable.size(path)
                return PresentFile(isRegularFile: size != nil, size: size ?? 0,
                                   sha256: size == nil ? nil : try? SHA256Hex.ofFile(at: URL(fileURLWithPath: path)).hex)
            }
            var report = verifier.check(target: folder.path, manifestData: manifest, checksumsData: checksums, present: present)
            // Strays whose names no manifest can list, compared by bytes (the new version has removed them).
            let removedNames = Set(journal.removed.map { Array($0.utf8) })
            for entry in walked where !entry.hasCanonicalName && !(new && removedNames.contains(Array(entry.path.utf8))) {
                report.problems.append(.init(.unlisted, path: entry.path,
                    "in the bundle but not listed in the manifest (the name is not valid UTF-8 in NFC, so no manifest can list it)"))
            }
            report.note = new ? "an interrupted publish: the new version is complete; run pico publish again to finish moving it in"
                              : "an interrupted publish: the previous version is intact; run pico publish again to finish the new one"
            if report.isValid { return report }
            reports.append(report)
        }
        return reports[0]
    }

    /// The one bundle at this address, whole (no publish to it interrupted); `doing` is what
    /// the user asked for, for the messages.
    func singleBundle(_ doing: String) throws -> URL {
        let found = bundles()
        guard found.count == 1, let source = found.first else {
            if found.isEmpty { throw SiloError("\(url.path) holds no pico bundle") }
            throw SiloError("\(url.path) is a library of \(found.count) bundles; \(doing) one of them: "
                            + found.map(\.lastPathComponent).joined(separator: ", "))
        }
        if PublishJournal.Location(bundle: source).read() != nil {
            throw SiloError("a publish to \(source.path) was interrupted; run pico publish again to finish it, then \(doing)")
        }
        return source
    }

    public func reader() throws -> any BundleReader { FolderBundleReader(root: try singleBundle("serve")) }

    public func fetch(to destination: URL, verifier: BundleVerifier) async throws -> VerificationReport {
        let source = try singleBundle("fetch")
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path), !((try? fm.contentsOfDirectory(atPath: destination.path)) ?? []).isEmpty {
            throw SiloError("\(destination.path) already exists and is not empty; fetch into a new folder")
        }
        let staging = try StagingFolder(replacing: destination)
        let manifestData: Data
        let checksums: Data?
        var present: [String: PresentFile] = [:]
        do {
            guard let found = try FileTree.readWithoutFollowing(BundleManifest.fileName, under: source.path) else {
                throw SiloError("\(source.path) has no \(BundleManifest.fileName)")
            }
            manifestData = found
            checksums = try FileTree.readWithoutFollowing(BundleManifest.checksumsFileName, under: source.path)
            let manifest = try BundleManifest.decode(manifestData)
            // Only paths that keep the rules are opened or written; the others are findings.
            for file in manifest.safeFiles.map(\.listed) {
                // Never through a symlink, and never more than the manifest's size.
                let input: FileDescriptor
                do {
                    guard let opened = try FileTree.openWithoutFollowing(file.path, under: source.path) else { continue }
                    input = opened
                } catch is FileTree.NotRegular {
                    present[file.path] = PresentFile(isRegularFile: false, size: 0, sha256: nil)
                    continue
                }
                if let info = try? input.status(), Int(info.st_size) != file.size {
                    present[file.path] = PresentFile(isRegularFile: true, size: Int(info.st_size), sha256: nil)
                    continue
                }
                let copied = try FileTree.copyHashing(from: input, to: staging.url.path + "/" + file.path,
                                                      limit: file.size, flush: true)
                present[file.path] = PresentFile(isRegularFile: true, size: copied.size, sha256: copied.sha256)
            }
        } catch {
            staging.discard()
            throw error
        }
        return try FetchedBundle.finish(staging, from: source.path, manifestData: manifestData, checksums: checksums,
                                        present: present, verifier: verifier)
    }
}

extension FilesystemSilo {
    /// A folder whose sub-folders are bundles (rather than a bundle itself).
    public var isLibrary: Bool { !Self.isBundle(url) && !bundles().isEmpty }
}

extension FilesystemSilo {
    /// Stores the name's record (the signed site event `pico publish` sent to the relays) beside
    /// the bundle `manifest` published here, as `site-event.json`, and lists it on the library's
    /// index.html; returns warnings (nothing stored) when it does not belong there.
    public func storeRecord(_ event: NostrEvent, of manifest: BundleManifest) -> [String] {
        let intoLibrary = !Self.isBundle(url)
        let folder = intoLibrary ? url.appendingPathComponent(LibraryText.folderName(forBundleNamed: manifest.name)) : url
        if let problem = SiteRecordFile.store(event, in: folder) { return [problem] }
        if intoLibrary {
            do { try LibraryIndex(library: url).write() } catch { return ["\(url.path)/index.html was not rewritten: \(error)"] }
        }
        Durable.flush()
        return []
    }
}
