import Foundation
import Logging
import PicoCore
import WSClient

/// How much one query may bring back before pico stops listening to it.
public struct QueryBudget: Sendable, Equatable {
    public var maxEvents: Int
    public var maxBytes: Int
    public init(maxEvents: Int, maxBytes: Int) { (self.maxEvents, self.maxBytes) = (maxEvents, maxBytes) }

    /// The filters' own limits (500 where one has none), and 16 MiB.
    public init(for filters: [NostrFilter]) {
        self.init(maxEvents: filters.reduce(0) { $0 + ($1.limit ?? 500) }, maxBytes: 16 << 20)
    }
}

/// A query's events, and why the relay was cut off before EOSE if it was.
public struct QueryAnswer: Sendable {
    public var events: [NostrEvent]
    /// The size of the EVENT messages received, in bytes.
    public var bytes: Int
    /// Set when the relay overstepped the budget (more events or bytes than allowed).
    public var cutShort: String?
}

public struct RelayError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Worth trying again on a new connection (the connection dropped or timed out).
    public let isTransient: Bool
    /// The error underneath (the WebSocket's or the network's), when there is one.
    public let cause: (any Error)?
    public init(_ description: String, transient: Bool = false, cause: (any Error)? = nil) {
        self.description = description
        isTransient = transient
        self.cause = cause
    }
}

