import Foundation
import PicoCore
import PicoParallel

/// Where the bytes of a nostr-published bundle's files live, by SHA-256. The site manifest
/// event names files by hash; a store holds the contents. Relays hold them as chunk events
/// (`RelayChunkStore`); Blossom servers would be a second store beside it.
public protocol ContentStore: Sendable {
    var description: String { get }
    /// Which of these contents the store already holds whole and intact.
    func held(_ contents: [StoredContent]) async throws -> Set<String>
    /// Stores one content, whose bytes were checked against its hash. Returns events or requests sent.
    func put(_ data: Data, sha256: String) async throws -> Int
    /// Reads contents; each is checked against its hash, and fails alone.
    func get(_ contents: [StoredContent]) async throws -> [String: Result<Data, FileChunks.Problem>]
}

/// One content to look up: its hash and its size (when known), which bounds the reply.
public struct StoredContent: Sendable, Hashable {
    public var sha256: String
    public var size: Int?
    public init(sha256: String, size: Int?) { (self.sha256, self.size) = (sha256, size) }
}

/// File contents as chunk events on one relay (kind 1128, see `FileChunks`).
public struct RelayChunkStore: ContentStore {
    public let session: RelaySession
    public let author: String
    /// Bytes per chunk event, from the relay's limits.
    public var chunkSize: Int
    /// Most events the relay returns for one REQ.
    public var queryLimit: Int
    public let key: AuthorKey?
    public var description: String { session.url }

    public init(session: RelaySession, author: String, key: AuthorKey?, information: RelayInformation?) {
        self.session = session
        self.author = author
        self.key = key
        chunkSize = Self.chunkSize(for: information)
        queryLimit = min(information?.maxLimit ?? 500, 5000)
    }

    /// The largest chunk whose event fits the relay's limits. NIP-11's max_content_length
    /// bounds the base64 content; max_message_length the whole `["EVENT",{…}]` frame, of which
    /// id, pubkey, sig, created_at, kind and pico's three tags take under 700 characters.
    public static func chunkSize(for information: RelayInformation?) -> Int {
        let envelope = 700
        var content = information?.maxContentLength ?? 32 * 1024
        if let message = information?.maxMessageLength { content = min(content, message - envelope) }
        content = min(content, 1 << 20)
        return max(48, content / 4 * 3)
    }

    public func held(_ contents: [StoredContent]) async throws -> Set<String> {
        let found = try await get(contents)
        return Set(found.compactMap { (try? $0.value.get()) != nil ? $0.key : nil })
    }

    public func put(_ data: Data, sha256: String) async throws -> Int {
        guard let key else { throw RelayError("publishing needs the author's key") }
        let events = FileChunks.events(for: data, sha256: sha256, chunkSize: chunkSize,
                                       createdAt: Int(Date().timeIntervalSince1970), key: key)
        try await Parallel.forEach(events, limit: 32) { event in
            let answer = try await session.run { try await $0.publish(event) }
            guard answer.accepted else { throw ChunkRefused(relay: session.url, message: answer.message, size: event.content.utf8.count) }
        }
        return events.count
    }

    /// A relay said no to a chunk event; `tooLarge` when its message says the event is too big.
    public struct ChunkRefused: Error, CustomStringConvertible {
        public let relay: String, message: String, size: Int
        public var tooLarge: Bool {
            let lower = message.lowercased()
            return ["too large", "too big", "too long", "size", "length", "exceed"].contains { lower.contains($0) }
        }
        public var description: String { "\(relay) refused a chunk event (\(size) characters of content): \(message)" }
    }

