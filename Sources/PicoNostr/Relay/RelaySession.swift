import Foundation

/// A relay that stays reachable across dropped connections: each operation runs on the
/// current connection, and when that fails in a way worth retrying, on a new one, a few
/// times with growing pauses. Operations must be safe to repeat (publishing an event twice is:
/// the relay answers `duplicate:`).
public actor RelaySession {
    public nonisolated let url: String
    public nonisolated let information: RelayInformation?
    private var connection: Task<RelayConnection, any Error>?
    private let attempts: Int
    /// Connections made after the first, for reports.
    public private(set) var reconnects = 0
    /// After this, no operation starts or is retried: a relay gets a bounded share of time.
    private var deadline: ContinuousClock.Instant?

    public init(url: String, information: RelayInformation?, attempts: Int = 4, connection: RelayConnection? = nil) {
        self.url = url
        self.information = information
        self.attempts = attempts
        self.connection = connection.map { open in Task { open } }
    }

    /// Connects, then reads the relay's NIP-11 document. In that order: a relay that is down
    /// fails the WebSocket connect at once, while an HTTP client keeps retrying until its deadline.
    public static func open(_ url: String) async throws -> RelaySession {
        let connection = try await RelayConnection.open(url)
        let session = RelaySession(url: url, information: await RelayInformation.fetch(forRelay: url), connection: connection)
        return session
    }


    /// The open connection; callers that arrive while it is being made share it.
    private func current() async throws -> RelayConnection {
        if let connection { return try await connection.value }
        let url = url
        let opening = Task { try await RelayConnection.open(url) }
        connection = opening
        return try await opening.value
    }

    /// Forgets a connection that failed, unless another caller already replaced it.
    private func discard(_ failed: RelayConnection?) async {
        guard let connection else { return }
        let current = try? await connection.value
        if current == nil || current === failed {
            self.connection = nil
            await current?.close()
            reconnects += 1
        }
    }

    /// Limits the time left for this relay: operations after `deadline` fail at once.
    public func limitTime(to deadline: ContinuousClock.Instant) { self.deadline = deadline }

    public func run<T: Sendable>(_ operation: @Sendable (RelayConnection) async throws -> T) async throws -> T {
        var pause = Duration.milliseconds(200)
        for attempt in 1... {
            if let deadline, ContinuousClock.now >= deadline {
                throw RelayError("\(url) used up the time pico allows one relay")
            }
            var used: RelayConnection?
            do {
                let connection = try await current()
                used = connection
                return try await operation(connection)
            } catch let error as RelayError where error.isTransient && attempt < attempts {
                await discard(used)
                try await Task.sleep(for: pause)
                pause *= 3
            }
        }
        fatalError("unreachable")
    }

    public func close() async {
        if let connection, let open = try? await connection.value { await open.close() }
        connection = nil
    }
}
