import Foundation

/// The local nostr relay of `Silos/nostr/start-relay.sh` (PyPI nostr-relay, which checks every
/// event's id and signature), started for one test and stopped with it.
public final class NostrTestRelay: @unchecked Sendable {
    public let server: ServerProcess
    public let state: TemporaryFolder
    public var url: String { server.url }
    /// The relay's SQLite database, for tests that alter what it stores.
    public var database: String { state.url.appendingPathComponent("nostr.sqlite3").path }

    /// - Parameter maxContent: the longest event content the relay takes (its default is 4,096).
    public init(maxContent: Int = 4096, environment: [String: String] = [:]) throws {
        state = TemporaryFolder("pico-nostr")
        server = try ServerProcess(URL(fileURLWithPath: "/bin/bash"), [
            TestEnvironment.repository.appendingPathComponent("Silos/nostr/start-relay.sh").path, "0", state.url.path, String(maxContent),
        ], environment: environment, timeout: 60)
    }

    deinit { _ = server.stop() }

    /// `Tests/tools/nostr_check.py`: an independent check (coincurve) of every stored event.
    public func check(author: String, bundle: URL, site: String? = nil) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.venvPython, [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/nostr_check.py").path, url, author, bundle.path,
        ] + (site.map { ["--d", $0] } ?? []))
    }

    /// How many events of `kind` the author has on the relay.
    public func count(author: String, kind: Int) throws -> Int {
        let output = try TestEnvironment.run(TestEnvironment.venvPython, [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/nostr_check.py").path, url, author, "--count", String(kind),
        ])
        return Int(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").last.map(String.init) ?? "") ?? -1
    }

    /// Alters one stored chunk event of the file with this SHA-256; returns the event id.
    public func tamper(fileSHA256: String) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.venvPython, [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/nostr_tamper.py").path, database, fileSHA256,
        ])
    }
}
