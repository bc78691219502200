import Foundation

/// The local S3 server of `Silos/s3/start-server.sh` (moto, SigV4 enforced), started for one
/// test and stopped with it. `environment` holds the AWS_* variables that reach it.
public final class S3TestServer: @unchecked Sendable {
    public let server: ServerProcess
    public let state: TemporaryFolder
    public let environment: [String: String]
    public var url: String { server.url }

    /// - Parameter serverEnvironment: for the server, e.g. `PICO_S3_NO_CHECKSUMS=1`.
    public init(serverEnvironment: [String: String] = [:]) throws {
        state = TemporaryFolder("pico-s3")
        server = try ServerProcess(URL(fileURLWithPath: "/bin/bash"), [
            TestEnvironment.repository.appendingPathComponent("Silos/s3/start-server.sh").path, "0", state.url.path,
        ], environment: serverEnvironment, timeout: 60)
        environment = try Self.readEnvironment(state.url.appendingPathComponent("credentials.env"))
        sessionEnvironment = try Self.readEnvironment(state.url.appendingPathComponent("session.env"))
    }

    /// A role session's temporary key, with AWS_SESSION_TOKEN (session.env).
    public let sessionEnvironment: [String: String]

    /// `export NAME=value` lines.
    static func readEnvironment(_ file: URL) throws -> [String: String] {
        var environment: [String: String] = [:]
        let text = try String(contentsOf: file, encoding: .utf8)
        for line in text.split(whereSeparator: \.isNewline) {
            for word in line.split(separator: " ") where word.contains("=") {
                let pair = word.split(separator: "=", maxSplits: 1)
                environment[String(pair[0])] = String(pair[1]).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
            }
        }
        return environment
    }

    deinit { _ = server.stop() }

    /// Makes a bucket with the aws CLI of the test venv.
    public func makeBucket(_ name: String) throws {
        let made = try aws(["s3", "mb", "s3://\(name)"])
        guard made.status == 0 else { throw ServerProcess.ServerError(message: "aws s3 mb \(name): \(made.stderr)") }
    }

    /// The aws CLI of the test venv, pointed at this server.
    @discardableResult
    public func aws(_ arguments: [String]) throws -> ProcessOutput {
        let venvBin = URL(fileURLWithPath: TestEnvironment.venvPython).deletingLastPathComponent().path
        return try TestEnvironment.run(venvBin + "/aws", arguments, environment: environment)
    }

    /// `pico` with this server's credentials (plus `extra`).
    public func pico(_ arguments: [String], extra: [String: String] = [:]) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.pico.path, arguments, environment: environment.merging(extra) { $1 })
    }

    /// The requests the server has answered so far, one line each (method and path).
    public func requestLog() -> [String] {
        let text = (try? String(contentsOf: state.url.appendingPathComponent("requests.log"), encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isNewline).map(String.init)
    }
}
