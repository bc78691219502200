import Dispatch
import Foundation
import PicoFiles
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A bundle read file by file, wherever it is: a folder, an archive read in place
/// (`ArchiveBundleReader`), a silo (`Silo.reader()`: an S3 bucket, nostr relays, a library
/// folder). Nothing read through it is trusted: its user (`pico serve`) checks the describing
/// files with the verifier and every file against the manifest.
public protocol BundleReader: Sendable {
    /// Where the bundle is, for messages.
    var description: String { get }
    /// A reader of one file of the bundle (or of `pico-manifest.json`, `SHA256SUMS`), or nil
    /// when it is not there. Streaming readers read nothing until asked for bytes; one that can
    /// only fetch a file whole (a silo) refuses one larger than `limit` bytes.
    func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)?
    /// Changes when the bundle's manifest may have changed (a folder rebuilt or replaced);
    /// nil for bundles that do not change while read.
    func manifestStamp() async -> String?
    /// Lets go of the connections the reader holds (an HTTP client must be shut down before it
    /// goes away); called once, when nothing reads any more.
    func close() async
}

/// One file being read, in pieces, so that no reader ever has to hold a whole file.
public protocol BundleFileReader: Sendable {
    /// Up to `maxCount` more bytes; empty at the end of the file.
    func read(upTo maxCount: Int) async throws -> [UInt8]
}

extension BundleManifest {
    /// The describing files are read whole; real ones are far smaller than this.
    public static let maxDescribingFileBytes = 64 << 20
}

extension BundleReader {
    public func manifestStamp() async -> String? { nil }

    /// Readers of local files hold nothing to let go of.
    public func close() async {}

    /// A whole small file (the describing files), or nil when it is not there. Reading stops
    /// past `limit` bytes, so a 2 GiB "manifest" costs no more than a real one.
    public func readWhole(_ path: String, limit: Int) async throws -> Data? {
        guard let reader = try await open(path, limit: limit) else { return nil }
        var data = Data()
        while true {
            let chunk = try await reader.read(upTo: min(256 << 10, limit + 1 - data.count))
            if chunk.isEmpty { return data }
            data.append(contentsOf: chunk)
            guard data.count <= limit else {
                throw BundleReadError("\(path) in \(description) is larger than \(limit >> 20) MiB, more than any real bundle's; refusing to read it")
            }
        }
    }
}

/// A file a bundle reader will not read, said so a person can act on it.
public struct BundleReadError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Disk and libarchive reads block: they run on threads of their own, so that they never hold
/// up the threads that run tasks (and, under `pico serve`, answer the other requests).
public enum BlockingRead {
    private static let queue = DispatchQueue(label: "pico.blocking-read", attributes: .concurrent)

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// A file that was fetched whole (silos hand over whole files), read out in pieces.
public final class InMemoryFileReader: BundleFileReader {
    private let remaining: Mutex<Data.SubSequence>
    public init(data: Data) { remaining = Mutex(data[...]) }

    public func read(upTo maxCount: Int) async throws -> [UInt8] {
        remaining.withLock { rest in
            let piece = rest.prefix(max(maxCount, 0))
            rest = rest.dropFirst(piece.count)
            return [UInt8](piece)
        }
    }
}

/// A bundle folder, read file by file. Regular files only: a symlink in it is never followed.
public struct FolderBundleReader: BundleReader {
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
        return try await BlockingRead.run { () throws -> (any BundleFileReader)? in
            do throws(POSIXFailure) {
                let file = try FileDescriptor(opening: full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
                guard let info = try? file.status(), info.st_mode & S_IFMT == S_IFREG else { return nil }
                return OpenFile(file)
            } catch {
                if [ENOENT, ELOOP, ENOTDIR].contains(error.code) { return nil }
                throw error
            }
        }
    }

    /// A file opened once and read from that descriptor, so a rename over it cannot swap its
    /// bytes midway.
    final class OpenFile: BundleFileReader {
        let file: FileDescriptor
        init(_ file: consuming FileDescriptor) { self.file = file }

        func read(upTo maxCount: Int) async throws -> [UInt8] {
            try await BlockingRead.run {
                try [UInt8](unsafeUninitializedCapacity: max(maxCount, 0)) { buffer, count in
                    count = 0
                    count = try self.file.read(into: UnsafeMutableRawBufferPointer(buffer))
                }
            }
        }
    }
}
