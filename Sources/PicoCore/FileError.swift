import Foundation

/// Where something is in a source file, 1-based.
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// An error about a user's file: where it is, what is wrong, the offending line, and what to
/// do about it. Printed like a compiler error:
///
///     content/posts/a.md:3:8: error: could not read the YAML front matter: ...
///         3 | title: "Unclosed
///           |        ^
///     hint: close the quoted string
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public var sourceLine: String?
    public var hint: String?

    public init(_ message: String, at location: SourceLocation, sourceLine: String? = nil, hint: String? = nil) {
        self.location = location
        self.message = message
        self.sourceLine = sourceLine
        self.hint = hint
    }

    /// An error at a byte offset of a file's text; line, column and the line's text are
    /// worked out from the bytes.
    public init(_ message: String, file: String, text: some Collection<UInt8>, byteOffset: Int, hint: String? = nil) {
        let position = TextPosition(of: byteOffset, in: text)
        self.init(message, at: SourceLocation(file: file, line: position.line, column: position.column),
                  sourceLine: position.lineText, hint: hint)
    }

    /// An error at a line (and column) of a file's text.
    public init(_ message: String, file: String, text: String, line: Int, column: Int, hint: String? = nil) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let lineText = line >= 1 && line <= lines.count ? String(lines[line - 1]) : nil
        self.init(message, at: SourceLocation(file: file, line: line, column: max(column, 1)),
                  sourceLine: lineText, hint: hint)
    }

    public var description: String {
        var out = "\(location): error: \(message)"
        if let sourceLine {
            let number = String(location.line)
            let gutter = String(repeating: " ", count: number.count)
            let shown = sourceLine.replacingOccurrences(of: "\t", with: " ").trimmingTrailingCR()
            // The caret goes under the column; columns count characters, not bytes.
            let caretPad = String(repeating: " ", count: max(0, location.column - 1))
            out += "\n    \(number) | \(shown)\n    \(gutter) | \(caretPad)^"
        }
        if let hint { out += "\nhint: \(hint)" }
        return out
    }
}

/// Several file errors found in one pass (every broken link at once, not only the first).
public struct FileErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [FileError]
    public init(_ errors: [FileError]) { self.errors = errors }
    public var description: String {
        errors.map(\.description).joined(separator: "\n\n")
            + (errors.count > 1 ? "\n\n\(errors.count) errors" : "")
    }
}

/// Line, column (in characters) and the text of the line holding a byte offset.
public struct TextPosition {
    public let line: Int
    public let column: Int
    public let lineText: String

    public init(of byteOffset: Int, in text: some Collection<UInt8>) {
        var line = 1
        var lineStart = text.startIndex
        var index = text.startIndex
        var offset = 0
        while index != text.endIndex, offset < byteOffset {
            if text[index] == 0x0A {
                line += 1
                lineStart = text.index(after: index)
            }
            index = text.index(after: index)
            offset += 1
        }
        var lineEnd = lineStart
        while lineEnd != text.endIndex, text[lineEnd] != 0x0A { lineEnd = text.index(after: lineEnd) }
        let before = String(decoding: text[lineStart..<index], as: UTF8.self)
        self.line = line
        self.column = before.count + 1
        self.lineText = String(decoding: text[lineStart..<lineEnd], as: UTF8.self)
    }
}

extension String {
    func trimmingTrailingCR() -> String { hasSuffix("\r") ? String(dropLast()) : self }
}
