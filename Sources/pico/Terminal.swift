import Foundation
import PicoCore
import PicoSilo
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How the CLI talks to a person: progress on a terminal only, errors on stderr.
enum Terminal {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" }

    /// Everything pico prints goes through `error` or `output`: both escape control and bidi
    /// characters, because names, paths and manifest fields printed come from untrusted bundles.
    static func error(_ text: String) {
        let safe = TextFormats.escapingControls(text, keepingNewlines: true)
        FileHandle.standardError.write(Data((safe.hasSuffix("\n") ? safe : safe + "\n").utf8))
    }

    /// A line of normal output on stdout (what `print` would write), escaped as `error` is.
    /// (`--json` output is printed as it is: JSON escapes control characters itself.)
    static func output(_ text: String) {
        print(TextFormats.escapingControls(text, keepingNewlines: true))
    }

    /// Prints an error the way the user can act on it, then stops with exit status 1.
    static func fail(_ error: any Error) -> Never {
        switch error {
        case let errors as FileErrors: report(errors)
        case let fileError as FileError: Terminal.error(fileError.description)
        default: Terminal.error("error: \(error)")
        }
        exit(1)
    }

    /// Many file errors (or warnings), printed so that stderr stays readable: the first 20 of
    /// each kind, then how many more, with the full list written to a file in the temporary
    /// folder (named in the message) and `pico build --json` for machines.
    static func report(_ errors: FileErrors) {
        guard !errors.omitted.isEmpty else { return Terminal.error(errors.report()) }
        let severity = errors.errors.allSatisfy { $0.severity == .warning } ? "warning" : "error"
        let whereTheRestIs: String
        if let file = writeList(errors, named: "pico-build-\(severity)s") {
            whereTheRestIs = "the full list is in \(file); `pico build --json` prints every \(severity) as JSON"
        } else {
            whereTheRestIs = "`pico build --json` prints every \(severity) as JSON"
        }
        Terminal.error(errors.report(whereTheRestIs: whereTheRestIs))
    }

    /// Writes every error to a new file of the temporary folder (created, never opened through
    /// a link someone left there), or nil when it cannot.
    private static func writeList(_ errors: FileErrors, named name: String) -> String? {
        let stamp = Int(Date().timeIntervalSince1970)
        for attempt in 0..<8 {
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("\(name)-\(stamp)-\(getpid())\(attempt == 0 ? "" : "-\(attempt)").txt").path
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if descriptor < 0 {
                if errno == EEXIST { continue }
                return nil
            }
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            let text = TextFormats.escapingControls(errors.fullList, keepingNewlines: true) + "\n"
            do { try handle.write(contentsOf: Data(text.utf8)) } catch { return nil }
            return path
        }
        return nil
    }

    /// An error as `--json` prints it: where, what, what to do.
    static func json(_ error: FileError) -> JSONValue {
        .object([
            "file": .string(error.location.file), "line": error.location.line.map(JSONValue.int) ?? .null,
            "column": error.location.column.map(JSONValue.int) ?? .null,
            "message": .string(error.message), "hint": error.hint.map(JSONValue.string) ?? .null,
            "kind": .string(error.kind.singular), "severity": .string(error.severity.rawValue),
        ])
    }

    /// A progress line that rewrites itself on a terminal and says nothing in a pipe.
    static func progressLine(enabled: Bool) -> (@Sendable (String, Int, Int) -> Void)? {
        guard enabled, stderrIsTerminal else { return nil }
        return { stage, done, total in
            let line = "\r\u{1B}[2K\(stage) \(done)/\(total) files"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// A progress bar for transfers (files, bytes, rate) on a terminal; nothing in a pipe.
    static func transferBar(_ verb: String, enabled: Bool) -> (@Sendable (TransferProgress) -> Void)? {
        guard enabled, stderrIsTerminal else { return nil }
        let bar = TransferBar(verb: verb)
        return { bar.draw($0) }
    }

    static func clearProgress(enabled: Bool) {
        if enabled, stderrIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

    static func bytes(_ count: Int) -> String { TextFormats.bytes(count) }
}

extension URL {
    /// A path given on the command line, relative to the current folder.
    init(commandLinePath path: String) {
        self = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL
    }
}

/// Draws `Uploading [#######.......] 120/2000 files  12.3 MB/45.0 MB  3.2 MB/s`, at most
/// ten times a second (and always the last state).
final class TransferBar: Sendable {
    private let verb: String
    private let started = Date()
    private let lastDraw = Mutex(Date.distantPast)

    init(verb: String) { self.verb = verb }

    func draw(_ progress: TransferProgress) {
        let now = Date()
        let due = lastDraw.withLock { lastDraw in
            guard progress.files == progress.totalFiles || now.timeIntervalSince(lastDraw) >= 0.1 else { return false }
            lastDraw = now
            return true
        }
        guard due else { return }
        let fraction = progress.totalBytes > 0 ? Double(progress.bytes) / Double(progress.totalBytes)
            : progress.totalFiles > 0 ? Double(progress.files) / Double(progress.totalFiles) : 1
        let width = 24
        let filled = min(width, Int(fraction * Double(width)))
        let seconds = max(now.timeIntervalSince(started), 0.001)
        let line = "\r\u{1B}[2K\(verb) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
            + "\(progress.files)/\(progress.totalFiles) files  \(Terminal.bytes(progress.bytes))/\(Terminal.bytes(progress.totalBytes))  "
            + "\(Terminal.bytes(Int(Double(progress.bytes) / seconds)))/s"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