/// One WebSocket connection to one relay, speaking NIP-01: EVENT → OK, REQ → EVENT… EOSE
/// (or CLOSED), NOTICE. Many publishes and queries may be in flight at once; each waits for
/// its own answer with its own deadline. When the connection drops, everything waiting fails
/// with a transient error, and the caller reconnects (see `RelaySession`).
public actor RelayConnection {
    public nonisolated let url: String
    private let maxMessageSize: Int
    private let outbound: AsyncStream<String>.Continuation
    private let outboundStream: AsyncStream<String>
    private var connectionTask: Task<Void, Never>?
    private var sweeper: Task<Void, Never>?
    private var isOpen = false
    private var failure: RelayError?
    private var openWaiters: [CheckedContinuation<Void, any Error>] = []
    private var acknowledgements: [String: Waiter<(accepted: Bool, message: String)>] = [:]
    private var queries: [String: Query] = [:]
    private var nextSubscription = 0
    /// NOTICE messages, newest last (relays use them for errors that have no OK).
    public private(set) var notices: [String] = []

    private struct Waiter<Value> {
        let continuation: CheckedContinuation<Value, any Error>
        let deadline: ContinuousClock.Instant
    }

    private struct Query {
        let waiter: Waiter<QueryAnswer>
        let budget: QueryBudget
        var events: [NostrEvent] = []
        var bytes = 0
    }

    private init(url: String, maxMessageSize: Int) {
        self.url = url
        self.maxMessageSize = maxMessageSize
        (outboundStream, outbound) = AsyncStream.makeStream(of: String.self)
    }

    /// Connects, and returns once the WebSocket handshake is done.
    public static func open(_ url: String, maxMessageSize: Int = 32 << 20, timeout: Duration = .seconds(10)) async throws -> RelayConnection {
        let connection = RelayConnection(url: url, maxMessageSize: maxMessageSize)
        await connection.start()
        try await connection.waitUntilOpen(timeout: timeout)
        return connection
    }

    private func start() {
        let (url, stream, limit) = (url, outboundStream, maxMessageSize)
        var logger = Logger(label: "pico.relay")
        logger.logLevel = .critical
        let configuration = WebSocketClientConfiguration(maxFrameSize: limit, closeTimeout: .seconds(2))
        connectionTask = Task {
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                    await self.opened()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in stream { try await outbound.write(.text(text)) }
                        }
                        for try await message in inbound.messages(maxSize: limit) {
                            if case .text(let text) = message { await self.received(text) }
                        }
                        group.cancelAll()
                    }
                }
                self.ended(RelayError("\(url) closed the connection", transient: true))
            } catch {
                // Before the relay answered, it is the connecting that failed.
                let stage = self.isOpen ? url : "connecting to \(url)"
                self.ended(RelayError("\(stage): \(Self.describe(error))", transient: true, cause: error))
            }
        }
        sweeper = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                self.expireOverdue()
            }
        }
    }

    nonisolated static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused (is the relay running?)" }
        return text
    }

    private func waitUntilOpen(timeout: Duration) async throws {
        if isOpen { return }
        if let failure { throw failure }
        let deadline = ContinuousClock.now + timeout
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            openWaiters.append(continuation)
            Task {
                try? await Task.sleep(until: deadline)
                self.openTimedOut()
            }
        }
    }

    private func openTimedOut() {
        guard !isOpen, failure == nil else { return }
        ended(RelayError("\(url) did not answer within the time allowed", transient: true))
    }

    private func opened() {
        isOpen = true
        for waiter in openWaiters { waiter.resume() }
        openWaiters = []
    }

    private func ended(_ error: RelayError) {
        isOpen = false
        if failure == nil { failure = error }
        let reason = failure!
        for waiter in openWaiters { waiter.resume(throwing: reason) }
        openWaiters = []
        for (_, waiter) in acknowledgements { waiter.continuation.resume(throwing: reason) }
        acknowledgements = [:]
        for (_, query) in queries { query.waiter.continuation.resume(throwing: reason) }
        queries = [:]
        sweeper?.cancel()
        outbound.finish()
    }

    private func expireOverdue() {
        let now = ContinuousClock.now
        let lastNotice = notices.last.map { " (its last NOTICE: \($0))" } ?? ""
        for (id, waiter) in acknowledgements where waiter.deadline < now {
            acknowledgements[id] = nil
            waiter.continuation.resume(throwing: RelayError("\(url) did not acknowledge event \(id.prefix(12))… in time\(lastNotice)", transient: true))
        }
        for (id, query) in queries where query.waiter.deadline < now {
            queries[id] = nil
            outbound.yield(JSONValue.array([.string("CLOSE"), .string(id)]).canonicalString)
            // Not worth another try: a relay that is connected but silent for this long stays so.
            query.waiter.continuation.resume(throwing: RelayError("\(url) did not finish a query in time\(lastNotice)"))
        }
    }

    private func received(_ text: String) {
        switch RelayMessage.parse(text) {
        case .ok(let id, let accepted, let message):
            // "duplicate:" means the relay has the event: done, whatever the flag says (NIP-01
            // asks for true; nostr-relay answers false), as happens when a publish resumes.
            let stored = accepted || message.hasPrefix("duplicate:")
            if let waiter = acknowledgements.removeValue(forKey: id) {
                waiter.continuation.resume(returning: (stored, message))
            } else if !accepted {
                // Some relays (nostr-relay among them) leave the id out of a refusal, so it
                // cannot be matched to its event: every event still waiting shares the refusal.
                for (_, waiter) in acknowledgements { waiter.continuation.resume(returning: (false, message)) }
                acknowledgements = [:]
            }
        case .event(let subscription, let event):
            guard var query = queries[subscription] else { return }
            // A relay that sends more than was asked for is cut off there, not believed: it
            // cannot make pico hold more than the budget, or wait for an EOSE that never comes.
            let size = text.utf8.count
            if query.events.count >= query.budget.maxEvents {
                finish(subscription, query, cutShort: "sent more than the \(query.budget.maxEvents) events asked for")
            } else if query.bytes + size > query.budget.maxBytes {
                finish(subscription, query, cutShort: "sent more than \(query.budget.maxBytes >> 20) MiB for one query")
            } else {
                query.events.append(event)
                query.bytes += size
                queries[subscription] = query
            }
        case .endOfStoredEvents(let subscription):
            guard let query = queries[subscription] else { return }
            finish(subscription, query, cutShort: nil)
        case .closed(let subscription, let message):
            queries.removeValue(forKey: subscription)?.waiter.continuation
                .resume(throwing: RelayError("\(url) refused the query: \(message)"))
        case .notice(let message):
            notices.append(String(message.prefix(300)))
            if notices.count > 20 { notices.removeFirst() }
        case .other:
            break
        }
    }

    /// Sends an event and waits for the relay's OK. A relay that already has it says OK
    /// (`duplicate:`), which counts as accepted.
    public func publish(_ event: NostrEvent, timeout: Duration = .seconds(30)) async throws -> (accepted: Bool, message: String) {
        if let failure { throw failure }
        let text = JSONValue.array([.string("EVENT"), event.json]).canonicalString
        return try await withCheckedThrowingContinuation { continuation in
            acknowledgements[event.id] = Waiter(continuation: continuation, deadline: .now + timeout)
            outbound.yield(text)
        }
    }

    private func finish(_ subscription: String, _ query: Query, cutShort: String?) {
        queries[subscription] = nil
        outbound.yield(JSONValue.array([.string("CLOSE"), .string(subscription)]).canonicalString)
        query.waiter.continuation.resume(returning: QueryAnswer(events: query.events, bytes: query.bytes, cutShort: cutShort))
    }

    /// Sends REQ and collects the stored events until EOSE, then closes the subscription.
    public func query(_ filters: [NostrFilter], timeout: Duration = .seconds(30)) async throws -> [NostrEvent] {
        try await query(filters, timeout: timeout, budget: QueryBudget(for: filters)).events
    }

    /// Sends REQ and collects the stored events until EOSE, or until the relay oversteps
    /// `budget` (then the answer says so, and holds what came within it).
    public func query(_ filters: [NostrFilter], timeout: Duration = .seconds(30), budget: QueryBudget) async throws -> QueryAnswer {
        if let failure { throw failure }
        nextSubscription += 1
        let subscription = "pico-\(nextSubscription)"
        let text = JSONValue.array([.string("REQ"), .string(subscription)] + filters.map(\.json)).canonicalString
        return try await withCheckedThrowingContinuation { continuation in
            queries[subscription] = Query(waiter: Waiter(continuation: continuation, deadline: .now + timeout), budget: budget)
            outbound.yield(text)
        }
    }

    public func close() {
        if failure == nil { ended(RelayError("\(url): connection closed by pico")) }
        connectionTask?.cancel()
    }
}
