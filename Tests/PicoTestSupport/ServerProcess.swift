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
        // An HTTP server's own address comes first; a relay says ws://.
        guard let range = seen.range(of: #"http://[^\s]+"#, options: .regularExpression)
                ?? seen.range(of: #"ws://[^\s]+"#, options: .regularExpression) else {
            process.terminate()
            throw ServerError(message: "the server did not say where it listens: \(seen)")
        }
        url = String(seen[range])
    }

    /// Stops the server and returns what it wrote on stderr.
    ///
    /// Reaps the child itself rather than through `Process.waitUntilExit`, which was seen to
    /// miss a child's exit while many tests ran; and reads stderr without waiting for its end,
    /// since a process another test started meanwhile can hold a copy of the pipe.
    public func stop() -> String {
        guard !stopped else { return "" }
        stopped = true
        let pid = process.processIdentifier
        // A child can inherit a blocked SIGTERM from the test thread that started it; it gets
        // five seconds to stop, then SIGKILL.
        kill(pid, SIGTERM)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(5)
        var reaped = false
        while !reaped, Date() < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            reaped = result == pid || (result == -1 && errno == ECHILD)
            if !reaped { usleep(20_000) }
        }
        if !reaped {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
        }
        let descriptor = errors.fileHandleForReading.fileDescriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        var collected = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got <= 0 { break }
            collected.append(contentsOf: buffer[..<got])
        }
        return String(decoding: collected, as: UTF8.self)
    }

    private var stopped = false

    deinit { _ = stop() }

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
