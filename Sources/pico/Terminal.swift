import Foundation
import PicoCore
#if canImport(Glibc)
import Glibc
#endif

/// How the CLI talks to a person: progress on a terminal only, errors on stderr.
enum Terminal {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
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
