import Foundation
import PicoArchive
import PicoCore

/// Somewhere the server reads a bundle's files from: a folder, or an archive read in place.
public protocol BundleSource: Sendable {
    var description: String { get }
    /// The manifest, as the source holds it now.
    func manifest() throws -> BundleManifest
    /// The bytes of one file of the bundle, or nil when it is not there.
    func read(_ path: String) throws -> Data?
}

public struct FolderSource: BundleSource {
    public let root: URL
    public init(root: URL) { self.root = root }
    public var description: String { root.path }

    public func manifest() throws -> BundleManifest {
        try BundleManifest.decode(FileTree.read(atPath: root.path + "/" + BundleManifest.fileName))
    }

    public func read(_ path: String) throws -> Data? {
        let full = root.path + "/" + path
        var info = stat()
        // Regular files only: a symlink in a served folder is never followed.
        guard lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return try FileTree.read(atPath: full)
    }
}

/// A bundle served straight out of an archive, the way kiwix-serve serves a ZIM file: each
/// request finds its entry (a zip's central directory makes that a walk over headers, with no
/// decompression of the entries it passes) and reads just that entry.
public struct ArchiveSource: BundleSource {
    public let archive: URL
    public init(archive: URL) { self.archive = archive }
    public var description: String { archive.path }

    public func manifest() throws -> BundleManifest {
        guard let data = try ArchiveEntryReader.read(BundleManifest.fileName, from: archive) else {
            throw ArchiveError("\(archive.path) holds no \(BundleManifest.fileName); it is not a pico bundle")
        }
        return try BundleManifest.decode(data)
    }

    public func read(_ path: String) throws -> Data? {
        try ArchiveEntryReader.read(path, from: archive)
    }
}
