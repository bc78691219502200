import Foundation
import PicoCore

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

        func read() -> PublishJournal? {
            guard let data = try? FileTree.read(atPath: record) else { return nil }
            return try? JSONDecoder().decode(PublishJournal.self, from: data)
        }
    }

    /// Moves everything into place. Safe to run again after a crash at any point.
    /// - Parameter interruptAfter: for tests, stop after this many moves as a crash would.
    func apply(at location: Location, interruptAfter: Int? = nil) throws {
        var moves = 0
        func move(_ source: String, to destination: String) throws {
            if let interruptAfter, moves >= interruptAfter { throw Interrupted() }
            try Durable.move(source, to: destination)
            moves += 1
        }
        let manifestFiles = [BundleManifest.checksumsFileName, BundleManifest.fileName]
        let ordered = (replaced + added).filter { !manifestFiles.contains($0) } + manifestFiles.filter { (replaced + added).contains($0) }
        for path in removed {
            let live = location.bundle + "/" + path
            if Durable.exists(live) { try move(live, to: location.backup + "/" + path) }
        }
        for path in ordered {
            let live = location.bundle + "/" + path
            let staged = location.staged + "/" + path
            guard Durable.exists(staged) else { continue } // already in place
            if Durable.exists(live) {
                let backup = location.backup + "/" + path
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

    /// The files of the old or the new bundle, as they can be found right now.
    func view(new: Bool, at location: Location, live: [FileTreeEntry]) -> [String: String] {
        var files: [String: String] = [:]
        let hidden = Set(new ? removed : added)
        for entry in live where !hidden.contains(entry.path) { files[entry.path] = location.bundle + "/" + entry.path }
        let overlay = new ? location.staged : location.backup
        for path in new ? replaced + added : replaced + removed {
            let candidate = overlay + "/" + path
            if Durable.exists(candidate) { files[path] = candidate }
        }
        return files
    }
}
