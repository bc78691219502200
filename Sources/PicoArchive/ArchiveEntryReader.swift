import CLibArchive
import Foundation
import Synchronization

/// One regular-file entry of an archive, read piece by piece on demand without unpacking the
/// rest: `pico serve` streams entries this way, so its memory stays bounded however large an
/// entry is, or claims to be.
public final class ArchiveEntryStream: Sendable {
    /// Where the archive is, for messages.
    public let archivePath: String
    /// libarchive's handle is used from whichever thread-pool thread runs the next read; the
    /// mutex keeps two reads from ever using it at once.
    private let handle: Mutex<LibArchiveHandle>

    private init(archivePath: String, handle: consuming sending LibArchiveHandle) {
        self.archivePath = archivePath
        self.handle = Mutex(handle)
    }

    /// The regular-file entry named `path` (a leading "./" ignored, the first of several with
    /// that name), or nil when the archive has none.
    public static func open(_ path: String, in archive: URL) throws -> ArchiveEntryStream? {
        try UTF8Locale.run { () throws -> ArchiveEntryStream? in
            let handle = try LibArchiveHandle.reading(archive.path)
            guard try handle.moveToFile(named: path) else { return nil }
            return ArchiveEntryStream(archivePath: archive.path, handle: handle)
        }
    }

    /// Up to `maxCount` more bytes of the entry; empty at its end.
    public func read(upTo maxCount: Int) throws -> [UInt8] {
        try handle.withLock { handle in try handle.read(upTo: maxCount, archivePath: archivePath) }
    }
}

/// Owns one libarchive reader and frees it exactly once, whether opening it failed or not.
struct LibArchiveHandle: ~Copyable {
    private let archive: OpaquePointer

    private init(archive: OpaquePointer) { self.archive = archive }

    /// Opens the archive at `path`; from the moment the reader exists, only `deinit` frees it.
    static func reading(_ path: String) throws -> LibArchiveHandle {
        guard let archive = archive_read_new() else { throw ArchiveError("libarchive could not start a reader") }
        let handle = LibArchiveHandle(archive: archive)
        archive_read_support_filter_all(archive)
        // The same formats as ArchiveReader: the seekable zip reader trusts the central directory.
        archive_read_support_format_zip_seekable(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        guard archive_read_open_filename(archive, path, 1 << 16) == ARCHIVE_OK else {
            throw ArchiveError("cannot read \(path) as an archive: \(ArchiveWriter.message(archive))")
        }
        return handle
    }

    deinit { archive_read_free(archive) }

    /// Walks the headers up to the first regular file named `name`; false when there is none
    /// (or the entry of that name is not a regular file).
    func moveToFile(named name: String) throws -> Bool {
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { return false }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw ArchiveError("the archive is damaged or not one pico reads: \(ArchiveWriter.message(archive))")
            }
            var path = (archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry)).map { String(cString: $0) } ?? ""
            while path.hasPrefix("./") { path.removeFirst(2) }
            guard path == name else { continue }
            return archive_entry_hardlink(entry) == nil && archive_entry_filetype(entry) & 0o170000 == 0o100000
        }
    }

    /// libarchive's archive_read_data fills sparse holes with zeros itself.
    func read(upTo maxCount: Int, archivePath: String) throws -> [UInt8] {
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: max(maxCount, 0)) { buffer, count in
            let got = archive_read_data(archive, buffer.baseAddress, buffer.count)
            if got < 0 { failure = ArchiveWriter.message(archive) }
            count = max(got, 0)
        }
        if let failure { throw ArchiveError("\(archivePath) is damaged: \(failure)") }
        return bytes
    }
}
