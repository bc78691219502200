import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder that is built beside its destination and replaces it only when complete, so a
/// failed build leaves the previous output untouched, and at every moment `destination` holds
/// either the whole old output or the whole new one.
public struct StagingFolder: Sendable {
    public let destination: URL
    public let url: URL

    public init(replacing destination: URL) throws {
        self.destination = destination.standardizedFileURL
        let parent = self.destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        // mkdtemp makes a new folder or fails: a name planted beside the destination (a
        // symlink in a shared folder) is never followed or reused.
        var template = Array((parent.path + "/.\(self.destination.lastPathComponent).pico-staging-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXFailure(operation: "create a staging folder in", path: parent.path, code: errno)
        }
        url = URL(fileURLWithPath: String(cString: made), isDirectory: true)
    }

    /// Moves the finished folder into place. An existing destination is swapped with it in one
    /// step (`renameat2(RENAME_EXCHANGE)`), then the old output, now at the staging name, is
    /// removed. Where the file system cannot exchange (ENOSYS, EINVAL), the old folder is
    /// renamed aside first, which leaves a moment with nothing at `destination`.
    public func commit() throws {
        // mkdtemp made it 0700; output folders are ordinary ones.
        guard chmod(url.path, 0o755) == 0 else { throw POSIXFailure(operation: "set the mode of", path: url.path, code: errno) }
        var info = stat()
        guard lstat(destination.path, &info) == 0 else {
            guard rename(url.path, destination.path) == 0 else {
                throw POSIXFailure(operation: "move the finished folder to", path: destination.path, code: errno)
            }
            return
        }
        if let exchange = Self.renameExchange {
            if exchange(AT_FDCWD, url.path, AT_FDCWD, destination.path, Self.renameExchangeFlag) == 0 {
                try? FileManager.default.removeItem(at: url)
                return
            }
            guard errno == EINVAL || errno == ENOSYS else {
                throw POSIXFailure(operation: "swap the finished folder into", path: destination.path, code: errno)
            }
        }
        try commitInTwoSteps()
    }

    private func commitInTwoSteps() throws {
        let fm = FileManager.default
        let aside = URL(fileURLWithPath: url.path + "-old")
        guard rename(destination.path, aside.path) == 0 else {
            throw POSIXFailure(operation: "move aside the old", path: destination.path, code: errno)
        }
        guard rename(url.path, destination.path) == 0 else {
            let code = errno
            _ = rename(aside.path, destination.path)
            throw POSIXFailure(operation: "move the finished folder to", path: destination.path, code: code)
        }
        try? fm.removeItem(at: aside)
    }

    /// `renameat2(2)`, which Swift's Glibc module does not declare: looked up in the C library
    /// (glibc 2.28 and later), nil where there is none.
    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let renameExchangeFlag: UInt32 = 1 << 1   // RENAME_EXCHANGE, linux/fs.h
    private static var renameExchange: RenameAt2? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2").map { unsafeBitCast($0, to: RenameAt2.self) }
    }

    public func discard() {
        try? FileManager.default.removeItem(at: url)
    }
}
