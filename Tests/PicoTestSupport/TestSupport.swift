import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A folder under /tmp that disappears with the value.
public final class TemporaryFolder: @unchecked Sendable {
    public let url: URL

    public init(_ label: String = "pico-test") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// Writes a small site or bundle given as `path: contents` pairs (Hugo's txtar idea).
    @discardableResult
    public func write(_ files: [String: String], under folder: String = "") -> URL {
        let root = folder.isEmpty ? url : url.appendingPathComponent(folder)
        for (path, text) in files {
            let file = root.appendingPathComponent(path)
            try! FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try! Data(text.utf8).write(to: file)
        }
        return root
    }

    public func read(_ relative: String) -> String {
        (try? String(contentsOf: path(relative), encoding: .utf8)) ?? ""
    }

    /// Writes a file whose name is given as raw bytes (not UTF-8, say), which Foundation
    /// cannot name, into `folder`.
    public static func writeRaw(_ name: [UInt8], in folder: URL, _ text: String) throws {
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: folder.path]) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard Glibc.write(descriptor, bytes, bytes.count) == bytes.count else { throw CocoaError(.fileWriteUnknown) }
    }
}

/// The result of running a program.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum TestEnvironment {
    /// The repository's top folder.
    public static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The public test vectors kept in the repository (`Tests/Vectors`, with their licences).
    public static let vectors = repository.appendingPathComponent("Tests/Vectors")

    /// The benchmark corpus generator (a pico site and the same pages as a Hugo site).
    public static let corpusGenerator = repository.appendingPathComponent("Benchmarks/corpus.py")

    /// The `pico` executable built next to the test bundle.
    public static let pico: URL = {
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("pico"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("pico"),
            repository.appendingPathComponent(".build/debug/pico"),
        ].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    /// Runs a program and waits for it. `executable` is a path or a name looked up on PATH.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], in folder: URL? = nil,
                           environment: [String: String] = [:]) throws -> ProcessOutput {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let folder { process.currentDirectoryURL = folder }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = TestEnvironment.devNull()
        try process.run()
        // Read both pipes while the program runs so that neither fills up and blocks it.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        let output = ProcessOutput(status: process.terminationStatus,
                                   stdout: String(decoding: outData, as: UTF8.self),
                                   stderr: String(decoding: errData.get(), as: UTF8.self))
        // A crash (fatalError, a failed precondition, SIGSEGV) ends in a signal, and its status
        // is the signal's number: a test that only expects "not 0" would pass over it.
        if process.terminationReason == .uncaughtSignal {
            throw DiedBySignal(command: ([executable] + arguments).joined(separator: " "),
                               signal: process.terminationStatus, output: output)
        }
        return output
    }

    /// A program run by `run` that died by a signal instead of exiting; its description holds
    /// what it wrote, where the Swift runtime's backtrace is.
    public struct DiedBySignal: Error, CustomStringConvertible {
        public let command: String
        public let signal: Int32
        public let output: ProcessOutput

        public var description: String {
            "\(command) died by signal \(signal)\nstdout:\n\(output.stdout)\nstderr:\n\(output.stderr)"
        }
    }

    @discardableResult
    public static func pico(_ arguments: String..., in folder: URL? = nil) throws -> ProcessOutput {
        try run(pico.path, arguments, in: folder)
    }

    /// A handle of its own on /dev/null for each child process: Foundation's shared
    /// `FileHandle.nullDevice` can have its descriptor closed by one `Process` while tests on
    /// other threads run more, and then another thread's file is closed under it.
    public static func devNull() -> FileHandle {
        FileHandle(forUpdatingAtPath: "/dev/null")!
    }

    /// The Python of the test venv (`make venv`: moto, boto3, the aws CLI), or PICO_VENV's.
    public static let venvPython: String = {
        let venv = ProcessInfo.processInfo.environment["PICO_VENV"] ?? repository.appendingPathComponent(".build/venv").path
        return venv + "/bin/python"
    }()

    /// Runs a program with `input` on its standard input (through a file, so no pipe can fill).
    public static func run(_ executable: String, _ arguments: [String], input: Data,
                           environment: [String: String] = [:]) throws -> ProcessOutput {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stdin-\(UUID().uuidString)")
        try input.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        return try run("/bin/sh", ["-c", quoted.joined(separator: " ") + " < '\(file.path)'"], environment: environment)
    }

    public static func hasProgram(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }
}

/// A pipe's bytes, handed from its reading thread to the waiting one.
private final class LockedData: Sendable {
    private let data = Mutex<Data?>(nil)
    func set(_ value: Data) { data.withLock { $0 = value } }
    func get() -> Data { data.withLock { $0 ?? Data() } }
    var isSet: Bool { data.withLock { $0 != nil } }
}
