import Foundation
@testable import PicoArchive
import PicoCore
import PicoFiles
import PicoTestSupport
import Synchronization
import Testing

/// Writing output beside its destination and swapping it in: unpack's staging folder, the
/// build's StagingFolder, and pack's hashing of files as they are written.
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

    /// While a StagingFolder replaces its destination again and again, a reader never finds the
    /// destination missing or half there (renameat2 with RENAME_EXCHANGE).
    @Test func commitReplacesTheDestinationWithNoMomentWithoutIt() throws {
        let folder = TemporaryFolder()
        let destination = folder.path("public")
        func publish(_ version: Int) throws {
            let staging = try StagingFolder(replacing: destination)
            try FileTree.write(Data("\(version)".utf8), to: "index.html", under: staging.url)
            try staging.commit()
        }
        try publish(0)
        let stop = Atomic(false)
        let misses = Atomic(0)
        let checks = Atomic(0)
        let watcher = Thread {
            let path = destination.path + "/index.html"
            while !stop.load(ordering: .relaxed) {
                if access(path, F_OK) != 0 { misses.add(1, ordering: .relaxed) }
                checks.add(1, ordering: .relaxed)
            }
        }
        watcher.start()
        for version in 1...300 { try publish(version) }
        stop.store(true, ordering: .relaxed)
        while checks.load(ordering: .relaxed) == 0 { usleep(1000) }
        usleep(10_000)
        #expect(misses.load(ordering: .relaxed) == 0, "index.html was missing \(misses.load(ordering: .relaxed)) times")
        #expect(folder.read("public/index.html") == "300")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["public"])
        var info = stat()
        #expect(stat(destination.path, &info) == 0 && info.st_mode & 0o777 == 0o755)
    }

    /// A planted symlink at the old fixed staging name is not followed by StagingFolder either.
    @Test func stagingFolderIsAlwaysANewFolder() throws {
        let folder = TemporaryFolder()
        let victim = folder.path("victim")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: folder.path(".public.pico-staging-\(getpid())"), withDestinationURL: victim)
        let staging = try StagingFolder(replacing: folder.path("public"))
        #expect(staging.url.lastPathComponent != ".public.pico-staging-\(getpid())")
        try FileTree.write(Data("new".utf8), to: "index.html", under: staging.url)
        try staging.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim.path) == [])
        #expect(folder.read("public/index.html") == "new")
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
