import CLibArchive

/// One entry of an archive as its header describes it. Everything here is untrusted.
public struct ArchiveEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file
        case directory
        case symlink(target: String)
        case hardlink(target: String)
        /// Devices, fifos, sockets.
        case special
    }

    public var path: String
    public var kind: Kind
    /// The size the header declares (for files).
    public var declaredSize: Int64
}

/// Reads an archive entry by entry in one pass, without unpacking it (libarchive). Formats:
/// zip and tar (ustar, pax, GNU), plain or gzip, zstd, bzip2 or xz compressed.
public final class ArchiveReader {
    private let archive: OpaquePointer
    private var current: OpaquePointer?
    public let path: String

    public init(path: String) throws(ArchiveError) {
        guard let archive = archive_read_new() else { throw ArchiveError("libarchive could not start a reader") }
        self.archive = archive
        self.path = path
        archive_read_support_filter_all(archive)
        // The seekable zip reader trusts the central directory, which is where a zip says
        // that an entry is a symlink; tar formats are read as they stream.
        archive_read_support_format_zip_seekable(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        guard archive_read_open_filename(archive, path, 1 << 16) == ARCHIVE_OK else {
            let message = ArchiveWriter.message(archive)
            archive_read_free(archive)
            throw ArchiveError("cannot read \(path) as an archive: \(message)")
        }
    }

    deinit { archive_read_free(archive) }

    private static let zeros = [UInt8](repeating: 0, count: 1 << 16)

    /// The next entry's header, or nil at the end.
    public func next() throws(ArchiveError) -> ArchiveEntry? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw ArchiveError("\(path) is damaged or not an archive pico reads: \(ArchiveWriter.message(archive))")
        }
        current = entry
        let name = archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry)
        let path = name.map { String(cString: $0) } ?? ""
        let kind: ArchiveEntry.Kind
        if let target = archive_entry_hardlink(entry) {
            kind = .hardlink(target: String(cString: target))
        } else {
            switch archive_entry_filetype(entry) & 0o170000 {
            case 0o100000: kind = .file
            case 0o040000: kind = .directory
            case 0o120000: kind = .symlink(target: archive_entry_symlink(entry).map { String(cString: $0) } ?? "")
            default: kind = .special
            }
        }
        return ArchiveEntry(path: path, kind: kind, declaredSize: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : -1)
    }

    /// Streams the current entry's bytes in chunks; returns how many there were.
    @discardableResult
    public func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        var total = 0
        while true {
            let status = archive_read_data_block(archive, &buffer, &size, &offset)
            if status == ARCHIVE_EOF { return total }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                throw ArchiveError("\(path) is damaged: \(ArchiveWriter.message(archive))")
            }
            // Sparse entries skip holes: the skipped bytes are zeros.
            while Int(offset) > total {
                let gap = min(Int(offset) - total, Self.zeros.count)
                try Self.zeros.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<gap])) }
                total += gap
            }
            if size > 0, let buffer {
                try body(UnsafeRawBufferPointer(start: buffer, count: size))
                total += size
            }
        }
    }
}
