import PicoFiles
#if canImport(Glibc)
import Glibc
#endif

/// What a file holds, told from its first bytes (never from its name).
enum ArchiveForm: Equatable {
    case zip, tar, gzip, zstd, bzip2, xz

    /// Compressed forms hold a tar stream that only decompression shows.
    var isCompressedTar: Bool { self != .zip && self != .tar }

    var name: String {
        switch self {
        case .zip: "a zip"
        case .tar: "a tar"
        case .gzip: "gzip data"
        case .zstd: "zstd data"
        case .bzip2: "bzip2 data"
        case .xz: "xz data"
        }
    }
}

/// The raw bytes of an archive, checked before libarchive reads it, where libarchive cannot
/// tell: "pico verify says OK" must mean that unzip, bsdtar, GNU tar and Python's zipfile and
/// tarfile all see the same files. Each reader resolves the ambiguous corners of zip and tar
/// its own way (which of the local and central headers wins, whether a pax `path` or the
/// ustar name counts, what comes after the end), so an archive is refused when it has any
/// such corner, rather than guessing what every reader will do with it. Every check reads
/// headers only (O(entries)), never the entries' data.
enum ArchiveLayout {
    /// Checks the archive at `path` and says what form it has. The form must match the
    /// name's ending when it has one pico knows: a tar named .zip is a zip to unzip.
    static func check(_ path: String) throws(ArchiveError) -> ArchiveForm {
        let file = try RawArchiveFile(path: path)
        let head = try file.bytes(at: 0, count: Int(min(file.size, 512)))
        guard let form = form(of: head) else {
            throw unreadable(path, file.size == 0 ? "the file is empty"
                                                  : "it is none of zip, tar, tar.gz, tar.zst, tar.bz2, tar.xz")
        }
        if let expected = ArchiveFormat(fileName: path.split(separator: "/").last.map(String.init) ?? path) {
            let matches = switch expected {
            case .zip: form == .zip
            case .tar: form == .tar
            case .tarGzip: form == .gzip
            case .tarZstd: form == .zstd
            }
            guard matches else {
                throw unreadable(path, "it is named .\(expected.rawValue) but holds \(form.name); "
                                 + "readers that go by the name would see something else")
            }
        }
        switch form {
        case .zip:
            if head.count == 512, TarHeader.checksumIsValid(head) {
                throw differential(path, "its first 512 bytes are also a valid tar header, so tar reads other files from it")
            }
            try ZipLayout.check(file, path: path)
        case .tar:
            try refuseTrailingZip(file, path: path)
            try TarLayoutChecker.check(file, path: path)
        case .gzip, .zstd, .bzip2, .xz:
            // The tar inside is checked as libarchive decompresses it (TarStreamTap).
            try refuseTrailingZip(file, path: path)
        }
        return form
    }

    static func form(of head: [UInt8]) -> ArchiveForm? {
        func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head[..<magic.count]) == magic }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if starts([0x42, 0x5A, 0x68]) { return .bzip2 }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if head.count == 512, TarHeader.checksumIsValid(head) { return .tar }
        return nil
    }

    /// unzip and Python look for a zip's end record in the last 64 KiB of any file: a tar
    /// with a zip appended (or a zip hidden in its last entry) is a zip to them.
    static func refuseTrailingZip(_ file: RawArchiveFile, path: String) throws(ArchiveError) {
        let count = Int(min(file.size, 22 + 0xFFFF))
        guard count >= 22 else { return }
        let tail = try file.bytes(at: file.size - Int64(count), count: count)
        var index = count - 22
        while index >= 0 {
            if tail[index] == 0x50, tail.u32(index) == 0x0605_4B50, index + 22 + Int(tail.u16(index + 20)) == count {
                throw differential(path, "it ends in a zip's end record, so unzip reads a zip from it")
            }
            index -= 1
        }
    }

    static func unreadable(_ path: String, _ why: String) -> ArchiveError {
        ArchiveError("\(path) is not an archive pico can read: \(why)")
    }

    static func differential(_ path: String, _ why: String) -> ArchiveError {
        ArchiveError("refusing \(path): other archive readers would see other files in it: \(why)")
    }
}

