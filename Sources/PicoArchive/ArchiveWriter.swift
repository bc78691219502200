import CLibArchive
import PicoCore
import PicoFiles

/// Writes an archive through libarchive, deterministically: the caller gives entries in a
/// fixed order, and every entry gets the same time, mode and owner.
public final class ArchiveWriter {
    private let archive: OpaquePointer
    private let format: ArchiveFormat
    private let mtime: Int
    private var closed = false

    /// - Parameter mtime: seconds since 1970 written as every entry's time.
    /// - Parameter level: the deflate level (1–9) for zip and tar.gz.
    public convenience init(path: String, format: ArchiveFormat, mtime: Int, level: Int = 6) throws(ArchiveError) {
        try self.init(descriptor: nil, path: path, format: format, mtime: mtime, level: level)
    }

    /// Writes to an open file (not closed here), so the caller decides how it is created.
    /// `path` is for messages.
    public init(descriptor: Int32?, path: String, format: ArchiveFormat, mtime: Int, level: Int = 6) throws(ArchiveError) {
        guard let archive = archive_write_new() else { throw ArchiveError("libarchive could not start a writer") }
        self.archive = archive
        self.format = format
        self.mtime = mtime
        var status: Int32
        switch format {
        case .zip:
            status = archive_write_set_format_zip(archive)
        case .tar, .tarGzip, .tarZstd:
            // pax only where ustar cannot say it (long or non-ASCII names): readable by every tar.
            status = archive_write_set_format_pax_restricted(archive)
        }
        // Bundle paths are UTF-8. libarchive would convert names through the C locale (and fail
        // on non-ASCII in the "C" locale); give them as bytes and declare them UTF-8 instead.
        if status == ARCHIVE_OK {
            status = archive_write_set_format_option(archive, format == .zip ? "zip" : "pax", "hdrcharset", "UTF-8")
        }
        if status == ARCHIVE_OK, format == .zip {
            status = archive_write_set_format_option(archive, "zip", "compression-level", String(level))
        }
        if status == ARCHIVE_OK, format == .tarGzip {
            status = archive_write_add_filter_gzip(archive)
            if status == ARCHIVE_OK { status = archive_write_set_filter_option(archive, "gzip", "compression-level", String(level)) }
            // No time stamp in the gzip header: packing twice must give the same bytes.
            if status == ARCHIVE_OK { status = archive_write_set_filter_option(archive, "gzip", "timestamp", nil) }
        }
        if status == ARCHIVE_OK, format == .tarZstd { status = archive_write_add_filter_zstd(archive) }
        // Write in FileTree.chunkSize blocks (25 times fewer system calls than tar's 10 KiB
        // records), padding only the last one to a 10 KiB record, as GNU tar pads its output.
        // (Plain tar only: libarchive's zstd filter loses its end with blocks this large.)
        if status == ARCHIVE_OK, format == .tar {
            status = archive_write_set_bytes_per_block(archive, Int32(FileTree.chunkSize))
            if status == ARCHIVE_OK { status = archive_write_set_bytes_in_last_block(archive, 10240) }
        }
        if status == ARCHIVE_OK {
            status = descriptor.map { archive_write_open_fd(archive, $0) } ?? archive_write_open_filename(archive, path)
        }
        guard status == ARCHIVE_OK else {
            let message = Self.message(archive)
            archive_write_free(archive)
            throw ArchiveError("cannot write \(path): \(message)")
        }
    }

    deinit {
        if !closed { archive_write_close(archive) }
        archive_write_free(archive)
    }

    /// Adds a regular file. `compress` chooses deflate or store in a zip (tar compresses as a
    /// whole or not at all). `produce` is called with a sink to pass the file's bytes to.
    @discardableResult
    public func addFile<R>(path: String, size: Int, compress: Bool,
                           produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> R) throws -> R {
        guard let entry = archive_entry_new() else { throw ArchiveError("libarchive could not make an entry") }
        defer { archive_entry_free(entry) }
        archive_entry_copy_pathname(entry, path)
        archive_entry_set_size(entry, la_int64_t(size))
        archive_entry_set_filetype(entry, 0o100000)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, time_t(mtime), 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        if format == .zip {
            _ = compress ? archive_write_zip_set_compression_deflate(archive) : archive_write_zip_set_compression_store(archive)
        }
        guard archive_write_header(archive, entry) == ARCHIVE_OK else {
            throw ArchiveError("cannot add \(path): \(Self.message(archive))")
        }
        var written = 0
        let result = try produce { chunk in
            guard let base = chunk.baseAddress, chunk.count > 0 else { return }
            let result = archive_write_data(archive, base, chunk.count)
            guard result >= 0 else { throw ArchiveError("cannot write \(path): \(Self.message(archive))") }
            written += chunk.count
        }
        guard written == size else { throw ArchiveError("\(path) changed while it was packed (\(written) bytes, expected \(size))") }
        _ = archive_write_finish_entry(archive)
        return result
    }

    /// Finishes the archive; until then the file is incomplete.
    public func close() throws(ArchiveError) {
        closed = true
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw ArchiveError("cannot finish the archive: \(Self.message(archive))")
        }
    }

    static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }
}

/// A failure reading or writing an archive, said so a person can act on it.
public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The error underneath (a `POSIXFailure`, a `BundlePath.Problem`), when there is one.
    public let cause: (any Error)?
    public init(_ description: String, cause: (any Error)? = nil) {
        self.description = description
        self.cause = cause
    }
}
