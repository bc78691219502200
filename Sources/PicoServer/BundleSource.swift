import Foundation
import NIOPosix
import PicoArchive
import PicoCore
import PicoSilo

/// Somewhere the server reads a bundle's files from: a folder, an archive read in place, or a
/// silo (an S3 bucket).
public protocol BundleSource: Sendable {
    var description: String { get }
    /// The manifest, as the source holds it now.
    func manifest() async throws -> BundleManifest
    /// The bytes of one file of the bundle, or nil when it is not there.
    func read(_ path: String) async throws -> Data?
    /// Changes when the bundle's manifest may have changed (a folder rebuilt or replaced);
    /// nil for sources that do not change while served.
    func manifestStamp() async -> String?
}

extension BundleSource {
    public func manifestStamp() async -> String? { nil }
}

/// Disk reads block; they run on NIO's thread pool, off the event loops.
private func offLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}

public struct FolderSource: BundleSource {
    public let root: URL
    public init(root: URL) { self.root = root }
    public var description: String { root.path }

    public func manifest() async throws -> BundleManifest {
        let root = root
        return try await offLoop { try BundleManifest.decode(FileTree.read(atPath: root.path + "/" + BundleManifest.fileName)) }
    }

    public func manifestStamp() async -> String? {
        var info = stat()
        guard stat(root.path + "/" + BundleManifest.fileName, &info) == 0 else { return "missing" }
        return "\(info.st_ino)-\(info.st_size)-\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    public func read(_ path: String) async throws -> Data? {
        let full = root.path + "/" + path
        return try await offLoop {
            var info = stat()
            // Regular files only: a symlink in a served folder is never followed.
            guard lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            return try FileTree.read(atPath: full)
        }
    }
}

/// A bundle served straight out of an archive, the way kiwix-serve serves a ZIM file: each
/// request finds its entry (a zip's central directory makes that a walk over headers, with no
/// decompression of the entries it passes) and reads just that entry.
public struct ArchiveSource: BundleSource {
    public let archive: URL
    public init(archive: URL) { self.archive = archive }
    public var description: String { archive.path }

    public func manifest() async throws -> BundleManifest {
        guard let data = try await read(BundleManifest.fileName) else {
            throw ArchiveError("\(archive.path) holds no \(BundleManifest.fileName); it is not a pico bundle")
        }
        return try BundleManifest.decode(data)
    }

    public func read(_ path: String) async throws -> Data? {
        let archive = archive
        return try await offLoop { try ArchiveEntryReader.read(path, from: archive) }
    }
}

/// A bundle read from a silo (an S3 bucket), one request per file.
public struct SiloSource: BundleSource {
    public let description: String
    let reader: any RemoteBundleReader

    public init(silo: any Silo & RemoteBundle) {
        description = silo.address
        reader = silo.openReader()
    }

    public func manifest() async throws -> BundleManifest {
        guard let data = try await reader.read(BundleManifest.fileName) else {
            throw SiloError("there is no pico bundle at \(description): it has no \(BundleManifest.fileName)")
        }
        return try BundleManifest.decode(data)
    }

    public func read(_ path: String) async throws -> Data? { try await reader.read(path) }
}
