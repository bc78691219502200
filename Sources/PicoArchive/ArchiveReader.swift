import CLibArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
///
/// The archive's layout is checked first (`ArchiveLayout`): anything other readers would
/// read as other files is refused, and so is anything that is not an archive at all, with
/// "not an archive pico can read" in the message. A compressed tar's headers are checked as
/// libarchive decompresses them (`TarStreamTap`), so the data is decompressed once.
public final class ArchiveReader {
    private let archive: OpaquePointer
    private var current: OpaquePointer?
    /// For compressed tars: the decompressed stream, checked as it passes.
    private let tap: TarStreamTap?
    public let path: String

    /// - Parameter checkLayout: false skips the layout checks, for a reader that re-opens an
    ///   archive it has already verified (each request of `pico serve`).
    public init(path: String, checkLayout: Bool = true) throws(ArchiveError) {
        let form = checkLayout ? try ArchiveLayout.check(path) : nil
        self.path = path
        let tap = form?.isCompressedTar == true ? try TarStreamTap(path: path) : nil
        self.tap = tap
        guard let archive = archive_read_new() else { throw ArchiveError("libarchive could not start a reader") }
        // From here on deinit frees the reader, also when init throws below.
        self.archive = archive
        let status: Int32
        if let tap {
            archive_read_support_format_tar(archive)
            archive_read_support_format_gnutar(archive)
            status = archive_read_open(archive, Unmanaged.passUnretained(tap).toOpaque(), nil, tarStreamTapRead, nil)
        } else {
            archive_read_support_filter_all(archive)
            // The seekable zip reader trusts the central directory, which is where a zip says
            // that an entry is a symlink; tar formats are read as they stream.
            archive_read_support_format_zip_seekable(archive)
            archive_read_support_format_tar(archive)
            archive_read_support_format_gnutar(archive)
            status = archive_read_open_filename(archive, path, 1 << 16)
        }
        guard status == ARCHIVE_OK else { throw failure("") }
    }

    deinit { archive_read_free(archive) }

    /// The checks `init` makes, for a reader of entries that opens the archive by itself
    /// (`pico serve`): refuses what is not an archive pico can read, and what other readers
    /// would read as other files. A compressed tar is walked to its end for that.
    public static func checkLayout(of archive: URL) throws {
        guard try ArchiveLayout.check(archive.path).isCompressedTar else { return }
        try UTF8Locale.run {
            let reader = try ArchiveReader(path: archive.path)
            while try reader.next() != nil {}
        }
    }

    /// A libarchive failure, or the layout problem the tap found behind it.
    private func failure(_ what: String) -> ArchiveError {
        if let found = tap?.failure { return found }
        return ArchiveLayout.unreadable(path, "\(what)\(ArchiveWriter.message(archive))")
    }

    private static let zeros = [UInt8](repeating: 0, count: 1 << 16)

    /// The next entry's header, or nil at the end.
    public func next() throws(ArchiveError) -> ArchiveEntry? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF {
            try tap?.finish()
            return nil
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw failure("damaged or truncated: ") }
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
        if let found = tap?.failure { throw found }
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        var total = 0
        while true {
            let status = archive_read_data_block(archive, &buffer, &size, &offset)
            if status == ARCHIVE_EOF { return total }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw failure("damaged or truncated: ") }
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

/// A compressed tar read in two stages: libarchive's "raw" format decompresses the file,
/// and the tar reader is fed the decompressed blocks through `tarStreamTapRead`, while
/// `TarLayoutChecker` looks at every header passing by. At the end, the rest of the stream
/// must be zero padding and the compressed file must have been used up: data after the last
/// gzip member is ignored by gzip readers but read as a zip by unzip.
final class TarStreamTap {
    private let raw: OpaquePointer
    private var checker: TarLayoutChecker
    private let path: String
    private let fileSize: Int64
    private var ended = false
    /// The first problem found; libarchive only sees a failed read.
    private(set) var failure: ArchiveError?

    init(path: String) throws(ArchiveError) {
        self.path = path
        checker = TarLayoutChecker(path: path)
        guard let raw = archive_read_new() else { throw ArchiveError("libarchive could not start a reader") }
        self.raw = raw
        var info = stat()
        fileSize = stat(path, &info) == 0 ? Int64(info.st_size) : -1
        archive_read_support_filter_all(raw)
        archive_read_support_format_raw(raw)
        var entry: OpaquePointer?
        guard archive_read_open_filename(raw, path, 1 << 16) == ARCHIVE_OK,
              archive_read_next_header(raw, &entry) == ARCHIVE_OK else {
            throw ArchiveLayout.unreadable(path, ArchiveWriter.message(raw))
        }
    }

    deinit { archive_read_free(raw) }

    /// The next decompressed block, checked; 0 at the end, -1 on failure.
    fileprivate func next(_ buffer: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        guard failure == nil else { return -1 }
        guard !ended else { return 0 }
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        repeat {
            let status = archive_read_data_block(raw, &block, &size, &offset)
            if status == ARCHIVE_EOF {
                ended = true
                return 0
            }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                failure = ArchiveLayout.unreadable(path, "damaged or truncated: \(ArchiveWriter.message(raw))")
                return -1
            }
        } while block == nil || size == 0
        guard let block else { return -1 }
        do {
            try checker.feed(UnsafeRawBufferPointer(start: block, count: size))
        } catch {
            failure = error
            return -1
        }
        buffer.pointee = block
        return size
    }

    /// After the tar reader's end: the rest of the stream is checked, then the file's end.
    func finish() throws(ArchiveError) {
        var unused: UnsafeRawPointer?
        while next(&unused) > 0 {}
        if let failure { throw failure }
        try checker.finish()
        // The bytes the decompressor consumed from the file.
        guard archive_filter_bytes(raw, -1) == fileSize else {
            let found = ArchiveLayout.differential(path, "data follows the compressed stream (gzip ignores it; unzip may read a zip from it)")
            failure = found
            throw found
        }
    }
}

private let tarStreamTapRead: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t = { _, context, buffer in
    guard let context, let buffer else { return -1 }
    return la_ssize_t(Unmanaged<TarStreamTap>.fromOpaque(context).takeUnretainedValue().next(buffer))
}
