import Foundation
import PicoCore
import PicoSilo
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
        case let errors as FileErrors: Terminal.error(errors.description)
        case let fileError as FileError: Terminal.error(fileError.description)
        default: Terminal.error("error: \(error)")
        }
        exit(1)
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
final class TransferBar: @unchecked Sendable {
    private let verb: String
    private let started = Date()
    private let lock = NSLock()
    private var lastDraw = Date.distantPast

    init(verb: String) { self.verb = verb }

    func draw(_ progress: TransferProgress) {
        let now = Date()
        let due = lock.withLock {
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