/// A file read with `pread`, for header checks.
final class RawArchiveFile {
    let file: FileDescriptor
    let size: Int64
    let path: String

    init(path: String) throws(ArchiveError) {
        self.path = path
        do throws(POSIXFailure) {
            file = try FileDescriptor(opening: path, O_RDONLY)
        } catch {
            throw ArchiveError("cannot open \(path): \(error.reason)", cause: error)
        }
        guard let info = try? file.status(), info.st_mode & S_IFMT == S_IFREG else {
            throw ArchiveLayout.unreadable(path, "it is not a regular file")
        }
        size = Int64(info.st_size)
    }

    /// Exactly `count` bytes at `offset`; fewer means the archive is cut short.
    func bytes(at offset: Int64, count: Int) throws(ArchiveError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else {
            throw ArchiveLayout.unreadable(path, "it is truncated (a header points past its end)")
        }
        var result = [UInt8](repeating: 0, count: count)
        var failure: Int32?
        let filled = result.withUnsafeMutableBytes { buffer in
            do throws(POSIXFailure) { return try file.readFully(into: buffer, at: offset) } catch {
                failure = error.code
                return 0
            }
        }
        if failure == nil, filled < count { failure = EIO }
        if let failure { throw ArchiveError("cannot read \(path): \(String(cString: strerror(failure)))") }
        return result
    }
}

extension Array where Element == UInt8 {
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
}

// MARK: - zip

/// APPNOTE.TXT's layout, required strictly: local entries back to back from byte 0, each
/// matching its central directory record, then the central directory, then the end record
/// as the file's last bytes. Streaming readers (bsdtar on a pipe, Python's stream mode) go by
/// local headers, seeking ones (unzip, libarchive, zipfile) by the central directory; where
/// they agree byte for byte, they see the same files.
enum ZipLayout {
    private static let maxCentralDirectory = 64 << 20

