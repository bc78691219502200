import Foundation
import Testing

/// A server program started for a test: waits for the line that announces its URL, and is
/// stopped when the value goes away. A server that crashes (on SIGTERM too) fails the test.
public final class ServerProcess: @unchecked Sendable {
    public let process = Process()
    public let url: String
    private let errors = Pipe()

    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 20) throws {
        let output = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        // A Swift server's crash report goes to stderr, which `stop` reads, rather than to the
        // stdout pipe nobody reads after the first line (the report would block on it).
        var inherited = ProcessInfo.processInfo.environment
        if inherited["SWIFT_BACKTRACE"] == nil { inherited["SWIFT_BACKTRACE"] = "interactive=no,output-to=stderr" }
        process.environment = inherited.merging(environment) { $1 }
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
        let descriptor = errors.fileHandleForReading.fileDescriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        var collected = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        func readAvailable() {
            while true {
                let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if got <= 0 { break }
                collected.append(contentsOf: buffer[..<got])
            }
        }
        // A child can inherit a blocked SIGTERM from the test thread that started it; it gets
        // five seconds to stop, then SIGKILL. One writing a crash report gets a minute to finish
        // it (symbolicating a debug binary takes seconds): killed, it would leave its
        // swift-backtrace running, orphaned.
        kill(pid, SIGTERM)
        var status: Int32 = 0
        let started = Date()
        var reaped = false
        while !reaped, Date().timeIntervalSince(started) < (Self.reportsCrash(collected) ? 60 : 5) {
            readAvailable()
            let result = waitpid(pid, &status, WNOHANG)
            reaped = result == pid || (result == -1 && errno == ECHILD)
            if !reaped { usleep(20_000) }
        }
        if !reaped {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
        }
        readAvailable()
        let stderr = String(decoding: collected, as: UTF8.self)
        let signal = status & 0x7f
        if Self.reportsCrash(collected) || (reaped && Self.crashSignals.contains(signal)) {
            Issue.record("\(process.executableURL?.lastPathComponent ?? "the server") \(process.arguments ?? []) crashed (wait status \(status))\n\(stderr)")
        }
        return stderr
    }

    /// The signals a crash ends in (a fatalError or failed precondition is SIGILL or SIGTRAP).
    static let crashSignals = [SIGSEGV, SIGILL, SIGABRT, SIGTRAP, SIGBUS, SIGFPE]

    /// Whether stderr holds the Swift runtime's first lines of a crash, written before the report.
    static func reportsCrash(_ stderr: Data) -> Bool {
        ["Fatal error:", ": Backtracing from", "*** Program crashed"].contains { stderr.range(of: Data($0.utf8)) != nil }
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
