import Foundation
import PicoCore
import PicoFiles
#if canImport(Glibc)
import Glibc
#endif

/// `pico pack`: a bundle folder into one file. Deterministic — the manifest files first, then
/// every file in manifest order, each with the manifest's build time, mode 0644, owner 0 —
/// so packing twice gives the same bytes. Every file is hashed as it is packed; a bundle that
/// does not match its manifest is not packed.
public struct BundlePacker: Sendable {
    /// Media types already compressed: stored in a zip, not deflated again.
    static let storedTypes: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "font/woff", "font/woff2",
        "application/zip", "application/gzip", "application/zstd", "application/epub+zip", "application/pdf",
        "audio/mpeg", "audio/ogg", "audio/mp4", "audio/opus", "audio/flac",
        "video/mp4", "video/webm", "video/ogg", "video/quicktime",
    ]

    /// 1980-01-01, the earliest time a zip can hold; used when the manifest has no build time.
    static let fallbackTime = 315_532_800

    /// The deflate level for zip and tar.gz. 3 is zlib's middle ground: about three times the
    /// speed of the usual 6 on text, for archives about a quarter larger in their text part.
    public var level: Int

    public init(level: Int = 3) { self.level = level }

    public struct Result: Sendable {
        public var format: ArchiveFormat
        public var files: Int
        public var bytes: Int
    }

    public func pack(bundle: URL, to output: URL) throws -> Result {
        try UTF8Locale.run { try packBundle(bundle, to: output) }
    }

    private func packBundle(_ bundle: URL, to output: URL) throws -> Result {
        guard let format = ArchiveFormat(fileName: output.lastPathComponent) else {
            throw ArchiveError("\(output.lastPathComponent): the file name must end in \(ArchiveFormat.endings)")
        }
        let root = bundle.path
        let described = try DescribedBundle(folder: root)
        let (manifest, manifestData, checksums) = (described.manifest, described.manifestData, described.checksums)
        // Only what the manifest lists goes in; anything else there is a sign of damage.
        let listed = Set(manifest.files.map(\.path))
        let present = try FileTree.walk(bundle)
        let strays = present.filter { !listed.contains($0.path) && !BundleManifest.describingFiles.contains($0.path) }
        if let stray = strays.first {
            throw ArchiveError("\(stray.path) is in the bundle folder but not in its manifest; run `pico verify \(root)` and rebuild")
        }
        for file in manifest.files {
            do throws(BundlePath.Problem) { _ = try BundlePath(validating: file.path) } catch {
                throw ArchiveError("the manifest lists an unsafe path \(file.path): \(error)", cause: error)
            }
        }

        // mkstemp creates a new file or fails: nothing planted beside OUT is written through.
        var template = Array((output.deletingLastPathComponent().path + "/.\(output.lastPathComponent).pico-partial-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard made >= 0 else {
            throw POSIXFailure(operation: "create a file in", path: output.deletingLastPathComponent().path, code: errno)
        }
        let partial = URL(fileURLWithPath: template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        let archive = FileDescriptor(adopting: made, path: partial.path)
        do {
            guard fchmod(archive.rawValue, 0o644) == 0 else { throw POSIXFailure(operation: "set the mode of", path: partial.path, code: errno) }
            let writer = try ArchiveWriter(descriptor: archive.rawValue, path: partial.path, format: format,
                                           mtime: manifest.createdEpoch ?? Self.fallbackTime, level: level)
            for (name, data) in [(BundleManifest.checksumsFileName, checksums), (BundleManifest.fileName, manifestData)] {
                try writer.addFile(path: name, size: data.count, compress: true) { sink in
                    try data.withUnsafeBytes { try sink($0) }
                }
            }
            let hashing = OverlappedHasher()
            var bytes = 0
            for file in manifest.files {
                let path = root + "/" + file.path
                let input = try Self.openListed(path, as: file.path)
                try writer.addFile(path: file.path, size: file.size, compress: !Self.storedTypes.contains(file.type)) { sink in
                    try hashing.stream(file.path, size: file.size, expecting: file.sha256, to: sink) { buffer in
                        read(input.rawValue, buffer.baseAddress, buffer.count)
                    }
                }
                bytes += file.size
            }
            if let mismatch = hashing.firstMismatch() {
                throw ArchiveError("\(mismatch) does not match its SHA-256 in the manifest; run `pico verify \(root)`")
            }
            try writer.close()
            try FileManager.default.moveItemReplacing(partial, to: output)
            return Result(format: format, files: manifest.files.count + 2, bytes: bytes)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
    }

    /// A file the manifest lists, opened to be packed (never through a symlink).
    private static func openListed(_ path: String, as listed: String) throws(ArchiveError) -> FileDescriptor {
        do throws(POSIXFailure) {
            return try FileDescriptor(opening: path, O_RDONLY | O_NOFOLLOW)
        } catch {
            throw ArchiveError("\(listed) is listed in the manifest but cannot be read: \(error.reason)", cause: error)
        }
    }
}

/// Hashes files on a second thread while the caller writes them. The caller never waits for
/// a file's result: mismatches are collected and read once at the end. One call streams a
/// whole file, so the turns of the buffers (each handed out again only after its hashing)
/// stay inside this type, whatever the read does (short reads, interruptions, errors).
final class OverlappedHasher: @unchecked Sendable {
    // `turn` is touched by the caller's thread only; `hasher` and `mismatches` by the queue
    // only (the caller reads them through `queue.sync`). Each buffer's semaphore is waited on
    // once before the buffer is filled and signalled once when nothing uses it any more.
    private static let count = 4
    private let queue = DispatchQueue(label: "pico.pack.hash")
    private let buffers = (0..<OverlappedHasher.count).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: FileTree.chunkSize, alignment: 64) }
    private let free = (0..<OverlappedHasher.count).map { _ in DispatchSemaphore(value: 1) }
    private var turn = 0
    private var hasher = IncrementalSHA256()
    private var mismatches: [String] = []

    // Queued work holds the hasher, so deinit runs only after the last of it, possibly on the
    // queue itself: there is nothing to wait for here, and `queue.sync` would trap.
    deinit { for buffer in buffers { buffer.deallocate() } }

    /// Passes `size` bytes, got by `read` (which returns what `read(2)` returns), to `sink`,
    /// hashing them meanwhile; the hash is compared with `sha256` on the hashing thread.
    func stream(_ path: String, size: Int, expecting sha256: String,
                to sink: (UnsafeRawBufferPointer) throws -> Void,
                read: (UnsafeMutableRawBufferPointer) -> Int) throws {
        queue.async { self.hasher = IncrementalSHA256() }
        var left = size
        while left > 0 {
            let index = turn
            turn = (turn + 1) % Self.count
            free[index].wait()
            let buffer = UnsafeMutableRawBufferPointer(rebasing: buffers[index][..<min(buffers[index].count, left)])
            let got = FileDescriptor.retryingInterruptions { read(buffer) }
            guard got > 0 else {
                free[index].signal()
                throw ArchiveError(got < 0 ? "\(path) cannot be read: \(String(cString: strerror(errno)))"
                                           : "\(path) is shorter than the manifest says")
            }
            let count = got
            queue.async {   // on the other core…
                self.hasher.update(UnsafeRawBufferPointer(rebasing: self.buffers[index][..<count]))
                self.free[index].signal()
            }
            try sink(UnsafeRawBufferPointer(rebasing: buffers[index][..<got]))  // …while libarchive writes the same bytes
            left -= got
        }
        queue.async { if self.hasher.finalize() != sha256 { self.mismatches.append(path) } }
    }

    /// Waits for all queued hashing; the first file that did not match, if any.
    func firstMismatch() -> String? { queue.sync { mismatches.first } }
}

extension FileManager {
    /// `rename(2)`: replaces `destination` in one step.
    func moveItemReplacing(_ source: URL, to destination: URL) throws {
        guard rename(source.path, destination.path) == 0 else {
            throw POSIXFailure(operation: "move into place", path: destination.path, code: errno)
        }
    }
}