    /// Reads contents in batches whose answers fit the relay's limit on one REQ. Each batch is
    /// assembled before the next is asked for, so what is held at once is one batch's events.
    /// A relay that sends more than asked, pages without end or more bytes than the contents
    /// can take (twice their chunk events, plus 8 MiB) throws `RelayOverstepped`.
    public func get(_ contents: [StoredContent]) async throws -> [String: Result<Data, FileChunks.Problem>] {
        var batch: [StoredContent] = [], expected = 0
        var batches: [[StoredContent]] = []
        for content in contents {
            let count = expectedEvents(content)
            if !batch.isEmpty && (expected + count > queryLimit / 2 || batch.count >= 200) {
                batches.append(batch)
                (batch, expected) = ([], 0)
            }
            batch.append(content)
            expected += count
        }
        if !batch.isEmpty { batches.append(batch) }
        var results: [String: Result<Data, FileChunks.Problem>] = [:]
        for batch in batches {
            let wanted = Set(batch.map(\.sha256))
            let (found, full) = try await query(hashes: batch.map(\.sha256), budget: budget(for: batch))
            var events: [String: [NostrEvent]] = [:]
            for event in found { if let x = event.tag("x")?.first, wanted.contains(x) { events[x, default: []].append(event) } }
            for content in batch {
                let found = events[content.sha256] ?? []
                var result = FileChunks.assemble(found, sha256: content.sha256, author: author)
                // A content the relay lacks costs no second question; one cut short, or with some of
                // its chunks there, is asked for alone, page by page.
                if case .failure(let problem) = result, !problem.forged, full || !found.isEmpty {
                    // Pages it can need: its chunks at one page each queryLimit, twice over, and a few more.
                    let pages = 4 + 2 * (expectedEvents(content) / max(1, queryLimit) + 1)
                    let alone = try await query(hashes: [content.sha256], budget: budget(for: [content]), maxPages: pages, paged: true)
                    result = FileChunks.assemble(alone.events, sha256: content.sha256, author: author)
                }
                results[content.sha256] = result
            }
        }
        return results
    }

    /// Chunk events one content takes (eight chunks when its size is unknown).
    private func expectedEvents(_ content: StoredContent) -> Int {
        max(1, ((content.size ?? chunkSize * 8) + chunkSize - 1) / chunkSize)
    }

    /// What the relay may send for these contents: twice their chunk events (another publish's
    /// chunk size may be there too) plus 8 MiB, and at most `queryLimit` events a page.
    private func budget(for contents: [StoredContent]) -> QueryBudget {
        let events = contents.reduce(0) { $0 + expectedEvents($1) }
        let bytes = contents.reduce(0) { $0 + ($1.size ?? chunkSize * 8) } / 3 * 4 + events * 1024
        return QueryBudget(maxEvents: queryLimit, maxBytes: bytes.multipliedReportingOverflow(by: 2).partialValue + (8 << 20))
    }

    /// Chunk events for these contents, and whether the relay's answer filled a page. `paged`
    /// goes back in time with `until` while the relay keeps returning full pages, within the
    /// budget's bytes over all pages and a number of pages the contents can need.
    private func query(hashes: [String], budget: QueryBudget, maxPages: Int = 1, paged: Bool = false) async throws -> (events: [NostrEvent], full: Bool) {
        var filter = NostrFilter(authors: [author], kinds: [SiteEventKind.chunk], tags: ["x": hashes], limit: queryLimit)
        var all: [String: NostrEvent] = [:]
        var bytesLeft = budget.maxBytes
        var pages = 0
        while true {
            let pageBudget = QueryBudget(maxEvents: queryLimit, maxBytes: bytesLeft)
            let page = try await session.run { [filter] in try await $0.query([filter], timeout: .seconds(60), budget: pageBudget) }
            if let cut = page.cutShort { throw RelayOverstepped(relay: session.url, reason: cut) }
            bytesLeft -= page.bytes
            pages += 1
            let before = all.count
            for event in page.events { all[event.id] = event }
            let full = page.events.count >= queryLimit
            guard paged, full, all.count > before, let oldest = page.events.map(\.createdAt).min() else {
                return (Array(all.values), full)
            }
            if pages >= maxPages {
                throw RelayOverstepped(relay: session.url, reason: "kept returning full pages of chunk events (\(pages) pages, more than the file can have)")
            }
            // Events of the oldest second may straddle the page boundary: ask again up to it.
            filter.until = oldest
        }
    }
}

/// A relay that sent more than it was asked for, or would not stop: pico stops reading from it.
public struct RelayOverstepped: Error, CustomStringConvertible, Sendable {
    public let relay: String
    public let reason: String
    public var description: String { "\(relay) \(reason)" }
}
