import Foundation
import PicoCore
import PicoFiles

/// The record that makes a folder publish crash-safe without rewriting unchanged files.
///
/// A bundle folder `LIB/name` has its journal in `LIB/.pico/name/`:
///
///     staged/        the new and changed files, copied and flushed before anything moves
///     backup/        the old copies of replaced and removed files, moved aside (not copied)
///     journal.json   written last, atomically: from here on the publish only rolls forward
///
/// Applying moves each old file to `backup/` and its new copy from `staged/` into place, the
/// manifest files last. At every moment the old bundle is the live folder with `backup/` laid
/// over it, and the new bundle is the live folder with `staged/` laid over it, so verify can
/// always find one of them whole, and a re-run finishes the move.
struct PublishJournal: Codable, Equatable {
    var id: String
    /// In the old and the new bundle, with different content (the manifest files included).
    var replaced: [String]
    /// Only in the new bundle.
    var added: [String]
    /// Only in the old bundle (or strays in the folder).
    var removed: [String]

    struct Location {
        let bundle: String
        let folder: String
        var record: String { folder + "/journal.json" }
        var staged: String { folder + "/staged" }
        var backup: String { folder + "/backup" }

        init(bundle: URL) {
            self.bundle = bundle.standardizedFileURL.path
            let parent = (self.bundle as NSString).deletingLastPathComponent
            folder = parent + "/.pico/" + (self.bundle as NSString).lastPathComponent
        }

        /// What lies in the journal folder.
        enum Found: Equatable {
            case none
            /// A journal that belongs to this bundle folder: safe to apply.
            case pending(PublishJournal)
            /// A journal that does not (damaged, planted, or naming paths outside the bundle), and why.
            case foreign(String)
        }

        /// The journal here, if one is. Journals are read from the drive, so they are as
        /// untrusted as manifests: every path must be a safe bundle path, and the journal must
        /// belong to the manifest it moves in (the id of the staged, or already live, manifest).
        func find() -> Found {
            guard Durable.exists(record) else { return .none }
            if let problem = confinementProblem() { return .foreign(problem) }
            guard let data = Durable.readSmallFile(record),
                  let journal = try? JSONDecoder().decode(PublishJournal.self, from: data) else {
                return .foreign("\(record) is not a journal pico can read")
            }
            for (path, problem) in journal.unsafePaths {
                return .foreign("it names the unsafe path \(String(reflecting: path)): \(problem)")
            }
            let incoming = Set(journal.replaced + journal.added)
            if let both = journal.removed.first(where: incoming.contains) {
                return .foreign("it both removes and moves in \(String(reflecting: both))")
            }
            // The manifest the journal moves in: still staged, or already in place.
            let manifestFolder = Durable.exists(staged + "/" + BundleManifest.fileName) ? staged : bundle
            guard (try? Durable.checkNoLinks(above: BundleManifest.fileName, in: manifestFolder)) != nil,
                  let manifestData = Durable.readSmallFile(manifestFolder + "/" + BundleManifest.fileName),
                  let manifest = try? BundleManifest.decode(manifestData) else {
                return .foreign("the manifest it moves in cannot be read")
            }
            guard manifest.id == journal.id else {
                return .foreign("it is for bundle \(journal.id), but the manifest it moves in is bundle \(manifest.id)")
            }
            let listed = Set(manifest.files.map(\.path)).union(BundleManifest.describingFiles)
            if let stranger = incoming.first(where: { !listed.contains($0) }) {
                return .foreign("it moves in \(String(reflecting: stranger)), which bundle \(manifest.id) does not list")
            }
            return .pending(journal)
        }

        /// The pending journal, when there is one that belongs here.
        func read() -> PublishJournal? {
            if case .pending(let journal) = find() { return journal }
            return nil
        }

        /// Why pico must not write here: the bundle folder, `.pico/` or the journal folder is a
        /// symlink or not a folder (planted to redirect the publish elsewhere). Nil when safe.
        func confinementProblem() -> String? {
            let journals = (folder as NSString).deletingLastPathComponent
            for path in [bundle, journals, folder] {
                var info = stat()
                if lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR {
                    return "\(path) is a symlink or not a folder; pico writes only into real folders"
                }
            }
            return nil
        }

