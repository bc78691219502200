import Foundation
import PicoBlossom
import PicoCore
import PicoNostr
import PicoTestSupport
import Testing

/// `BlossomClient.download` against the real Blossom server of Silos/blossom: the bytes come back
/// only when their SHA-256 is the one asked for, and never more than `limit` are read.
@Suite(.serialized) struct BlossomDownloadTests {
    static let key = try! AuthorKey(secretKey: [UInt8](repeating: 7, count: 32))

    /// The outcome of one request, so that a failure still lets the test shut its client down.
    static func attempt<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    @Test func aBlobIsReadWithinItsSizeAndCheckedAgainstItsHash() async throws {
        let data = Data((0..<50_000).map { UInt8($0 % 251) })
        let sha = SHA256Hex.of(data)
        let honest = try BlossomTestServer(), liar = try BlossomTestServer(options: ["--tamper", sha])
        for server in [honest, liar] {
            let uploader = BlossomClient(server: try BlossomServer(parsing: server.address), key: Self.key)
            let uploaded = await Self.attempt { try await uploader.upload(data, sha256: sha, type: "application/octet-stream", file: "blob.bin") }
            await uploader.shutdown()
            _ = try uploaded.get()
        }
        let reader = BlossomClient(server: try BlossomServer(parsing: honest.address), key: nil)
        let whole = await Self.attempt { try await reader.download(sha, limit: data.count) }
        #expect((try? whole.get()) == data, "\(whole)")
        // Not there: nil, no retries.
        let absent = await Self.attempt { try await reader.download(String(repeating: "0", count: 64), limit: 10) }
        #expect((try? absent.get()) == .some(nil), "\(absent)")
        // One byte short of the blob: refused before the body is read whole.
        do {
            _ = try await reader.download(sha, limit: data.count - 1, file: "blob.bin")
            Issue.record("a blob longer than the limit was accepted")
        } catch {
            #expect(error.kind == .integrity && error.description.contains("more than \(data.count - 1) bytes"), "\(error)")
        }
        await reader.shutdown()

        let fooled = BlossomClient(server: try BlossomServer(parsing: liar.address), key: nil)
        do {
            _ = try await fooled.download(sha, limit: data.count, file: "blob.bin")
            Issue.record("altered bytes were accepted")
        } catch {
            #expect(error.kind == .integrity && error.description.contains(liar.url) && error.description.contains("blob.bin"), "\(error)")
        }
        #expect(liar.requests("GET", "/" + sha) == 1, "wrong bytes are not asked for again: \(liar.requestLog())")
        await fooled.shutdown()
    }
}
