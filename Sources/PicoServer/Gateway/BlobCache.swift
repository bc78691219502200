import Foundation
import PicoCore
import PicoFiles
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Blobs the gateway has verified, kept on disk by their SHA-256 (`ROOT/ab/abcd…`), so a site
/// already visited is served with the relays and Blossom servers gone.
///
/// Nothing on disk is trusted: every read hashes the bytes again and a copy that does not match
/// its name is deleted and read as a miss. A blob is written to a temporary file in ROOT, synced
/// and renamed into place, so a crash leaves either the whole blob or none. The cache holds at
/// most `maxBytes`; past that the blobs used longest ago go first (the time of last use is the
/// file's modification time, touched on every hit, so it survives a restart).
public final class BlobCache: Sendable {
    public let root: URL
    public let maxBytes: Int
    /// The largest blob kept (larger ones are served but not cached).
    public let maxBlobBytes: Int
    private let entries: Mutex<Entries>

    struct Entries {
        var sizes: [String: Int] = [:]
        var lastUse: [String: Double] = [:]
        var total = 0
    }

    /// Opens (creating it, mode 0700) the cache folder and takes stock of what it holds.
    public init(root: URL, maxBytes: Int = 1 << 30, maxBlobBytes: Int = ServeLimits.maxGatewayBlobBytes) throws {
        (self.root, self.maxBytes, self.maxBlobBytes) = (root, maxBytes, min(maxBlobBytes, maxBytes))
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var found = Entries()
        let fm = FileManager.default
        // What a crash left half-written.
        for name in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] where name.hasPrefix(".incoming-") {
            unlink(root.path + "/" + name)
        }
        for folder in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] where folder.utf8.count == 2 {
            for name in (try? fm.contentsOfDirectory(atPath: root.path + "/" + folder)) ?? [] where Self.isHash(name) && name.hasPrefix(folder) {
                var info = stat()
                guard lstat(Self.path(of: name, under: root.path), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                found.sizes[name] = Int(info.st_size)
                found.lastUse[name] = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
                found.total += Int(info.st_size)
            }
        }
        entries = Mutex(found)
        evict()
    }

    /// `^[0-9a-f]{64}$`: the only names the cache makes paths from.
    public static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func path(of sha256: String, under root: String) -> String {
        root + "/" + sha256.prefix(2) + "/" + sha256
    }

    /// A blob found in the cache, checked again as it was read.
    public enum Hit: Sendable {
        /// A small blob, read whole.
        case whole(Data)
        /// A blob larger than `ServeLimits.bufferedFileBytes`, hashed in one streaming pass; its
        /// first bytes (a page's charset). Send it with `open`, which the sender checks again.
        case large(size: Int, leading: Data)
    }

    /// The cached blob with this SHA-256, checked again; nil when there is none (or the copy on
    /// disk was damaged, which is then removed). A large blob is hashed without holding it.
    public func find(_ sha256: String) async -> Hit? {
        guard Self.isHash(sha256), let size = entries.withLock({ $0.sizes[sha256] }) else { return nil }
        var hit: Hit?
        if size <= ServeLimits.bufferedFileBytes {
            if let data = try? await readWhole(sha256, size: size), SHA256Hex.of(data) == sha256 { hit = .whole(data) }
        } else if let reader = try? await open(sha256) {
            var hasher = IncrementalSHA256()
            var leading = Data(), seen = 0
            while seen <= size, let chunk = try? await reader.read(upTo: ServeLimits.chunkBytes), !chunk.isEmpty {
                hasher.update(chunk)
                seen += chunk.count
                if leading.count < HTMLCharset.prescanBytes { leading.append(contentsOf: chunk.prefix(HTMLCharset.prescanBytes - leading.count)) }
            }
            if seen == size, hasher.finalize() == sha256 { hit = .large(size: size, leading: leading) }
        }
        guard let hit else {
            forget(sha256, removing: true)
            return nil
        }
        // The time of last use, for eviction.
        _ = utimensat(AT_FDCWD, Self.path(of: sha256, under: root.path), nil, 0)
        entries.withLock { $0.lastUse[sha256] = Date().timeIntervalSince1970 }
        return hit
    }

    /// The cached blob `sha256` opened for reading in pieces (never through a symlink).
    public func open(_ sha256: String) async throws -> (any BundleFileReader)? {
        guard Self.isHash(sha256), let size = entries.withLock({ $0.sizes[sha256] }) else { return nil }
        return try await FolderBundleReader(root: root).open(sha256.prefix(2) + "/" + sha256, limit: size)
    }

    private func readWhole(_ sha256: String, size: Int) async throws -> Data? {
        guard let reader = try await open(sha256) else { return nil }
        var data = Data()
        while data.count <= size {
            let chunk = try await reader.read(upTo: size + 1 - data.count)
            if chunk.isEmpty { break }
            data.append(contentsOf: chunk)
        }
        return data.count == size ? data : nil
    }

    /// Keeps `data` as the blob `sha256`, when its bytes are that blob and it is small enough.
    /// Written to a temporary file, synced, renamed into place. A failure to write is no
    /// failure of the request: the cache then simply does not hold the blob.
    public func store(_ data: Data, sha256: String) async {
        guard Self.isHash(sha256), data.count <= maxBlobBytes, SHA256Hex.of(data) == sha256,
              entries.withLock({ $0.sizes[sha256] == nil }) else { return }
        let root = root.path
        let stored = (try? await BlockingRead.run {
            try Self.writeAtomically(data, to: Self.path(of: sha256, under: root), temporaryFolder: root)
        }) != nil
        guard stored else { return }
        entries.withLock { entries in
            guard entries.sizes[sha256] == nil else { return }
            entries.sizes[sha256] = data.count
            entries.lastUse[sha256] = Date().timeIntervalSince1970
            entries.total += data.count
        }
        evict()
    }

    /// The bytes the cache holds now.
    public var totalBytes: Int { entries.withLock { $0.total } }

    /// Removes the blobs used longest ago until the cache holds no more than `maxBytes`.
    private func evict() {
        let victims: [String] = entries.withLock { entries in
            guard entries.total > maxBytes else { return [] }
            var victims: [String] = []
            for (hash, _) in entries.lastUse.sorted(by: { $0.value < $1.value }) where entries.total > maxBytes {
                entries.total -= entries.sizes.removeValue(forKey: hash) ?? 0
                entries.lastUse[hash] = nil
                victims.append(hash)
            }
            return victims
        }
        for hash in victims { unlink(Self.path(of: hash, under: root.path)) }
    }

    private func forget(_ sha256: String, removing: Bool) {
        entries.withLock { entries in
            entries.total -= entries.sizes.removeValue(forKey: sha256) ?? 0
            entries.lastUse[sha256] = nil
        }
        if removing { unlink(Self.path(of: sha256, under: root.path)) }
    }

    /// Writes `data` to a new temporary file in `temporaryFolder` (on the same file system),
    /// syncs it and renames it to `path`: a reader sees the old file or the whole new one.
    static func writeAtomically(_ data: Data, to path: String, temporaryFolder: String) throws {
        let folder = String(path[..<path.lastIndex(of: "/")!])
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var template = Array((temporaryFolder + "/.incoming-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw POSIXFailure(operation: "create a temporary file in", path: temporaryFolder, code: errno) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let file = FileDescriptor(adopting: descriptor, path: temporary)
        do {
            try data.withUnsafeBytes { try file.writeAll($0) }
            try file.sync()
            try file.close()
            guard rename(temporary, path) == 0 else { throw POSIXFailure(operation: "rename into place", path: path, code: errno) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
