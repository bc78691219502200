import Foundation
import PicoBlossom
import PicoCore
import PicoNostr
import PicoParallel
import Synchronization

/// A bundle's files as Blossom blobs, on every server given: what `pico publish --to
/// blossom+https://…` does before the site event goes to the relays. Each server is asked which
/// blobs it holds (`HEAD /<sha256>`); a blob no server holds is uploaded once (`PUT /upload`) and
/// then copied server to server (`PUT /mirror`, BUD-04) instead of being uploaded again; a server
/// that refuses a mirror gets the upload, then every later blob uploaded too, and the report says
/// so. Every blob is on every server when `publish` returns, or it
/// throws and the relays are sent nothing (the previous site event stays in force).
struct BlossomBlobs {
    let servers: [BlossomServer]
    let key: AuthorKey
    /// Requests in flight at once, per server.
    var connections = 8

    /// What one server did.
    struct ServerReport: Sendable {
        var server: String
        var uploaded = 0, mirrored = 0, held = 0
        var uploadedBytes = 0
        var requests: [String: Int] = [:]
        var retries = 0
        /// The first `PUT /mirror` this server refused, when it refused one.
        var mirrorRefusal: BlossomError?
        /// Blobs uploaded to this server because it refused to mirror them.
        var uploadedInsteadOfMirror = 0

        /// What to tell the publisher when the server would not mirror: it cost uploads.
        var mirrorFallbackWarning: String? {
            guard let refusal = mirrorRefusal else { return nil }
            let said = refusal.status.map { " (HTTP \($0)\(refusal.reason.map { ": \($0)" } ?? ""))" } ?? ""
            let count = uploadedInsteadOfMirror == 1 ? "1 file" : "\(uploadedInsteadOfMirror) files"
            return "\(server) refused PUT /mirror\(said), the copy from another server (BUD-04); "
                + "pico uploaded \(count) to it instead"
        }
    }

    func publish(_ contents: PublishedContents, progress: TransferCounter) async throws -> [ServerReport] {
        let clients = servers.map { BlossomClient(server: $0, key: key, connections: connections) }
        do {
            let reports = try await publish(contents, clients: clients, progress: progress)
            for client in clients { await client.shutdown() }
            return reports
        } catch {
            for client in clients { await client.shutdown() }
            throw error
        }
    }

    private func publish(_ contents: PublishedContents, clients: [BlossomClient], progress: TransferCounter) async throws -> [ServerReport] {
        let tally = BlobTally(servers: servers.map(\.url))
        // Which server holds what: every server is asked about every blob, all at once.
        let held = HeldBlobs()
        let questions = clients.indices.flatMap { server in contents.all.map { (server, $0) } }
        try await Parallel.forEach(questions, limit: connections * clients.count) { server, content in
            if try await clients[server].holds(content.sha256, size: content.size, file: contents.name(of: content.sha256)) {
                held.add(content.sha256, on: server)
            }
        }
        let missing = contents.all.filter { held.servers(holding: $0.sha256).count < clients.count }
        let missingHashes = Set(missing.map(\.sha256))
        for content in contents.all where !missingHashes.contains(content.sha256) {
            for server in clients.indices { tally.held(on: server) }
        }
        progress.addWork(files: missing.count, bytes: missing.reduce(0) { $0 + ($1.size ?? 0) })

        try await Parallel.forEach(missing, limit: connections) { content in
            let holders = held.servers(holding: content.sha256)
            let file = contents.name(of: content.sha256)
            let type = contents.type(of: content.sha256)
            for server in holders { tally.held(on: server) }
            var source: (server: Int, url: String)? = holders.first.map { ($0, clients[$0].server.blobURL(content.sha256)) }
            var data: Data?
            for server in clients.indices where !holders.contains(server) {
                var mirrorRefused = false
                if let from = source, !tally.refusesMirrors(server) {
                    do throws(BlossomError) {
                        _ = try await clients[server].mirror(content.sha256, from: from.url, size: content.size, type: type, file: file)
                        tally.mirrored(on: server)
                        continue
                    } catch where error.kind == .network {
                        throw error
                    } catch {
                        // No mirror endpoint, a policy against mirrors, or it could not fetch
                        // from the source: upload instead, and to this server from now on.
                        tally.refusedMirror(on: server, error)
                        mirrorRefused = true
                    }
                } else if source != nil {
                    mirrorRefused = true
                }
                if data == nil { data = try contents.data(for: content.sha256) }
                let stored = try await clients[server].upload(data!, sha256: content.sha256, type: type, file: file)
                tally.uploaded(on: server, bytes: data!.count, insteadOfMirror: mirrorRefused)
                if source == nil {
                    let url = stored.url.flatMap { $0.contains(content.sha256) && ($0.hasPrefix("https://") || $0.hasPrefix("http://")) ? $0 : nil }
                    source = (server, url ?? clients[server].server.blobURL(content.sha256))
                }
            }
            progress.add(bytes: content.size ?? data?.count ?? 0)
        }
        return clients.indices.map { server in
            var report = tally.report(for: server)
            let counts = clients[server].counts.snapshot
            (report.requests, report.retries) = (counts.byMethod, counts.retries)
            return report
        }
    }
}

/// Blobs each server was found to hold, filled from concurrent HEAD requests.
private final class HeldBlobs: Sendable {
    private let held = Mutex<[String: Set<Int>]>([:])
    func add(_ sha256: String, on server: Int) { _ = held.withLock { $0[sha256, default: []].insert(server) } }
    /// In server order, so the first server given is the preferred source of mirrors.
    func servers(holding sha256: String) -> [Int] { held.withLock { ($0[sha256] ?? []).sorted() } }
}

/// Per-server counts, from concurrent uploads.
private final class BlobTally: Sendable {
    private let reports: Mutex<[BlossomBlobs.ServerReport]>
    init(servers: [String]) { reports = Mutex(servers.map { BlossomBlobs.ServerReport(server: $0) }) }
    func held(on server: Int) { reports.withLock { $0[server].held += 1 } }
    func mirrored(on server: Int) { reports.withLock { $0[server].mirrored += 1 } }
    func uploaded(on server: Int, bytes: Int, insteadOfMirror: Bool) {
        reports.withLock {
            $0[server].uploaded += 1
            $0[server].uploadedBytes += bytes
            if insteadOfMirror { $0[server].uploadedInsteadOfMirror += 1 }
        }
    }
    /// Keeps the first refusal: the one the publisher is told about.
    func refusedMirror(on server: Int, _ error: BlossomError) {
        reports.withLock { if $0[server].mirrorRefusal == nil { $0[server].mirrorRefusal = error } }
    }
    func refusesMirrors(_ server: Int) -> Bool { reports.withLock { $0[server].mirrorRefusal != nil } }
    func report(for server: Int) -> BlossomBlobs.ServerReport { reports.withLock { $0[server] } }
}
