import Foundation

/// A server program started for a test: waits for the line that announces its URL, and is
/// stopped when the value goes away.
public final class ServerProcess: @unchecked Sendable {
    public let process = Process()
    public let url: String
    private let errors = Pipe()

    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 20) throws {
        let output = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = TestEnvironment.devNull()
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, process.isRunning, !seen.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { usleep(20_000) }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = seen.range(of: #"http://[^\s]+"#, options: .regularExpression) else {
            process.terminate()
            throw ServerError(message: "the server did not say where it listens: \(seen)")
        }
        url = String(seen[range])
    }

    /// Stops the server and returns what it wrote on stderr.
    public func stop() -> String {
        if process.isRunning { process.terminate() }
        // A child can inherit a blocked SIGTERM from the test thread that started it; it gets
        // five seconds to stop, then SIGKILL.
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    deinit { if process.isRunning { _ = stop() } }

    public struct ServerError: Error { public let message: String }
}

extension TestEnvironment {
    /// GETs a URL with curl: status, content type, cache control, body.
    public static func get(_ url: String) throws -> (status: Int, type: String, cache: String, body: Data) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try run("curl", ["-s", "-o", folder.path, "-D", "-", "-w", "", url])
        let headers = result.stdout.split(whereSeparator: \.isNewline).map(String.init)
        let status = headers.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        func header(_ name: String) -> String {
            headers.first { $0.lowercased().hasPrefix(name + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) } ?? ""
        }
        return (status, header("content-type"), header("cache-control"), (try? Data(contentsOf: folder)) ?? Data())
    }
}
