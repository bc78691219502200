import Foundation
import PicoCore
import PicoServer
import PicoTestSupport
import Testing

/// The gateway's disk cache of verified blobs: bounded (the blobs used longest ago go first,
/// remembered across a restart by the files' times), nothing kept that is not the blob it is
/// named by, every read checked again, what a crash left half-written cleared.
@Suite struct BlobCacheTests {
    static func blob(_ seed: UInt8, size: Int = 1000) -> (data: Data, sha256: String) {
        let data = Data((0..<size).map { UInt8(truncatingIfNeeded: $0) &+ seed })
        return (data, SHA256Hex.of(data))
    }

    static func file(_ root: URL, _ sha256: String) -> URL {
        root.appendingPathComponent("\(sha256.prefix(2))/\(sha256)")
    }

    static func bytes(_ hit: BlobCache.Hit?) -> Data? {
        if case .whole(let data)? = hit { return data }
        return nil
    }

    @Test func theBlobsUsedLongestAgoGoFirstWhenTheCacheIsFull() async throws {
        let folder = TemporaryFolder()
        let root = folder.path("blobs")
        let cache = try BlobCache(root: root, maxBytes: 3000)
        let (a, b, c, d) = (Self.blob(1), Self.blob(2), Self.blob(3), Self.blob(4))
        for blob in [a, b, c] {
            await cache.store(blob.data, sha256: blob.sha256)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(cache.totalBytes == 3000)
        // A is used again: B is now the one used longest ago.
        #expect(Self.bytes(await cache.find(a.sha256)) == a.data)
        try await Task.sleep(for: .milliseconds(20))
        await cache.store(d.data, sha256: d.sha256)
        #expect(cache.totalBytes == 3000)
        #expect(await cache.find(b.sha256) == nil)
        #expect(!FileManager.default.fileExists(atPath: Self.file(root, b.sha256).path))
        // Each find is a use: apart in time, since a file's time moves in clock ticks of a few
        // milliseconds, and two uses in one tick would tie.
        for blob in [a, c, d] {
            #expect(Self.bytes(await cache.find(blob.sha256)) == blob.data)
            try await Task.sleep(for: .milliseconds(20))
        }

        // A restart sees what is there, and the times of use it left on the files.
        try await Task.sleep(for: .milliseconds(20))
        #expect(Self.bytes(await cache.find(c.sha256)) == c.data)
        let reopened = try BlobCache(root: root, maxBytes: 2000)
        #expect(reopened.totalBytes == 2000)
        #expect(await reopened.find(a.sha256) == nil, "A was used before C and D")
        let (foundC, foundD) = (Self.bytes(await reopened.find(c.sha256)), Self.bytes(await reopened.find(d.sha256)))
        #expect(foundC == c.data && foundD == d.data)
    }

    @Test func onlyTheBlobANameNamesIsKeptAndEveryReadChecksItAgain() async throws {
        let folder = TemporaryFolder()
        let root = folder.path("blobs")
        let cache = try BlobCache(root: root, maxBytes: 10_000, maxBlobBytes: 2000)
        let (a, b) = (Self.blob(1), Self.blob(2))
        // Bytes under another blob's name, a name that is no SHA-256, a blob over the limit.
        await cache.store(a.data, sha256: b.sha256)
        await cache.store(a.data, sha256: "../../etc/passwd")
        await cache.store(a.data, sha256: a.sha256.uppercased())
        let large = Self.blob(3, size: 2001)
        await cache.store(large.data, sha256: large.sha256)
        #expect(cache.totalBytes == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).isEmpty)

        await cache.store(a.data, sha256: a.sha256)
        #expect(Self.bytes(await cache.find(a.sha256)) == a.data)
        var damaged = a.data
        damaged[10] ^= 1
        try damaged.write(to: Self.file(root, a.sha256))
        #expect(await cache.find(a.sha256) == nil)
        #expect(!FileManager.default.fileExists(atPath: Self.file(root, a.sha256).path), "the damaged copy is removed")
        #expect(cache.totalBytes == 0)
    }

    @Test func aLargeBlobIsHashedInPiecesAndWhatACrashLeftIsCleared() async throws {
        let folder = TemporaryFolder()
        let root = folder.path("blobs")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("half a blob".utf8).write(to: root.appendingPathComponent(".incoming-Ab12Cd"))
        let cache = try BlobCache(root: root, maxBytes: 8 << 20)
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(".incoming-Ab12Cd").path))

        let large = Self.blob(7, size: ServeLimits.bufferedFileBytes + 12_345)
        await cache.store(large.data, sha256: large.sha256)
        guard case .large(let size, let leading)? = await cache.find(large.sha256) else {
            Issue.record("a blob over \(ServeLimits.bufferedFileBytes) bytes is found as large")
            return
        }
        #expect(size == large.data.count && leading == large.data.prefix(leading.count) && !leading.isEmpty)
        let reader = try #require(try await cache.open(large.sha256))
        var read = Data()
        while true {
            let piece = try await reader.read(upTo: 100_000)
            if piece.isEmpty { break }
            read.append(contentsOf: piece)
        }
        #expect(read == large.data)
        // The only files: the blob, in its folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == [String(large.sha256.prefix(2))])
    }
}
