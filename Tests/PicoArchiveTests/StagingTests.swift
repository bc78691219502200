import Foundation
@testable import PicoArchive
import PicoCore
import PicoFiles
import PicoTestSupport
import Synchronization
import Testing

/// Writing output beside its destination and swapping it in: unpack's staging folder, and
/// pack's partial file and its hashing of files as they are written (the build's StagingFolder
/// is tested in PicoFilesTests).
@Suite struct StagingTests {
    static let site = ["index.html": "<h1>Home</h1>", "css/site.css": "body { color: black }"]

    /// A symlink planted at the name unpack's staging folder used to have (".DIR.pico-unpack-PID")
    /// is neither followed nor removed: staging folders are new ones from mkdtemp.
    @Test func unpackNeverWritesThroughAPlantedStagingPath() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(Self.site)
        let archive = folder.path("b.tar")
        _ = try BundlePacker().pack(bundle: bundle, to: archive)
        let work = folder.path("work")
        let victim = folder.path("victim")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        let planted = work.appendingPathComponent(".out.pico-unpack-\(getpid())")
        try FileManager.default.createSymbolicLink(at: planted, withDestinationURL: victim)

        let report = try BundleUnpacker(BundleVerifier()).unpack(archive: archive, to: work.appendingPathComponent("out"))
        #expect(report.isValid)
        #expect(folder.read("work/out/index.html") == "<h1>Home</h1>")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim.path) == [])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: planted.path) == victim.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).sorted() == [planted.lastPathComponent, "out"])
        var info = stat()
        #expect(stat(work.appendingPathComponent("out").path, &info) == 0 && info.st_mode & 0o777 == 0o755)
    }

    /// Unpacking into an empty folder that exists replaces it; into anything else, nothing.
    @Test func unpackIntoAnEmptyFolderAndNotOverAFile() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(Self.site)
        let archive = folder.path("b.zip")
        _ = try BundlePacker().pack(bundle: bundle, to: archive)
        try FileManager.default.createDirectory(at: folder.path("empty"), withIntermediateDirectories: true)
        #expect(try BundleUnpacker(BundleVerifier()).unpack(archive: archive, to: folder.path("empty")).isValid)
        #expect(folder.read("empty/css/site.css") == "body { color: black }")
        try Data("x".utf8).write(to: folder.path("file"))
        #expect(throws: ArchiveError.self) { try BundleUnpacker(BundleVerifier()).unpack(archive: archive, to: folder.path("file")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).allSatisfy { !$0.contains("pico-unpack") })
    }

    /// pack writes into a new file from mkstemp: a symlink planted at the name its partial file
    /// used to have (".OUT.pico-partial-PID") is not written through.
    @Test func packNeverWritesThroughAPlantedPartialFile() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(Self.site)
        try Data("precious\n".utf8).write(to: folder.path("victim.txt"))
        for ending in ["zip", "tar"] {
            let planted = folder.path(".b.\(ending).pico-partial-\(getpid())")
            try FileManager.default.createSymbolicLink(at: planted, withDestinationURL: folder.path("victim.txt"))
            _ = try BundlePacker().pack(bundle: bundle, to: folder.path("b.\(ending)"))
            #expect(folder.read("victim.txt") == "precious\n")
            #expect(ArchiveVerifier(BundleVerifier()).verify(archive: folder.path("b.\(ending)")).isValid)
            var info = stat()
            #expect(stat(folder.path("b.\(ending)").path, &info) == 0 && info.st_mode & 0o777 == 0o644)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains("partial") }.count == 2)
    }

    /// A read interrupted by a signal (EINTR) is retried with the same buffer. It used to take
    /// a new buffer each time, and after four interruptions in a row pack waited forever on a
    /// buffer nobody would give back.
    @Test func packingGoesOnAfterInterruptedReads() throws {
        let data = (0..<(3 * FileTree.chunkSize + 1000)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let expected = SHA256Hex.of(data)
        let finished = DispatchSemaphore(value: 0)
        let outcome = Mutex<(written: [UInt8], mismatch: String?, error: String?)>(([], nil, nil))
        Thread {
            let hasher = OverlappedHasher()
            var offset = 0
            var interruptions = 0
            do {
                var written: [UInt8] = []
                try hasher.stream("data.bin", size: data.count, expecting: expected, to: { written.append(contentsOf: $0) }) { buffer in
                    // Ten interruptions before every read that gets bytes.
                    if interruptions < 10 {
                        interruptions += 1
                        errno = EINTR
                        return -1
                    }
                    interruptions = 0
                    let count = min(buffer.count, data.count - offset, 100_000)
                    data.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
                    offset += count
                    return count
                }
                let mismatch = hasher.firstMismatch()
                outcome.withLock { $0 = (written, mismatch, nil) }
            } catch {
                outcome.withLock { $0.error = "\(error)" }
            }
            finished.signal()
        }.start()
        try #require(finished.wait(timeout: .now() + 20) == .success, "streaming a file deadlocked after EINTR")
        let result = outcome.withLock { $0 }
        #expect(result.error == nil)
        #expect(result.written == data)
        #expect(result.mismatch == nil)
    }

    /// A file that ends early or cannot be read is an error, and the buffers stay usable.
    @Test func aShortReadIsAnErrorAndTheHasherGoesOn() throws {
        let hasher = OverlappedHasher()
        #expect(throws: ArchiveError.self) {
            try hasher.stream("short.bin", size: 10, expecting: "", to: { _ in }) { _ in 0 }
        }
        for _ in 0..<8 {
            #expect(throws: ArchiveError.self) {
                try hasher.stream("broken.bin", size: 10, expecting: "", to: { _ in }) { _ in errno = EIO; return -1 }
            }
        }
        let bytes: [UInt8] = Array("hello".utf8)
        try hasher.stream("hello.txt", size: 5, expecting: SHA256Hex.of(bytes), to: { _ in }) { buffer in
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 5) }
            return 5
        }
        #expect(hasher.firstMismatch() == nil)
    }
}