    static func check(_ file: RawArchiveFile, path: String) throws(ArchiveError) {
        func refuse(_ why: String) -> ArchiveError { ArchiveLayout.differential(path, why) }
        let size = file.size
        guard size >= 22 else { throw ArchiveLayout.unreadable(path, "it is too short to be a zip") }
        let end = try file.bytes(at: size - 22, count: 22)
        guard end.u32(0) == 0x0605_4B50, end.u16(20) == 0 else {
            // Readers search backwards for the end record and differ in how far and what
            // they accept after it; pico writes no comment, so nothing may follow.
            throw ArchiveLayout.unreadable(path, "the zip's end record is not the last 22 bytes of the file "
                                           + "(the file is truncated, or a comment or other data follows the zip)")
        }
        guard end.u16(4) == 0, end.u16(6) == 0, end.u16(8) == end.u16(10) else {
            throw ArchiveLayout.unreadable(path, "it is one part of a multi-part zip")
        }
        var entries = UInt64(end.u16(10))
        var directorySize = UInt64(end.u32(12))
        var directoryOffset = UInt64(end.u32(16))
        var directoryEnd = UInt64(size - 22)
        if size >= 42 + 56, try file.bytes(at: size - 42, count: 4).u32(0) == 0x0706_4B50 {
            let locator = try file.bytes(at: size - 42, count: 20)
            let recordOffset = locator.u64(8)
            guard locator.u32(4) == 0, locator.u32(16) == 1, recordOffset <= UInt64(size), recordOffset + 56 == UInt64(size - 42) else {
                throw refuse("its zip64 end locator does not point just before itself")
            }
            let record = try file.bytes(at: Int64(recordOffset), count: 56)
            guard record.u32(0) == 0x0606_4B50, record.u64(4) == 44, record.u32(16) == 0, record.u32(20) == 0,
                  record.u64(24) == record.u64(32) else {
                throw refuse("its zip64 end record is damaged or describes a multi-part zip")
            }
            func agrees(_ small: UInt64, _ saturated: UInt64, _ big: UInt64) -> Bool { small == saturated || small == big }
            guard agrees(entries, 0xFFFF, record.u64(32)), agrees(directorySize, 0xFFFF_FFFF, record.u64(40)),
                  agrees(directoryOffset, 0xFFFF_FFFF, record.u64(48)) else {
                throw refuse("its zip64 end record and its end record disagree")
            }
            (entries, directorySize, directoryOffset, directoryEnd) = (record.u64(32), record.u64(40), record.u64(48), recordOffset)
        }
        guard directoryOffset <= directoryEnd, directorySize == directoryEnd - directoryOffset else {
            throw ArchiveLayout.unreadable(path, "the central directory does not end where the end record begins")
        }
        guard directorySize <= UInt64(maxCentralDirectory) else {
            throw ArchiveLayout.unreadable(path, "its central directory is larger than \(maxCentralDirectory >> 20) MiB")
        }
        let directory = try file.bytes(at: Int64(directoryOffset), count: Int(directorySize))
        var at = 0
        var expectedLocal: UInt64 = 0
        for index in 0..<entries {
            guard at + 46 <= directory.count, directory.u32(at) == 0x0201_4B50 else {
                throw ArchiveLayout.unreadable(path, "central directory record \(index + 1) is damaged")
            }
            let flags = directory.u16(at + 8), method = directory.u16(at + 10), crc = directory.u32(at + 16)
            let nameLength = Int(directory.u16(at + 28)), extraLength = Int(directory.u16(at + 30))
            let commentLength = Int(directory.u16(at + 32))
            let recordEnd = at + 46 + nameLength + extraLength + commentLength
            guard recordEnd <= directory.count else { throw ArchiveLayout.unreadable(path, "central directory record \(index + 1) is damaged") }
            let name = Array(directory[(at + 46)..<(at + 46 + nameLength)])
            let extra = Array(directory[(at + 46 + nameLength)..<(at + 46 + nameLength + extraLength)])
            let shown = String(decoding: name, as: UTF8.self)
            let fields = try extraFields(extra, entry: shown, path: path)
            // Zip64 values come in a fixed order, each only where the 32-bit field is saturated.
            var zip64 = fields[0x0001] ?? []
            func widened(_ value: UInt32) throws(ArchiveError) -> UInt64 {
                guard value == 0xFFFF_FFFF else { return UInt64(value) }
                guard zip64.count >= 8 else { throw refuse("\(shown): a zip64 size or offset is missing") }
                defer { zip64.removeFirst(8) }
                return zip64.u64(0)
            }
            let uncompressed = try widened(directory.u32(at + 24))
            let compressed = try widened(directory.u32(at + 20))
            let localOffset = try widened(directory.u32(at + 42))
            // Bounded by the file, so no sum below can overflow.
            guard compressed <= UInt64(size), localOffset <= UInt64(size) else {
                throw ArchiveLayout.unreadable(path, "\(shown) has a size or offset beyond the end of the file")
            }
            guard directory.u16(at + 34) == 0 else { throw ArchiveLayout.unreadable(path, "\(shown) is on another disk of a multi-part zip") }
            try checkEntry(name: name, flags: flags, method: method, shown: shown, path: path)
            if fields[0x7075] != nil {
                throw refuse("\(shown) carries an Info-ZIP Unicode Path field: unzip and bsdtar show the name in it, Python's zipfile the header's")
            }
            guard localOffset == expectedLocal else {
                throw refuse(expectedLocal == 0
                             ? "data comes before the first zip entry (a polyglot or self-extractor)"
                             : "\(shown) does not start where the entry before it ends: bytes between entries are hidden from some readers")
            }
            // The local header must say what the central directory says.
            let local = try file.bytes(at: Int64(localOffset), count: 30)
            guard local.u32(0) == 0x0403_4B50 else { throw refuse("\(shown): no local header where the central directory says") }
            let localFlags = local.u16(6), localMethod = local.u16(8)
            let localNameLength = Int(local.u16(26)), localExtraLength = Int(local.u16(28))
            let localTail = try file.bytes(at: Int64(localOffset) + 30, count: localNameLength + localExtraLength)
            let localName = Array(localTail[..<localNameLength])
            guard localName == name else {
                throw refuse("its local header names \(String(decoding: localName, as: UTF8.self)) but its central directory \(shown)")
            }
            let localFields = try extraFields(Array(localTail[localNameLength...]), entry: shown, path: path)
            if localFields[0x7075] != nil {
                throw refuse("\(shown) carries an Info-ZIP Unicode Path field: unzip and bsdtar show the name in it, Python's zipfile the header's")
            }
            guard localMethod == method, (localFlags ^ flags) & 0x0809 == 0 else {
                throw refuse("\(shown): its local header and central directory disagree on compression or flags")
            }
            let localZip64 = localFields[0x0001]
            if flags & 0x0008 == 0 {
                var values = localZip64 ?? []
                func localWidened(_ value: UInt32) -> UInt64? {
                    guard value == 0xFFFF_FFFF else { return UInt64(value) }
                    guard values.count >= 8 else { return nil }
                    defer { values.removeFirst(8) }
                    return values.u64(0)
                }
                guard local.u32(14) == crc, localWidened(local.u32(22)) == uncompressed, localWidened(local.u32(18)) == compressed else {
                    throw refuse("\(shown): its local header and central directory disagree on its size or checksum")
                }
            }
            let dataStart = localOffset + 30 + UInt64(localNameLength + localExtraLength)
            var entryEnd = dataStart + compressed
            if flags & 0x0008 != 0 {
                // A data descriptor follows the data: 8-byte sizes when the entry is zip64.
                let wide = localZip64 != nil || compressed >= 0xFFFF_FFFF || uncompressed >= 0xFFFF_FFFF
                guard entryEnd <= directoryOffset else { throw ArchiveLayout.unreadable(path, "\(shown) runs past the central directory") }
                let available = Int(min(24, directoryOffset - entryEnd))
                let descriptor = try file.bytes(at: Int64(entryEnd), count: available)
                let start = descriptor.count >= 4 && descriptor.u32(0) == 0x0807_4B50 ? 4 : 0
                let length = start + (wide ? 20 : 12)
                guard length <= descriptor.count, descriptor.u32(start) == crc,
                      (wide ? descriptor.u64(start + 4) : UInt64(descriptor.u32(start + 4))) == compressed,
                      (wide ? descriptor.u64(start + 12) : UInt64(descriptor.u32(start + 8))) == uncompressed else {
                    throw refuse("\(shown): its data descriptor disagrees with the central directory")
                }
                entryEnd += UInt64(length)
            }
            expectedLocal = entryEnd
            at = recordEnd
        }
        guard at == directory.count else { throw refuse("its central directory holds more records than its end record counts") }
        guard expectedLocal == directoryOffset else {
            throw refuse(entries == 0 ? "data comes before the central directory of an empty zip"
                                      : "bytes between the last entry and the central directory are entries only some readers see")
        }
    }

