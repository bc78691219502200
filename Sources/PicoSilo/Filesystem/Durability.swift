import Foundation
import PicoCore
import PicoFiles
#if canImport(Glibc)
import Glibc
#endif

/// The file operations a crash-safe publish is made of: copies that reach the disk, renames,
/// and flushing the file system before anything is reported done.
enum Durable {
    /// Writes small data (a manifest, a journal, an index page) atomically: a temporary file,
    /// fsync, rename over the old one.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".pico-tmp"
        // Whatever is there (a symlink planted to redirect the write) goes, and is not written through.
        unlink(temporary)
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

    /// Throws unless `root` and every folder between it and `relative` (which may not exist
    /// yet) is a real folder: a symlink planted on the way must not carry a move elsewhere.
    static func checkNoLinks(above relative: String, in root: String) throws {
        var current = root
        let folders = relative.split(separator: "/").dropLast()
        for step in [nil] + folders.map(Optional.some) {
            if let step { current += "/" + step }
            var info = stat()
            if lstat(current, &info) != 0 {
                if errno == ENOENT { return } // made later, as a real folder
                throw POSIXFailure(operation: "look at", path: current, code: errno)
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw SiloError("\(current) is a symlink or not a folder; pico does not write through it")
            }
        }
    }

    /// A manifest or journal found on the drive: read only when it is a regular file (not a
    /// link) of at most 256 MiB, so a planted sparse file cannot exhaust memory. Nil otherwise.
    static func readSmallFile(_ path: String) -> Data? {
        let slash = path.lastIndex(of: "/")!
        return try? FileTree.readWithoutFollowing(String(path[path.index(after: slash)...]), under: String(path[..<slash]))
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