        func checkConfined() throws {
            if let problem = confinementProblem() { throw SiloError("refusing to publish: \(problem)") }
        }

        /// Removes the journal folder and what is in it (never following a symlink out of it).
        func discard() throws {
            try checkConfined()
            if Durable.exists(folder) { try FileManager.default.removeItem(atPath: folder) }
        }
    }

    /// Moves everything into place. Safe to run again after a crash at any point.
    /// - Parameter interruptAfter: for tests, stop after this many moves as a crash would.
    ///
    /// Every path is a safe bundle path (`Location.find` refuses other journals), and no folder
    /// on the way to it, in the bundle, `staged/` or `backup/`, may be a symlink: nothing outside
    /// the bundle folder and its journal folder is ever moved, replaced or removed.
    func apply(at location: Location, interruptAfter: Int? = nil) throws {
        try location.checkConfined()
        if let (path, _) = unsafePaths.first {
            throw SiloError("refusing the journal in \(location.folder): it names the unsafe path \(String(reflecting: path))")
        }
        var moves = 0
        func move(_ source: String, to destination: String) throws {
            if let interruptAfter, moves >= interruptAfter { throw Interrupted() }
            try Durable.move(source, to: destination)
            moves += 1
        }
        /// The full path of `path` under `root`, once no folder on the way there is a symlink.
        func confined(_ path: String, in root: String) throws -> String {
            try Durable.checkNoLinks(above: path, in: root)
            return root + "/" + path
        }
        let manifestFiles = [BundleManifest.checksumsFileName, BundleManifest.fileName]
        let ordered = (replaced + added).filter { !manifestFiles.contains($0) } + manifestFiles.filter { (replaced + added).contains($0) }
        for path in removed {
            let live = try confined(path, in: location.bundle)
            if Durable.exists(live) { try move(live, to: try confined(path, in: location.backup)) }
        }
        for path in ordered {
            let live = try confined(path, in: location.bundle)
            let staged = try confined(path, in: location.staged)
            guard Durable.exists(staged) else { continue } // already in place
            if Durable.exists(live) {
                let backup = try confined(path, in: location.backup)
                if Durable.exists(backup) {
                    // The old copy is already safe in backup/: the live one is a leftover.
                    unlink(live)
                } else {
                    try move(live, to: backup)
                }
            }
            try move(staged, to: live)
        }
        Durable.removeEmptyFolders(under: location.bundle)
        Durable.flush()
        // The record goes first: without it, what is left is only scratch.
        unlink(location.record)
        Durable.flush()
        try? FileManager.default.removeItem(atPath: location.folder)
        rmdir((location.folder as NSString).deletingLastPathComponent) // `.pico/`, when it is empty
    }

    struct Interrupted: Error {}

    /// Paths a journal must not hold: anything BundlePath refuses, except that a stray being
    /// removed may have a name that is not NFC (a twin no manifest could list).
    var unsafePaths: [(String, BundlePath.Problem)] {
        func unsafe(_ path: String) -> (String, BundlePath.Problem)? {
            do throws(BundlePath.Problem) { _ = try BundlePath(validating: path); return nil } catch { return (path, error) }
        }
        let moved = (replaced + added).compactMap(unsafe)
        let gone = removed.compactMap(unsafe).filter { $0.1 != .notNFC }
        return moved + gone
    }

    /// The files of the old or the new bundle, as they can be found right now.
    func view(new: Bool, at location: Location, live: [FileTreeEntry]) -> [String: String] {
        var files: [String: String] = [:]
        let hidden = Set(new ? removed : added)
        for entry in live where !hidden.contains(entry.path) { files[entry.path] = location.bundle + "/" + entry.path }
        let overlay = new ? location.staged : location.backup
        for path in new ? replaced + added : replaced + removed {
            guard (try? Durable.checkNoLinks(above: path, in: overlay)) != nil else { continue }
            let candidate = overlay + "/" + path
            if Durable.exists(candidate) { files[path] = candidate }
        }
        return files
    }
}