    private static func checkEntry(name: [UInt8], flags: UInt16, method: UInt16, shown: String, path: String) throws(ArchiveError) {
        func refuse(_ why: String) -> ArchiveError { ArchiveLayout.differential(path, why) }
        if flags & 0x2061 != 0 { throw ArchiveLayout.unreadable(path, "\(shown) is encrypted") }
        guard method == 0 || method == 8 else {
            throw ArchiveLayout.unreadable(path, "\(shown) uses compression method \(method); pico reads stored and deflated entries, which every zip reader can")
        }
        if name.contains(0) { throw refuse("\(shown): a NUL byte in a name ends it early for some readers only") }
        // Without the UTF-8 flag, zip readers decode non-ASCII names as CP437 or as the
        // local charset, each their own way.
        if flags & 0x0800 == 0, name.contains(where: { $0 >= 0x80 }) {
            throw refuse("\(shown): a non-ASCII name without the zip's UTF-8 flag reads differently in each reader "
                         + "(Info-ZIP's zip writes names so; `pico pack` does not)")
        }
    }

    /// Extra fields by id; malformed or repeated ones are refused (readers split them differently).
    private static func extraFields(_ extra: [UInt8], entry: String, path: String) throws(ArchiveError) -> [UInt16: [UInt8]] {
        var fields: [UInt16: [UInt8]] = [:]
        var at = 0
        while at < extra.count {
            guard at + 4 <= extra.count else { throw ArchiveLayout.differential(path, "\(entry): its extra fields are malformed") }
            let id = extra.u16(at), length = Int(extra.u16(at + 2))
            guard at + 4 + length <= extra.count, fields[id] == nil else {
                throw ArchiveLayout.differential(path, "\(entry): its extra fields are malformed or repeated")
            }
            fields[id] = Array(extra[(at + 4)..<(at + 4 + length)])
            at += 4 + length
        }
        return fields
    }
}

