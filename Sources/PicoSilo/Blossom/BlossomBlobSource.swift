import Foundation
import PicoBlossom
import PicoCore
import PicoNostr
import PicoParallel
import Synchronization

/// One `server` tag of a site event, read as a Blossom server: `GET /<sha256>` for each content,
/// at most its size read (`unknownSizeLimit` when the size is not known, as for the two
/// describing files), the bytes kept only when their SHA-256 is the one asked for.
struct BlossomBlobSource: ContentSource {
    /// The tag's value, as the site event gives it.
    let tag: String
    var connections = 8
    /// What is read of a content whose size is not known: pico-manifest.json, SHA256SUMS, or one
    /// file `pico serve` asks for.
    static let unknownSizeLimit = 64 << 20
    var description: String { tag }

    /// The sources for a site event's `server` tags, in their order (each once).
    static func sources(for servers: [String]) -> [any ContentSource] {
        var seen: Set<String> = []
        return servers.filter { seen.insert($0).inserted }.map { BlossomBlobSource(tag: $0) }
    }

    func get(_ contents: [StoredContent]) async -> [String: Result<Data, FileChunks.Problem>] {
        let server: BlossomServer
        do { server = try BlossomServer(parsing: BlossomServer.scheme + tag) } catch {
            let problem = FileChunks.Problem(description: "the server tag \(tag) is not a Blossom server pico reads: \(error)", forged: false)
            return Dictionary(uniqueKeysWithValues: contents.map { ($0.sha256, .failure(problem)) })
        }
        let client = BlossomClient(server: server, key: nil, connections: connections)
        let results = Mutex<[String: Result<Data, FileChunks.Problem>]>([:])
        // Never throws: each content's failure is its own result.
        try? await Parallel.forEach(contents, limit: connections) { content in
            let result: Result<Data, FileChunks.Problem>
            do {
                if let data = try await client.download(content.sha256, limit: content.size ?? Self.unknownSizeLimit) {
                    result = .success(data)
                } else {
                    result = .failure(FileChunks.Problem(description: "\(server.url) does not have blob \(content.sha256) (HTTP 404)", forged: false))
                }
            } catch let error as BlossomError {
                result = .failure(FileChunks.Problem(description: error.description, forged: error.kind == .integrity))
            } catch {
                result = .failure(FileChunks.Problem(description: "\(server.url): \(error)", forged: false))
            }
            results.withLock { $0[content.sha256] = result }
        }
        await client.shutdown()
        return results.withLock { $0 }
    }
}
