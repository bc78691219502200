import Foundation
import PicoCore
import PicoFiles
import PicoSearch
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// `pico-search/` at the top of a folder library (issue 17): one index over the pages of every
/// bundle the library holds, which the library's index.html searches, each result naming its
/// bundle. Made from bytes checked against each bundle's manifest (itself checked against the
/// bundle id, and its signature when it has one), never from a bundle's own `pico-search/` or
/// its scripts: on file:// those would run as code from whoever made the bundle, and a bundle's
/// own index could claim anything about its pages.
///
/// Rebuilt whole after each publish into the library. Nothing is cached between publishes: a
/// cache on the drive would be as open to tampering as the drive itself (and its text would
/// then go into the index unchecked), and a library of 10 corpus bundles of 500 pages re-reads
/// in well under a second (Benchmarks/search.sh prints the time).
struct LibrarySearch {
    let library: URL

    /// Where the new index is written before it is moved into place, and where the old one is
    /// moved aside, in the library's `.pico` folder beside the publish journals (a journal's
    /// folder is a bundle folder's name, which never has a dot).
    static let staging = ".pico/pico-search.new"
    static let retired = ".pico/pico-search.old"
    /// A page larger than this is left out of the index (and named in a warning).
    static let pageLimit = 16 << 20

    /// What went into the index, and what was left out and why.
    struct Outcome {
        var bundles = 0
        var pages = 0
        var warnings: [String] = []
    }

    /// Rebuilds `LIB/pico-search/` from the bundles of the library; removes it when no bundle
    /// can be indexed. The old index stays in use until the new one is complete.
    func write() throws -> Outcome {
        let root = library.path
        var outcome = Outcome()
        let target = root + "/" + SearchIndexBuilder.folder
        if FilesystemSilo.isBundle(URL(fileURLWithPath: target)) {
            outcome.warnings.append("\(target) is a bundle folder, so the library has no search index (rename that bundle to get one)")
            return outcome
        }
        var builder = SearchIndexBuilder(language: "en")
        var table: [(folder: String, title: String)] = []
        let silo = FilesystemSilo(url: library, address: root)
        for folder in silo.bundles() where folder != library {
            let found = Self.pages(of: folder)
            outcome.warnings += found.warnings
            guard let title = found.title else { continue }
            for var page in found.pages {
                page.path = folder.lastPathComponent + "/" + page.path
                builder.add(page, bundle: table.count)
            }
            table.append((folder.lastPathComponent, title))
            outcome.pages += found.pages.count
        }
        outcome.bundles = table.count

        // Never written through a link planted on the drive: `.pico` and the folders in it are real.
        try Durable.checkNoLinks(above: Self.staging + "/" + SearchIndexBuilder.runtimePath, in: root)
        try Durable.checkNoLinks(above: Self.retired + "/x", in: root)
        let staged = root + "/" + Self.staging
        let retired = root + "/" + Self.retired
        try Self.remove(staged)
        try Self.remove(retired)
        if table.isEmpty {
            if Durable.exists(target) { try Durable.move(target, to: retired) }
            try Self.remove(retired)
            Self.removeEmptyJournalFolder(root)
            return outcome
        }
        let files = builder.files(bundles: table)
        for file in files {
            try FileTree.write(Data(file.bytes), to: file.path, underPath: staged)
        }
        Durable.flush()
        // The old index is moved aside only once the new one is whole on the drive; between the
        // two renames the library has no index for an instant, never half of one.
        if Durable.exists(target) { try Durable.move(target, to: retired) }
        try Durable.move(staged + "/" + SearchIndexBuilder.folder, to: target)
        try Self.remove(retired)
        try Self.remove(staged)
        Self.removeEmptyJournalFolder(root)
        return outcome
    }

    /// `.pico` goes when nothing else is in it, as after a publish that left no journal.
    static func removeEmptyJournalFolder(_ root: String) {
        rmdir(root + "/.pico")
    }

    /// The pages of the bundle in `folder` whose bytes match its manifest, with the bundle's
    /// title; no title when the bundle is left out (its manifest does not verify, or a publish
    /// to it is unfinished).
    static func pages(of folder: URL) -> (title: String?, pages: [SearchPage], warnings: [String]) {
        let name = folder.lastPathComponent
        if PublishJournal.Location(bundle: folder).read() != nil {
            return (nil, [], ["\(name) is left out of the library's search: a publish to it was interrupted (run pico publish again)"])
        }
        let report = BundleVerifier.standard().checkDescription(
            target: folder.path,
            manifestData: Durable.readSmallFile(folder.path + "/" + BundleManifest.fileName),
            checksumsData: Durable.readSmallFile(folder.path + "/" + BundleManifest.checksumsFileName))
        guard report.isValid, let manifest = report.manifest else {
            let problem = report.problems.first.map { "\($0)" } ?? "no readable manifest"
            return (nil, [], ["\(name) is left out of the library's search: its manifest does not verify (\(problem))"])
        }
        let candidates = manifest.files.filter { SearchPage.isIndexable(path: $0.path) }
        let base = folder.path
        let read: [(page: SearchPage?, problem: String?)] = Parallel.map(candidates) { file in
            guard file.size <= pageLimit else { return (nil, "larger than \(pageLimit >> 20) MiB, not indexed") }
            let data: Data
            do {
                guard let found = try FileTree.readWithoutFollowing(file.path, under: base, limit: pageLimit) else {
                    return (nil, "missing, not indexed")
                }
                data = found
            } catch {
                return (nil, "unreadable (\(error)), not indexed")
            }
            // Only bytes the manifest vouches for go into the index.
            guard data.count == file.size, SHA256Hex.of(data) == file.sha256.lowercased() else {
                return (nil, "does not match the manifest (changed on the drive), not indexed")
            }
            return (SearchPage.extract(html: data, path: file.path), nil)
        }
        var pages: [SearchPage] = []
        var warnings: [String] = []
        for (file, result) in zip(candidates, read) {
            if let page = result.page { pages.append(page) }
            if let problem = result.problem { warnings.append("\(name)/\(file.path): \(problem)") }
        }
        return (manifest.name, pages, warnings)
    }

    /// Removes a folder pico made (or a link planted in its place: the link, not its target).
    static func remove(_ path: String) throws {
        guard Durable.exists(path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw SiloError("cannot remove \(path): \(error.localizedDescription)")
        }
    }
}