// MARK: - tar

enum TarHeader {
    /// The header checksum: the unsigned sum of its bytes with the checksum field as spaces
    /// (readers also accept the historical signed sum).
    static func checksumIsValid<C: RandomAccessCollection>(_ block: C) -> Bool where C.Element == UInt8, C.Index == Int {
        let base = block.startIndex
        guard let stored = octal(block[(base + 148)..<(base + 156)]) else { return false }
        var unsigned = 0, signed = 0
        for (offset, byte) in block.enumerated() {
            let value = (148..<156).contains(offset) ? 0x20 : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        return stored == unsigned || stored == signed
    }

    /// An octal field: digits, led by spaces or zeros, ended by NUL or space. nil if malformed.
    static func octal<C: Collection>(_ field: C) -> Int? where C.Element == UInt8 {
        var value = 0
        var digits = 0
        var ended = false
        for byte in field {
            if ended { if byte != 0 && byte != 0x20 { return nil }; continue }
            switch byte {
            case 0x30...0x37:
                guard value < Int.max >> 4 else { return nil }
                value = value * 8 + Int(byte - 0x30)
                digits += 1
            case 0x20 where digits == 0: continue
            case 0, 0x20: ended = true
            default: return nil
            }
        }
        return digits > 0 ? value : (ended ? 0 : nil)
    }

    /// A size field: octal, or GNU's base-256 for sizes beyond 8 GiB.
    static func size(_ field: ArraySlice<UInt8>) -> Int64? {
        if let first = field.first, first & 0x80 != 0 {
            guard first == 0x80 else { return nil }   // negative or absurd
            var value: Int64 = 0
            for byte in field.dropFirst() {
                guard value < Int64.max >> 9 else { return nil }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        return octal(field).map(Int64.init)
    }

    /// The bytes of a NUL-terminated field.
    static func string(_ field: ArraySlice<UInt8>) -> [UInt8] { Array(field.prefix { $0 != 0 }) }
}

/// Walks a tar stream's headers as its bytes pass (fed in any pieces), and refuses what tar
/// readers disagree on. Entry data is never looked at: `skippable` says how many bytes the
/// caller may skip unread.
///
/// The rule for names: a pax `path` (or GNU long name) must equal the ustar name, unless the
/// path needs pax (longer than 100 bytes, or not ASCII; writers differ in whether they use
/// ustar's prefix field first); then the ustar name must be one of the cut-short forms writers
/// put there: the path's first 100 bytes (GNU tar, Python, with "?" for letters that are not
/// ASCII), or leading folders of the path and the start of its file name (libarchive). And no
/// such cut name may be another entry's name or repeat. pax-aware readers (GNU tar, bsdtar,
/// Python) use the pax path; a reader that ignores pax then gets a shortened name, but never
/// one file in another's place. Global pax headers other than a comment (git archive's),
/// GNU sparse files and other vendor headers are refused: readers apply them differently, and
/// pico never writes them. After the end-of-archive block only zeros may follow (at most
/// 1 MiB of them: writers pad to a record, 10 KiB by default).
struct TarLayoutChecker {
    private enum State {
        case header
        /// Reading a pax or GNU long-name payload of `total` bytes into `buffer`.
        case payload(type: UInt8, total: Int)
        /// Entry data or padding that nobody looks at.
        case data
        case trailer
    }

    private static let maxPayload = 1 << 20
    private static let maxTrailer: Int64 = 1 << 20

    let path: String
    private var state = State.header
    private var buffer: [UInt8] = []
    /// Bytes of data (or padding) left before the next header; the caller may skip them.
    private(set) var skippable: Int64 = 0
    private var offset: Int64 = 0
    private var headerOffset: Int64 = 0
    private var trailer: Int64 = 0
    private var pax: [String: [UInt8]]?
    private var longName: [UInt8]?
    /// Every entry's path, and the cut-short ustar names, without trailing "/".
    private var realPaths: Set<[UInt8]> = []
    private var cutNames: Set<[UInt8]> = []

    init(path: String) { self.path = path }

    /// How many bytes the checker wants to look at next (after `skippable` is used up).
    var wanted: Int {
        switch state {
        case .header: 512 - buffer.count
        case .payload(_, let total): total - buffer.count
        case .data: Int(min(skippable, 1 << 16))
        case .trailer: 1 << 16
        }
    }

    private func refuse(_ why: String) -> ArchiveError {
        ArchiveLayout.differential(path, "the tar header at byte \(headerOffset) \(why)")
    }

    mutating func skip(_ count: Int64) {
        precondition(count <= skippable)
        skippable -= count
        offset += count
        if skippable == 0, case .data = state { state = .header }
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        var rest = bytes[...]
        while !rest.isEmpty {
            switch state {
            case .data:
                let take = Int(min(Int64(rest.count), skippable))
                rest = rest.dropFirst(take)
                skip(Int64(take))
            case .trailer:
                guard rest.allSatisfy({ $0 == 0 }) else {
                    throw ArchiveLayout.differential(path, "data follows the tar's end-of-archive block at byte \(headerOffset) (another archive could hide there)")
                }
                trailer += Int64(rest.count)
                offset += Int64(rest.count)
                guard trailer <= Self.maxTrailer else {
                    throw ArchiveLayout.differential(path, "more than 1 MiB of padding follows the tar's end-of-archive block")
                }
                rest = rest[rest.endIndex...]
            case .header, .payload:
                let take = min(rest.count, wanted)
                buffer.append(contentsOf: rest.prefix(take))
                rest = rest.dropFirst(take)
                offset += Int64(take)
                if wanted == 0 { try complete() }
            }
        }
    }

    mutating func feed(_ bytes: [UInt8]) throws(ArchiveError) {
        var failure: ArchiveError?
        bytes.withUnsafeBytes { raw in
            do throws(ArchiveError) { try feed(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// At the end of the stream: it must have ended with an end-of-archive block.
    func finish() throws(ArchiveError) {
        guard case .trailer = state else {
            throw ArchiveLayout.unreadable(path, "the tar is truncated: it ends before its end-of-archive block")
        }
    }

    private mutating func complete() throws(ArchiveError) {
        let block = buffer
        buffer = []
        switch state {
        case .payload(let type, let total):
            if type == UInt8(ascii: "x") {
                pax = try parsePax(block)
            } else if type == UInt8(ascii: "g") {
                guard try parsePax(block).keys.allSatisfy({ $0 == "comment" }) else {
                    throw refuse("is a global pax header; readers apply it differently (pico never writes one)")
                }
            } else {
                guard let end = block.firstIndex(of: 0) ?? (block.isEmpty ? nil : block.endIndex), !block[..<end].isEmpty else {
                    throw refuse("has an empty GNU long name")
                }
                longName = Array(block[..<end])
            }
            startData(bytes: Int64(total), used: Int64(total))
        case .header:
            headerOffset = offset - 512
            try header(block)
        default:
            break
        }
    }

    /// Skip the padding up to the next 512-byte block after `used` of `bytes` were read.
    private mutating func startData(bytes: Int64, used: Int64) {
        let padded = (bytes + 511) / 512 * 512
        skippable = padded - used
        state = skippable > 0 ? .data : .header
    }

    private mutating func header(_ block: [UInt8]) throws(ArchiveError) {
        if block.allSatisfy({ $0 == 0 }) {
            guard pax == nil, longName == nil else { throw refuse("is an end-of-archive block right after an extended header") }
            state = .trailer
            return
        }
        guard TarHeader.checksumIsValid(block) else {
            throw ArchiveLayout.unreadable(path, "the tar header at byte \(headerOffset) is damaged (bad checksum)")
        }
        let magic = Array(block[257..<265])
        let posix = magic == Array("ustar\u{0}00".utf8)
        let gnu = magic == Array("ustar  \u{0}".utf8)
        guard posix || gnu else { throw refuse("is a pre-POSIX tar header, whose name field readers interpret differently") }
        // In GNU headers these bytes are times, in POSIX ones the name's prefix: Python reads
        // them as a prefix either way.
        if gnu, block[345..<500].contains(where: { $0 != 0 }) { throw refuse("is a GNU header with a non-empty prefix field") }
        guard let size = TarHeader.size(block[124..<136]) else { throw refuse("has a malformed size") }
        let type = block[156]
        switch type {
        case UInt8(ascii: "x"), UInt8(ascii: "L"):
            guard pax == nil, longName == nil else { throw refuse("is a second extended header for one entry; readers keep different ones") }
            guard size > 0, size <= Self.maxPayload else { throw refuse("has an extended header of \(size) bytes") }
            state = .payload(type: type, total: Int(size))
            return
        case UInt8(ascii: "g"):
            guard size <= Self.maxPayload else { throw refuse("has a global header of \(size) bytes") }
            state = .payload(type: type, total: Int(size))
            return
        case 0, UInt8(ascii: "0"), UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"),
             UInt8(ascii: "5"), UInt8(ascii: "6"):
            break
        default:
            throw refuse("has entry type \(Character(Unicode.Scalar(type))), which only some readers know")
        }
        let name = TarHeader.string(block[0..<100])
        let prefix = posix ? TarHeader.string(block[345..<500]) : []
        let ustarName = prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name
        let records = pax ?? [:]
        pax = nil
        let long = longName
        longName = nil
        if records["path"] != nil, long != nil { throw refuse("has both a GNU long name and a pax path; readers keep different ones") }
        let (realPath, source) = records["path"].map { ($0, "pax path") } ?? long.map { ($0, "GNU long name") } ?? (ustarName, "")
        let isRegular = type == 0 || type == UInt8(ascii: "0")
        var cut: [UInt8]?
        if realPath != ustarName {
            guard Self.isCutForm(prefix: prefix, name: name, of: realPath) else {
                throw refuse("names \(String(decoding: ustarName, as: UTF8.self)) but its \(source) says \(String(decoding: realPath, as: UTF8.self))")
            }
        }
        // Among files (a folder and a file in it may share a cut name; bundles hold no folders).
        if realPath != ustarName, isRegular {
            let shortened = Self.trimmed(ustarName)
            guard !realPaths.contains(shortened), cutNames.insert(shortened).inserted else {
                throw refuse("has the ustar name \(String(decoding: ustarName, as: UTF8.self)), which is another entry's name: readers that ignore pax would take one for the other")
            }
            cut = shortened
        }
        let real = Self.trimmed(realPath)
        if isRegular {
            guard real == cut || !cutNames.contains(real) else {
                throw refuse("is named \(String(decoding: realPath, as: UTF8.self)), which an earlier entry's ustar name also says: readers that ignore pax would take one for the other")
            }
            realPaths.insert(real)
        }
        let isLink = type == UInt8(ascii: "1") || type == UInt8(ascii: "2")
        if records["linkpath"] != nil, !isLink { throw refuse("has a pax linkpath on an entry that is not a link") }
        var dataSize = size
        if let text = records["size"] {
            guard let paxSize = Int64(String(decoding: text, as: UTF8.self)), paxSize >= 0, paxSize < 1 << 60 else {
                throw refuse("has a malformed pax size")
            }
            // pax-ignorant readers use the header's size and would find other headers.
            guard paxSize == size || (size == 0 && paxSize > 0o77777777777) else {
                throw refuse("says \(size) bytes but its pax size says \(paxSize)")
            }
            dataSize = paxSize
        }
        // Readers skip data after a link or folder differently (Python skips none).
        guard isRegular || dataSize == 0 else { throw refuse("gives data to an entry that is not a regular file") }
        startData(bytes: dataSize, used: 0)
    }

    /// pax records, "LENGTH key=value\n" each; repeated keys, sparse-file and charset
    /// records are refused (readers differ on which one wins, or do not know them).
    private func parsePax(_ bytes: [UInt8]) throws(ArchiveError) -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var at = 0
        while at < bytes.count {
            guard let space = bytes[at...].firstIndex(of: 0x20), space - at <= 8,
                  let length = Int(String(decoding: bytes[at..<space], as: UTF8.self)), length > space - at + 1,
                  at + length <= bytes.count, bytes[at + length - 1] == 0x0A,
                  let equals = bytes[(space + 1)..<(at + length - 1)].firstIndex(of: UInt8(ascii: "=")) else {
                throw refuse("has a malformed pax record")
            }
            let key = String(decoding: bytes[(space + 1)..<equals], as: UTF8.self)
            let value = Array(bytes[(equals + 1)..<(at + length - 1)])
            guard records[key] == nil else { throw refuse("repeats the pax record \(key)") }
            if key.hasPrefix("GNU.sparse") || key == "SCHILY.realsize" || key == "SUN.holesdata" {
                throw refuse("describes a sparse file (\(key)), which readers expand differently")
            }
            if key == "hdrcharset", value != Array("ISO-IEC 10646 2000 UTF-8".utf8) {
                throw refuse("declares names that are not UTF-8 (hdrcharset)")
            }
            if key == "path" || key == "linkpath", value.isEmpty || value.contains(0) {
                throw refuse("has a pax \(key) that is empty or holds a NUL byte")
            }
            records[key] = value
            at += length
        }
        return records
    }

    /// Whether the ustar prefix and name fields are a cut-short form writers put there for a
    /// `path` that needs pax (see the type's comment).
    static func isCutForm(prefix: [UInt8], name: [UInt8], of path: [UInt8]) -> Bool {
        let slash = UInt8(ascii: "/")
        guard path.count > 100 || path.contains(where: { $0 >= 0x80 }) else { return false }
        let asciiForm = Array(String(decoding: path, as: UTF8.self).unicodeScalars.map { $0.isASCII ? UInt8($0.value) : UInt8(ascii: "?") })
        for form in [path, asciiForm] {
            // GNU tar, Python: the first 100 bytes, no prefix.
            if prefix.isEmpty, name == Array(form.prefix(100)) { return true }
            // libarchive: leading folders in the prefix, the start of the file name in the name.
            let isFolder = form.last == slash
            let components = trimmed(form).split(separator: slash, omittingEmptySubsequences: false)
            guard let last = components.last, name.last == slash || !isFolder else { continue }
            let cutName = trimmed(name)
            guard !cutName.isEmpty, last.starts(with: cutName), (name.last == slash) == isFolder else { continue }
            if prefix.isEmpty ? components.count == 1 : form.starts(with: prefix + [slash]) { return true }
        }
        return false
    }

    static func trimmed(_ path: [UInt8]) -> [UInt8] {
        var path = path
        while path.last == UInt8(ascii: "/") { path.removeLast() }
        return path
    }

    /// Checks an uncompressed tar by reading its headers only.
    static func check(_ file: RawArchiveFile, path: String) throws(ArchiveError) {
        var checker = TarLayoutChecker(path: path)
        var offset: Int64 = 0
        while offset < file.size {
            if checker.skippable > 0 {
                let count = min(checker.skippable, file.size - offset)
                checker.skip(count)
                offset += count
                continue
            }
            let count = Int(min(Int64(checker.wanted), file.size - offset))
            let bytes = try file.bytes(at: offset, count: count)
            try checker.feed(bytes)
            offset += Int64(count)
        }
        if checker.skippable > 0 { throw ArchiveLayout.unreadable(path, "the tar is truncated: its last entry runs past the end of the file") }
        try checker.finish()
    }
}
