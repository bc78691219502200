import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One entry found by walking a folder.
public struct FileTreeEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case file, symlink, other }
    /// Relative, `/`-separated path from the walked root. A name that is not valid UTF-8 has
    /// each byte outside printable ASCII written `\xHH` (so this path opens nothing).
    public let path: String
    public let kind: Kind
    public let size: Int
    /// False when a name on the path is not valid UTF-8 or not in NFC: no manifest can list
    /// such a path, and Swift compares strings up to normalisation, so it must never be
    /// matched against listed paths as a `String` (an NFD twin would "equal" its listed name).
    public let hasCanonicalName: Bool

    public init(path: String, kind: Kind, size: Int, hasCanonicalName: Bool = true) {
        self.path = path
        self.kind = kind
        self.size = size
        self.hasCanonicalName = hasCanonicalName
    }
}

/// Reading and writing folders the way bundles need it: deterministic order, symlinks
/// reported rather than followed, output written into a temporary folder and swapped in.
public enum FileTree {
    /// The size of every read and write pico streams a file through. 256 KiB: large enough
    /// that system calls cost nothing, small enough to stay in the CPU's cache between the read,
    /// the hash and the write. (Measured on Linux 6.18 ext4: writes of exactly 1 or 2 MiB into
    /// the page cache ran 6-10 times slower than 256 or 512 KiB ones.)
    public static let chunkSize = 256 << 10

    /// Every entry under `root`, sorted by path bytes. Symlinks are reported, never followed.
    /// `descend` decides for each folder (by relative path) whether to walk into it.
    public static func walk(_ root: URL, descend: (String) -> Bool = { _ in true }) throws -> [FileTreeEntry] {
        var entries: [FileTreeEntry] = []
        try walk(Array(root.path.utf8), relative: "", canonical: true, into: &entries, descend: descend)
        entries.sort { $0.path.utf8Precedes($1.path) }
        return entries
    }

