import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An open file (or folder, pipe, inotify instance), closed exactly once: when the value ends,
/// or earlier by `close()`. It cannot be copied, so no two owners can close it. Every read and
/// write pico makes goes through here, so the answers to short reads, short writes and
/// interruptions by a signal (EINTR) are written once.
public struct FileDescriptor: ~Copyable, Sendable {
    /// The descriptor number, for the system calls this type does not wrap (libarchive's,
    /// `ftruncate`, `fchmod`). -1 only once `close()` or `release()` consumed the value.
    public private(set) var rawValue: Int32
    /// The file it was opened from, for messages.
    public let path: String

    /// Takes over a descriptor opened elsewhere (`mkstemp`, `pipe`, `inotify_init1`).
    public init(adopting rawValue: Int32, path: String) {
        self.rawValue = rawValue
        self.path = path
    }

    /// `open(2)`, always with `O_CLOEXEC`: no program pico runs inherits its files.
    public init(opening path: String, _ flags: Int32, mode: mode_t = 0o644) throws(POSIXFailure) {
        let descriptor = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw POSIXFailure(operation: flags & O_CREAT != 0 ? "create" : "open", path: path, code: errno)
        }
        self.init(adopting: descriptor, path: path)
    }

    /// `openat(2)`: `name` in this folder, always with `O_CLOEXEC`.
    public func opening(_ name: String, _ flags: Int32, mode: mode_t = 0o644) throws(POSIXFailure) -> FileDescriptor {
        let descriptor = openat(rawValue, name, flags | O_CLOEXEC, mode)
        let code = errno
        let full = path.hasSuffix("/") ? path + name : path + "/" + name
        guard descriptor >= 0 else { throw POSIXFailure(operation: flags & O_CREAT != 0 ? "create" : "open", path: full, code: code) }
        return FileDescriptor(adopting: descriptor, path: full)
    }

    deinit {
        if rawValue >= 0 { _ = Glibc.close(rawValue) }
    }

    /// Closes now and says whether the kernel reported an error (NFS, a full disk can report a
    /// failed write only here). The descriptor is gone either way: close(2) is never retried.
    public consuming func close() throws(POSIXFailure) {
        let descriptor = rawValue
        rawValue = -1
        guard Glibc.close(descriptor) == 0 else { throw POSIXFailure(operation: "close", path: path, code: errno) }
    }

    /// Gives the descriptor back without closing it, for one that something else closes.
    public consuming func release() -> Int32 {
        let descriptor = rawValue
        rawValue = -1
        return descriptor
    }

    /// Runs `body` with a descriptor something else owns and closes (libarchive's, a caller's
    /// that is not yet a `FileDescriptor`): it is left open.
    public static func withUnowned<Result>(_ rawValue: Int32, path: String,
                                           _ body: (borrowing FileDescriptor) throws -> Result) rethrows -> Result {
        let file = FileDescriptor(adopting: rawValue, path: path)
        let result: Result
        do { result = try body(file) } catch {
            _ = file.release()
            throw error
        }
        _ = file.release()
        return result
    }

    /// `fstat(2)`.
    public func status() throws(POSIXFailure) -> stat {
        var info = stat()
        guard fstat(rawValue, &info) == 0 else { throw POSIXFailure(operation: "look at", path: path, code: errno) }
        return info
    }

    /// One `read(2)`: up to `buffer.count` bytes, 0 at the end of the file. For streams that
    /// hand on whatever arrives; `readFully` fills the buffer.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(POSIXFailure) -> Int {
        let got = Self.retryingInterruptions { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
        guard got >= 0 else { throw POSIXFailure(operation: "read", path: path, code: errno) }
        return got
    }

    /// Fills `buffer`, going on after short reads; fewer bytes only when the file ends first.
    /// Returns how many bytes it read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(POSIXFailure) -> Int {
        var filled = 0
        while filled < buffer.count {
            let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if got == 0 { break }
            filled += got
        }
        return filled
    }

    /// Fills `buffer` from `offset` on (`pread(2)`, which leaves the file position alone);
    /// fewer bytes only when the file ends first. Returns how many bytes it read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(POSIXFailure) -> Int {
        var filled = 0
        while filled < buffer.count {
            let got = Self.retryingInterruptions {
                pread(rawValue, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset) + off_t(filled))
            }
            guard got >= 0 else { throw POSIXFailure(operation: "read", path: path, code: errno) }
            if got == 0 { break }
            filled += got
        }
        return filled
    }

    /// Up to `count` bytes from the current position, fewer when the file ends first.
    public func read(upTo count: Int) throws(POSIXFailure) -> Data {
        var data = Data(count: max(count, 0))
        // Data's closures throw untyped errors: the failure is carried out by hand.
        var failure: POSIXFailure?
        let filled = data.withUnsafeMutableBytes { buffer in
            do throws(POSIXFailure) { return try readFully(into: buffer) } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        data.count = filled
        return data
    }

    /// Writes every byte, going on after short writes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(POSIXFailure) {
        var offset = 0
        while offset < bytes.count {
            let written = Self.retryingInterruptions { Glibc.write(rawValue, bytes.baseAddress! + offset, bytes.count - offset) }
            guard written >= 0 else { throw POSIXFailure(operation: "write", path: path, code: errno) }
            offset += written
        }
    }

    /// `fsync(2)`: the file's bytes are on the disk when it returns.
    public func sync() throws(POSIXFailure) {
        guard fsync(rawValue) == 0 else { throw POSIXFailure(operation: "flush", path: path, code: errno) }
    }

    /// Calls `call`, a system call that answers -1 with `errno`, again for as long as a signal
    /// interrupts it (EINTR). The one place pico retries an interrupted call.
    @inlinable
    public static func retryingInterruptions<Count: BinaryInteger>(_ call: () -> Count) -> Count {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    /// `poll(2)` on `waiting` for up to `timeout` milliseconds (-1: no limit). A signal ends the
    /// wait early, as if nothing were ready (every `revents` 0), so callers just wait again.
    public static func poll(_ waiting: inout [pollfd], timeout: Int32) throws(POSIXFailure) -> Int {
        let ready = Glibc.poll(&waiting, nfds_t(waiting.count), timeout)
        if ready < 0 {
            guard errno == EINTR else { throw POSIXFailure(operation: "wait for", path: "\(waiting.count) descriptors", code: errno) }
            for index in waiting.indices { waiting[index].revents = 0 }
            return 0
        }
        return Int(ready)
    }
}

/// A failed system call, with the file it was about.
public struct POSIXFailure: Error, CustomStringConvertible, LocalizedError {
    public let operation: String
    public let path: String
    public let code: Int32

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The system's words for `code` ("No such file or directory").
    public var reason: String { String(cString: strerror(code)) }
    public var description: String { "cannot \(operation) \(path): \(reason)" }
    public var errorDescription: String? { description }
}
