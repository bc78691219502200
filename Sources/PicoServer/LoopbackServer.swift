import Hummingbird
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP server `pico serve` and its gateway share: 127.0.0.1 only, one responder for GET
/// and HEAD of every path, an idle timeout that also bounds a slow header, a closer for clients
/// that stop reading, and the descriptor limit raised.
enum LoopbackServer {
    static func run(label: String, port: Int, idleTimeout: Duration,
                    respond: @escaping @Sendable (Request) async throws -> Response,
                    started: @escaping @Sendable (_ port: Int) -> Void) async throws {
        let router = Router()
        // "**" matches one or more segments, so the root needs its own route.
        for path: RouterPath in ["/", "**"] {
            router.get(path) { request, _ in try await respond(request) }
            router.head(path) { request, _ in try await respond(request) }
        }
        var logger = Logger(label: label)
        logger.logLevel = .error
        raiseDescriptorLimit()
        // Hummingbird counts only whole request parts as activity, so the idle timeout also
        // bounds how long a request's header may take to arrive (slowloris).
        let timeout = TimeAmount.nanoseconds(Int64(idleTimeout.components.seconds) * 1_000_000_000
                                             + idleTimeout.components.attoseconds / 1_000_000_000)
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [StalledReaderCloser(after: timeout)], idleTimeout: timeout)),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "pico"),
            onServerRunning: { channel in started(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.runService()
    }

    /// Every connection holds a descriptor, and the usual soft limit (1,024) is far below the
    /// hard one: raised so that a crowd of idle connections cannot use them all up before the
    /// idle timeout closes them.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