    /// Folders are addressed by their raw name bytes, so a name that is not valid UTF-8 is
    /// walked (and reported) rather than silently lost.
    private static func walk(_ absolute: [UInt8], relative: String, canonical: Bool, into entries: inout [FileTreeEntry],
                             descend: (String) -> Bool) throws {
        for raw in try rawNames(in: absolute) {
            let (name, nameIsCanonical) = readable(raw)
            let path = relative.isEmpty ? name : relative + "/" + name
            let isCanonical = canonical && nameIsCanonical
            let full = absolute + [UInt8(ascii: "/")] + raw
            var info = stat()
            guard (full + [0]).withUnsafeBufferPointer({ buffer in
                buffer.withMemoryRebound(to: CChar.self) { lstat($0.baseAddress!, &info) }
            }) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if descend(path) { try walk(full, relative: path, canonical: isCanonical, into: &entries, descend: descend) }
            case S_IFREG:
                entries.append(FileTreeEntry(path: path, kind: .file, size: Int(info.st_size), hasCanonicalName: isCanonical))
            case S_IFLNK:
                entries.append(FileTreeEntry(path: path, kind: .symlink, size: 0, hasCanonicalName: isCanonical))
            default:
                entries.append(FileTreeEntry(path: path, kind: .other, size: 0, hasCanonicalName: isCanonical))
            }
        }
    }

    /// A name as text, and whether it is valid UTF-8 in NFC. ASCII, nearly every name, skips
    /// the normalisation check.
    static func readable(_ raw: [UInt8]) -> (String, Bool) {
        if raw.allSatisfy({ $0 < 0x80 }) { return (String(decoding: raw, as: UTF8.self), true) }
        if let text = String(validating: raw, as: UTF8.self) {
            return (text, text.precomposedStringWithCanonicalMapping.utf8.elementsEqual(raw))
        }
        let digits = Array("0123456789ABCDEF".utf8)
        var escaped: [UInt8] = []
        for byte in raw {
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") { escaped.append(byte) }
            else { escaped += [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        }
        return (String(decoding: escaped, as: UTF8.self), false)
    }

    /// The names in a folder, through `readdir` (FileManager's listing was a visible cost when
    /// walking ten thousand pages).
    static func names(in folder: String) throws -> [String] {
        try rawNames(in: Array(folder.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The names in a folder as the bytes the file system holds.
    static func rawNames(in folder: [UInt8]) throws -> [[UInt8]] {
        let opened = (folder + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { opendir($0.baseAddress!) }
        }
        guard let stream = opened else {
            throw POSIXFailure(operation: "read the folder", path: String(decoding: folder, as: UTF8.self), code: errno)
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            if name != [0x2E], name != [0x2E, 0x2E] { names.append(name) }
        }
        return names
    }

    public static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Writes `data` at `relativePath` under `root`, creating folders as needed.
    ///
    /// Plain POSIX calls: Foundation's `Data.write` fsyncs every file, which made a build of
    /// 10,000 pages wait on the disk for most of its time. Build output needs no fsync (the
    /// staging swap makes it all-or-nothing); silos that promise durability sync themselves.
    public static func write(_ data: Data, to relativePath: String, under root: URL) throws {
        try write(data, to: relativePath, underPath: root.path)
    }

    /// The same with the root as a path string: `URL` path arithmetic is slow in hot loops.
    public static func write(_ data: Data, to relativePath: String, underPath root: String) throws {
        let file = try create(root + "/" + relativePath)
        try data.withUnsafeBytes { try file.writeAll($0) }
    }

    /// Creates (or truncates) a file, and the folders above it when they are missing.
    private static func create(_ path: String) throws -> FileDescriptor {
        do throws(POSIXFailure) {
            return try FileDescriptor(opening: path, O_WRONLY | O_CREAT | O_TRUNC)
        } catch {
            guard error.code == ENOENT else { throw error }
            try makeFolders(String(path[..<path.lastIndex(of: "/")!]))
            return try FileDescriptor(opening: path, O_WRONLY | O_CREAT | O_TRUNC)
        }
    }

    /// Writes every byte to a descriptor something else owns and closes.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, path: String) throws {
        try FileDescriptor.withUnowned(descriptor, path: path) { file in try file.writeAll(bytes) }
    }

    /// Copies a file in `chunkSize` pieces, showing each piece to `eachPiece` (to hash it), and
    /// with `flush` makes sure the copy is on the disk before returning (what a silo promises; a
    /// build needs no fsync). Returns the size.
    public static func copy(from source: String, to destination: String, flush: Bool,
                            eachPiece: (UnsafeRawBufferPointer) -> Void) throws -> Int {
        let input = try FileDescriptor(opening: source, O_RDONLY | O_NOFOLLOW)
        return try copy(from: input, to: destination, limit: Int.max - 1, flush: flush, eachPiece: eachPiece)
    }

    /// Opens `relative` under `root` for reading without following a symlink anywhere: each
    /// folder on the way is opened with `O_NOFOLLOW | O_DIRECTORY` from the one before it, so a
    /// symlinked folder inside a bundle cannot lead outside it. Nil when the file is not there;
    /// `NotRegular` when it, or a folder on the way, is a symlink or not what it should be.
    public static func openWithoutFollowing(_ relative: String, under root: String) throws -> FileDescriptor? {
        var folder = try FileDescriptor(opening: root, O_RDONLY | O_DIRECTORY)
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for (index, part) in parts.enumerated() {
            let last = index == parts.count - 1
            do throws(POSIXFailure) {
                folder = try folder.opening(part, (last ? O_RDONLY : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_NONBLOCK)
            } catch {
                if error.code == ENOENT { return nil }
                if error.code == ELOOP || error.code == ENOTDIR { throw NotRegular(path: relative) }
                throw POSIXFailure(operation: "open", path: root + "/" + relative, code: error.code)
            }
        }
        guard let info = try? folder.status(), info.st_mode & S_IFMT == S_IFREG else { throw NotRegular(path: relative) }
        return folder
    }

    /// A small file (a manifest) under `root`, read without following a symlink anywhere, and
    /// never more than `limit` bytes. Nil when it is not there; `NotRegular` when it is a link.
    public static func readWithoutFollowing(_ relative: String, under root: String, limit: Int = 256 << 20) throws -> Data? {
        guard let file = try openWithoutFollowing(relative, under: root) else { return nil }
        let size = Int(try file.status().st_size)
        guard size <= limit else { throw TooLarge(path: relative, limit: limit) }
        return try file.read(upTo: size)
    }

    public struct TooLarge: Error, CustomStringConvertible {
        public let path: String
        public let limit: Int
        public var description: String { "\(path) is larger than \(limit >> 20) MiB, more than pico reads" }
    }

    /// A path that is a symlink, a special file, or lies under a symlinked folder.
    public struct NotRegular: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path) is a symlink or special file, or lies under a symlinked folder" }
    }

    /// Copies an open file to `destination` as `copy(from:to:flush:eachPiece:)` does, but never
    /// more than `limit` bytes: a file larger than its manifest says is found without writing it
    /// out. Returns the bytes read, `limit + 1` at most.
    public static func copy(from input: borrowing FileDescriptor, to destination: String, limit: Int, flush: Bool,
                            eachPiece: (UnsafeRawBufferPointer) -> Void) throws -> Int {
        try makeFolders(String(destination[..<destination.lastIndex(of: "/")!]))
        let output = try FileDescriptor(opening: destination, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var size = 0
        while size <= limit {
            // One byte past the limit is enough to know the file is too large.
            let want = min(buffer.count, (limit == .max ? limit : limit + 1) - size)
            let got = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]))
            if got == 0 { break }
            size += got
            if size > limit { break }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[..<got])
            eachPiece(piece)
            try output.writeAll(piece)
        }
        if flush { try output.sync() }
        return size
    }

    /// Reads a whole file with one `read` per chunk, no Foundation URL work.
    public static func read(atPath path: String) throws -> Data {
        let file = try FileDescriptor(opening: path, O_RDONLY)
        let expected = (try? file.status()).map { Int($0.st_size) } ?? 0
        // One byte more than its size asks for the end of the file in the same loop, so a file
        // that did not grow costs no extra buffer (a zeroed 64 KiB chunk per read was 2% of a build).
        var data = try file.read(upTo: expected + 1)
        // A file that grew while we read it: take the rest too.
        if data.count > expected {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let got = chunk.withUnsafeMutableBytes { (try? file.read(into: $0)) ?? 0 }
                if got <= 0 { break }
                data.append(contentsOf: chunk[..<got])
            }
        }
        return data
    }

    /// `mkdir -p`: creates the folder and any missing folders above it.
    public static func makeFolders(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
            throw POSIXFailure(operation: "create the folder", path: path, code: errno)
        }
        try makeFolders(String(path[..<slash]))
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw POSIXFailure(operation: "create the folder", path: path, code: errno)
        }
    }
}


extension String {
    /// Whether this string's UTF-8 bytes sort before `other`'s: the order of walks, SHA256SUMS
    /// and manifests. One memcmp, where `utf8.lexicographicallyPrecedes` stepped through the
    /// bytes one at a time (the sorts of a 10,000-page build's paths were 1% of its time).
    public func utf8Precedes(_ other: String) -> Bool {
        var left = self, right = other
        return left.withUTF8 { a in
            right.withUTF8 { b in
                let common = Swift.min(a.count, b.count)
                if common > 0, let x = a.baseAddress, let y = b.baseAddress {
                    let order = memcmp(x, y, common)
                    if order != 0 { return order < 0 }
                }
                return a.count < b.count
            }
        }
    }
}
