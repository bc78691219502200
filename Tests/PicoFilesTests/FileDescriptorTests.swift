import Foundation
import PicoFiles
import PicoTestSupport
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The one file-descriptor type: reads and writes that the kernel cuts short, a descriptor
/// closed exactly once, a symlink refused.
@Suite struct FileDescriptorTests {
    /// The two ends of a new pipe (read, write), for `FileDescriptor(adopting:)`.
    static func pipeEnds() throws -> [Int32] {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        return ends
    }

    static func isOpen(_ descriptor: Int32) -> Bool { fcntl(descriptor, F_GETFD) != -1 }

    /// A pipe hands over at most what has been written so far: `readFully` goes on reading until
    /// the buffer is full, across many short reads, and stops short only at the end.
    @Test func readFullyGoesOnAfterShortReadsFromAPipe() async throws {
        let ends = try Self.pipeEnds()
        let reader = FileDescriptor(adopting: ends[0], path: "pipe (read end)")
        let writer = FileDescriptor(adopting: ends[1], path: "pipe (write end)")
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        // Written in small pieces with pauses, so the reader meets an empty pipe many times. The
        // thread takes the write end over and closes it when done.
        let writeEnd = writer.release()
        let writing = Thread {
            let writer = FileDescriptor(adopting: writeEnd, path: "pipe (write end)")
            var offset = 0
            while offset < bytes.count {
                let piece = min(1000, bytes.count - offset)
                bytes.withUnsafeBytes { try! writer.writeAll(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + piece)])) }
                offset += piece
                if offset % 50_000 == 0 { usleep(2000) }
            }
        }
        writing.start()
        var first = [UInt8](repeating: 0, count: 200_000)
        let got = try first.withUnsafeMutableBytes { try reader.readFully(into: $0) }
        #expect(got == 200_000)
        #expect(first == Array(bytes[..<200_000]))
        var rest = [UInt8](repeating: 0, count: 200_000)
        let last = try rest.withUnsafeMutableBytes { try reader.readFully(into: $0) }
        #expect(last == 100_000, "fewer bytes only at the end of the stream")
        #expect(Array(rest[..<last]) == Array(bytes[200_000...]))
    }

    /// One `read` hands on what is there and does not wait for the buffer to fill.
    @Test func oneReadReturnsWhatThePipeHolds() throws {
        let ends = try Self.pipeEnds()
        let reader = FileDescriptor(adopting: ends[0], path: "pipe (read end)")
        let writer = FileDescriptor(adopting: ends[1], path: "pipe (write end)")
        try Array("hello".utf8).withUnsafeBytes { try writer.writeAll($0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) } == 5)
        try writer.close()
        #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) } == 0)
    }

    /// A pipe takes at most its capacity (64 KiB on Linux) in one write(2); `writeAll` writes
    /// every byte of a larger buffer while a slow reader drains it.
    @Test func writeAllGoesOnAfterPartialWritesToAPipe() throws {
        let ends = try Self.pipeEnds()
        let reader = FileDescriptor(adopting: ends[0], path: "pipe (read end)")
        let writer = FileDescriptor(adopting: ends[1], path: "pipe (write end)")
        let bytes = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let received = Mutex<[UInt8]>([])
        let done = DispatchSemaphore(value: 0)
        let readEnd = reader.release()
        Thread {
            let reader = FileDescriptor(adopting: readEnd, path: "pipe (read end)")
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let got = (try? chunk.withUnsafeMutableBytes { try reader.read(into: $0) }) ?? 0
                if got == 0 { break }
                received.withLock { $0 += chunk[..<got] }
                usleep(50)
            }
            done.signal()
        }.start()
        try bytes.withUnsafeBytes { try writer.writeAll($0) }
        try writer.close()
        try #require(done.wait(timeout: .now() + 30) == .success)
        #expect(received.withLock { $0 } == bytes)
    }

    /// A write to a pipe nobody reads any more fails with the file named, not silently.
    @Test func aFailedWriteNamesTheFile() throws {
        let ends = try Self.pipeEnds()
        let reader = FileDescriptor(adopting: ends[0], path: "pipe (read end)")
        let writer = FileDescriptor(adopting: ends[1], path: "pipe (write end)")
        try reader.close()
        signal(SIGPIPE, SIG_IGN)
        let error = try #require(throws: POSIXFailure.self) { try Array("x".utf8).withUnsafeBytes { try writer.writeAll($0) } }
        #expect(error.code == EPIPE)
        #expect(error.description.hasPrefix("cannot write pipe (write end): "))
    }

    /// `readFully(into:at:)` reads from an offset and stops short only at the end of the file.
    @Test func positionedReadsStopAtTheEnd() throws {
        let folder = TemporaryFolder()
        try Data("0123456789".utf8).write(to: folder.path("digits"))
        let file = try FileDescriptor(opening: folder.path("digits").path, O_RDONLY)
        var buffer = [UInt8](repeating: 0, count: 4)
        #expect(try buffer.withUnsafeMutableBytes { try file.readFully(into: $0, at: 3) } == 4)
        #expect(buffer == Array("3456".utf8))
        #expect(try buffer.withUnsafeMutableBytes { try file.readFully(into: $0, at: 8) } == 2)
        #expect(try buffer.withUnsafeMutableBytes { try file.readFully(into: $0, at: 10) } == 0)
        #expect(try file.read(upTo: 100) == Data("0123456789".utf8), "pread leaves the file position alone")
    }

    /// The value owns its descriptor: it is closed when the last owner ends, never before, and
    /// `close()` closes it once (the number, reused by the next open, stays open).
    @Test func aDescriptorIsClosedExactlyOnce() throws {
        let folder = TemporaryFolder()
        try Data("x".utf8).write(to: folder.path("a"))
        let path = folder.path("a").path
        func handOn(_ file: consuming FileDescriptor) -> FileDescriptor { file }

        var number: Int32 = -1
        do {
            let file = try FileDescriptor(opening: path, O_RDONLY)
            number = file.rawValue
            let moved = handOn(file)
            #expect(Self.isOpen(number), "handing the value on does not close it")
            _ = moved
        }
        #expect(!Self.isOpen(number), "closed when its owner ended")

        let first = try FileDescriptor(opening: path, O_RDONLY)
        let reused = first.rawValue
        try first.close()
        let second = try FileDescriptor(opening: path, O_RDONLY)
        #expect(second.rawValue == reused, "the kernel hands out the lowest free number again")
        #expect(Self.isOpen(second.rawValue), "closing the first did not close the number twice")
        #expect(try second.read(upTo: 1) == Data("x".utf8))

        // A descriptor someone else owns is left open.
        let raw = open(path, O_RDONLY | O_CLOEXEC)
        FileDescriptor.withUnowned(raw, path: path) { _ in }
        #expect(Self.isOpen(raw))
        #expect(FileDescriptor(adopting: raw, path: path).release() == raw)
        #expect(Self.isOpen(raw))
        close(raw)
    }

    /// With O_NOFOLLOW a symlink is refused (ELOOP) rather than followed, and the error says
    /// which file; O_CREAT says "create".
    @Test func noFollowRefusesASymlink() throws {
        let folder = TemporaryFolder()
        try Data("secret".utf8).write(to: folder.path("target"))
        try FileManager.default.createSymbolicLink(at: folder.path("link"), withDestinationURL: folder.path("target"))
        let link = folder.path("link").path
        let refused = try #require(throws: POSIXFailure.self) { _ = try FileDescriptor(opening: link, O_RDONLY | O_NOFOLLOW) }
        #expect(refused.code == ELOOP)
        #expect(refused.description == "cannot open \(link): \(String(cString: strerror(ELOOP)))")
        let notCreated = try #require(throws: POSIXFailure.self) {
            _ = try FileDescriptor(opening: link, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW)
        }
        #expect(notCreated.operation == "create" && notCreated.code == ELOOP)
        #expect(folder.read("target") == "secret")

        let root = try FileDescriptor(opening: folder.url.path, O_RDONLY | O_DIRECTORY)
        let fromFolder = try #require(throws: POSIXFailure.self) { _ = try root.opening("link", O_RDONLY | O_NOFOLLOW) }
        #expect(fromFolder.code == ELOOP && fromFolder.path == folder.url.path + "/link")
        #expect(try root.opening("target", O_RDONLY | O_NOFOLLOW).read(upTo: 100) == Data("secret".utf8))
    }

    /// FileTree's readers refuse a symlink, or a file under a symlinked folder, on every part
    /// of the path.
    @Test func readingWithoutFollowingRefusesLinksOnTheWay() throws {
        let folder = TemporaryFolder()
        folder.write(["outside/secret.txt": "secret", "root/real/page.html": "page"])
        let root = folder.path("root").path
        try FileManager.default.createSymbolicLink(at: folder.path("root/linked"), withDestinationURL: folder.path("outside"))
        try FileManager.default.createSymbolicLink(at: folder.path("root/real/link.html"), withDestinationURL: folder.path("outside/secret.txt"))
        #expect(try FileTree.readWithoutFollowing("real/page.html", under: root) == Data("page".utf8))
        #expect(try FileTree.readWithoutFollowing("real/missing.html", under: root) == nil)
        #expect(throws: FileTree.NotRegular.self) { try FileTree.readWithoutFollowing("linked/secret.txt", under: root) }
        #expect(throws: FileTree.NotRegular.self) { try FileTree.readWithoutFollowing("real/link.html", under: root) }
        #expect(throws: FileTree.NotRegular.self) { try FileTree.readWithoutFollowing("real", under: root) }
        #expect(throws: FileTree.TooLarge.self) { try FileTree.readWithoutFollowing("real/page.html", under: root, limit: 3) }
    }

    /// `retryingInterruptions` calls again after EINTR, and only then.
    @Test func interruptedCallsAreRetried() {
        var calls = 0
        let got = FileDescriptor.retryingInterruptions { () -> Int in
            calls += 1
            if calls < 5 { errno = EINTR; return -1 }
            return 42
        }
        #expect(got == 42 && calls == 5)
        calls = 0
        let failed = FileDescriptor.retryingInterruptions { () -> Int in
            calls += 1
            errno = EIO
            return -1
        }
        #expect(failed == -1 && calls == 1)
    }

    /// A copy stops one byte past its limit, so a file larger than it should be is found without
    /// writing it all out.
    @Test func aCopyStopsPastItsLimit() throws {
        let folder = TemporaryFolder()
        try Data(repeating: 7, count: 3 * FileTree.chunkSize).write(to: folder.path("big"))
        let input = try FileDescriptor(opening: folder.path("big").path, O_RDONLY)
        var seen = 0
        let size = try FileTree.copy(from: input, to: folder.path("out/copy").path, limit: 1000, flush: false) { seen += $0.count }
        #expect(size == 1001 && seen == 0)
        let whole = try FileTree.copy(from: folder.path("big").path, to: folder.path("out/whole").path, flush: true) { seen += $0.count }
        #expect(whole == 3 * FileTree.chunkSize && seen == whole)
        #expect(try FileTree.read(atPath: folder.path("out/whole").path) == Data(repeating: 7, count: 3 * FileTree.chunkSize))
    }
}
