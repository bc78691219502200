import Foundation
import NIOPosix
import PicoArchive
import PicoCore
import PicoSilo
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Somewhere the server reads a bundle's files from: a folder, an archive read in place, or a
/// silo (an S3 bucket, nostr relays).
public protocol BundleSource: Sendable {
    var description: String { get }
    /// A reader of one file of the bundle (or of `pico-manifest.json`, `SHA256SUMS`), or nil
    /// when it is not there. Streaming sources read nothing until asked for bytes; a source that
    /// can only fetch a file whole (a silo) refuses one larger than `limit` bytes.
    func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)?
    /// Changes when the bundle's manifest may have changed (a folder rebuilt or replaced);
    /// nil for sources that do not change while served.
    func manifestStamp() async -> String?
}

/// One file being read, in pieces, so that no source ever has to hold a whole file.
public protocol BundleFileReader: Sendable {
    /// Up to `maxCount` more bytes; empty at the end of the file.
    func read(upTo maxCount: Int) async throws -> [UInt8]
}

extension BundleSource {
    public func manifestStamp() async -> String? { nil }

    /// A whole small file (the describing files), or nil when it is not there. Reading stops
    /// past `limit` bytes, so a 2 GiB "manifest" costs no more than a real one.
    public func readWhole(_ path: String, limit: Int) async throws -> Data? {
        guard let reader = try await open(path, limit: limit) else { return nil }
        var data = Data()
        while true {
            let chunk = try await reader.read(upTo: min(ServeLimits.chunkBytes, limit + 1 - data.count))
            if chunk.isEmpty { return data }
            data.append(contentsOf: chunk)
            guard data.count <= limit else {
                throw ServeRefusal("\(path) in \(description) is larger than \(limit >> 20) MiB, more than any real bundle's; refusing to read it")
            }
        }
    }
}

/// How much `pico serve` holds in memory at a time.
public enum ServeLimits {
    /// The describing files are read whole; the same bound as for archives everywhere.
    public static let maxManifestBytes = ArchiveLimits.forArchive(size: 0).maxManifestBytes
    /// Files up to this size are read whole, checked and then sent; larger ones are checked in
    /// one streaming pass and sent in a second. So a request holds at most this much, however
    /// many of them there are at once.
    public static let bufferedFileBytes = 1 << 20
    /// One read of a streamed file.
    public static let chunkBytes = 256 << 10
}

/// Something `pico serve` will not serve, said so a person can act on it.
public struct ServeRefusal: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Disk reads block; they run on NIO's thread pool, off the event loops.
private func offLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}

public struct FolderSource: BundleSource {
    public let root: URL
    public init(root: URL) { self.root = root }
    public var description: String { root.path }

    public func manifestStamp() async -> String? {
        var info = stat()
        guard stat(root.path + "/" + BundleManifest.fileName, &info) == 0 else { return "missing" }
        return "\(info.st_ino)-\(info.st_size)-\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    public func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)? {
        let full = root.path + "/" + path
        return try await offLoop { () throws -> (any BundleFileReader)? in
            // Regular files only: a symlink in a served folder is never followed.
            let descriptor = Glibc.open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else {
                if errno == ENOENT || errno == ELOOP || errno == ENOTDIR { return nil }
                throw POSIXFailure(operation: "open", path: full, code: errno)
            }
            var info = stat()
            guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                close(descriptor)
                return nil
            }
            return OpenFile(descriptor: descriptor, path: full)
        }
    }

    /// A file opened once and read from that descriptor, so a rename over it cannot swap its
    /// bytes midway.
    final class OpenFile: BundleFileReader {
        let descriptor: Int32
        let path: String
        init(descriptor: Int32, path: String) { (self.descriptor, self.path) = (descriptor, path) }
        deinit { close(descriptor) }

        func read(upTo maxCount: Int) async throws -> [UInt8] {
            let (descriptor, path) = (descriptor, path)
            return try await offLoop {
                try [UInt8](unsafeUninitializedCapacity: max(maxCount, 0)) { buffer, count in
                    var got = -1
                    repeat { got = Glibc.read(descriptor, buffer.baseAddress, buffer.count) } while got < 0 && errno == EINTR
                    guard got >= 0 else { count = 0; throw POSIXFailure(operation: "read", path: path, code: errno) }
                    count = got
                }
            }
        }
    }
}

/// A bundle served straight out of an archive, the way kiwix-serve serves a ZIM file: each
/// request finds its entry (a zip's central directory makes that a walk over headers, with no
/// decompression of the entries it passes) and streams just that entry.
public struct ArchiveSource: BundleSource {
    public let archive: URL
    public init(archive: URL) { self.archive = archive }
    public var description: String { archive.path }

    public func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)? {
        let archive = archive
        return try await offLoop { try ArchiveEntryStream.open(path, in: archive).map(Entry.init) }
    }

    struct Entry: BundleFileReader {
        let stream: ArchiveEntryStream
        func read(upTo maxCount: Int) async throws -> [UInt8] {
            let stream = stream
            return try await offLoop { try stream.read(upTo: maxCount) }
        }
    }
}

/// A bundle read from a silo (an S3 bucket, nostr relays), one request per file. Silos hand
/// over whole files, so a file read from one is in memory while it is served, and no larger
/// than the manifest says (S3 stops reading there).
public struct SiloSource: BundleSource {
    public let description: String
    let reader: any RemoteBundleReader

    public init(silo: any Silo & RemoteBundle) {
        description = silo.address
        reader = silo.openReader()
    }

    public func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)? {
        try await reader.read(path, limit: limit).map(InMemory.init)
    }

    final class InMemory: BundleFileReader {
        private let remaining: Mutex<Data.SubSequence>
        init(data: Data) { remaining = Mutex(data[...]) }
        func read(upTo maxCount: Int) async throws -> [UInt8] {
            remaining.withLock { rest in
                let piece = rest.prefix(max(maxCount, 0))
                rest = rest.dropFirst(piece.count)
                return [UInt8](piece)
            }
        }
    }
}
