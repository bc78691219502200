import Foundation
import PicoCore
#if canImport(Glibc)
import Glibc
#endif

/// The file operations a crash-safe publish is made of: copies that reach the disk, renames,
/// and flushing the file system before anything is reported done.
enum Durable {
    /// Copies a file, hashing it on the way, and fsyncs the copy.
    static func copy(from source: String, to destination: String) throws -> (sha256: String, size: Int) {
        try FileTree.makeFolders(String(destination[..<destination.lastIndex(of: "/")!]))
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else { throw POSIXFailure(operation: "open", path: source, code: errno) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard output >= 0 else { throw POSIXFailure(operation: "create", path: destination, code: errno) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var hasher = IncrementalSHA256()
        var size = 0
        while true {
            let got = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw POSIXFailure(operation: "read", path: source, code: errno) }
            if got == 0 { break }
            try buffer.withUnsafeBytes { chunk in
                let piece = UnsafeRawBufferPointer(rebasing: chunk[..<got])
                hasher.update(piece)
                var offset = 0
                while offset < got {
                    let n = write(output, piece.baseAddress! + offset, got - offset)
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { throw POSIXFailure(operation: "write", path: destination, code: errno) }
                    offset += n
                }
            }
            size += got
        }
        guard fsync(output) == 0 else { throw POSIXFailure(operation: "flush", path: destination, code: errno) }
        return (hasher.finalize(), size)
    }

    /// Writes small data (a manifest, a journal, an index page) atomically: a temporary file,
    /// fsync, rename over the old one.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".pico-tmp"
        try FileTree.write(data, to: (temporary as NSString).lastPathComponent, underPath: (temporary as NSString).deletingLastPathComponent)
        let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 { fsync(descriptor); close(descriptor) }
        try move(temporary, to: path)
    }

    static func move(_ source: String, to destination: String) throws {
        try FileTree.makeFolders(String(destination[..<destination.lastIndex(of: "/")!]))
        guard rename(source, destination) == 0 else {
            throw POSIXFailure(operation: "move \(source) to", path: destination, code: errno)
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func size(_ path: String) -> Int? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Flushes everything written so far to the drive (all of it: renames too).
    static func flush() { sync() }

    /// Removes folders left empty under `root` after files moved out of them.
    static func removeEmptyFolders(under root: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names {
            let path = root + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
            removeEmptyFolders(under: path)
            rmdir(path)
        }
    }
}
