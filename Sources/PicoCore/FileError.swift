import Foundation

/// Where something is in a source file, 1-based: `file:line:column`, or only `file` when the
/// problem is the file as a whole (its name, its kind, reading it), with no place in it.
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// The file as a whole: no position is made up for it.
    public init(file: String) {
        self.file = file
    }

    public var description: String {
        guard let line else { return file }
        return "\(file):\(line)" + (column.map { ":\($0)" } ?? "")
    }
}

/// An error about a user's file: where it is, what is wrong, the offending line (a window of
/// about 120 characters around the column when the line is longer), and what to do about it.
/// Printed like a compiler error:
///
///     content/posts/a.md:3:8: error: could not read the YAML front matter: ...
///         3 | title: "Unclosed
///           |        ^
///     hint: close the quoted string
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    /// What sort of problem this is, so that many of one sort are counted rather than all
    /// printed ("… and 480 more broken links").
    public struct Kind: Hashable, Sendable {
        public let singular: String
        public let plural: String
        public init(_ singular: String, plural: String) {
            self.singular = singular
            self.plural = plural
        }
        public static let other = Kind("error", plural: "errors")
        public static let brokenLink = Kind("broken link", plural: "broken links")
    }

    public var location: SourceLocation
    public var message: String
    /// The line the error is on, or a window of it (then `sourceLineCaret` says where the
    /// column falls in it).
    public var sourceLine: String?
    /// The caret's column in `sourceLine` when that is a window of the line; nil when
    /// `sourceLine` is the whole line, so the caret goes under `location.column`.
    public var sourceLineCaret: Int?
    public var hint: String?
    public var severity = Severity.error
    public var kind = Kind.other

    public init(_ message: String, at location: SourceLocation, sourceLine: String? = nil, hint: String? = nil) {
        self.location = location
        self.message = message
        self.sourceLine = sourceLine
        self.hint = hint
    }

    /// An error about a file as a whole (its name, its kind, reading it): no line or column.
    public init(_ message: String, file: String, hint: String? = nil) {
        self.init(message, at: SourceLocation(file: file), hint: hint)
    }

    /// An error at a position found in an `IndexedText`: line, column and the window shown.
    public init(_ message: String, file: String, position: TextPosition, hint: String? = nil, kind: Kind = .other) {
        self.init(message, at: SourceLocation(file: file, line: position.line, column: position.column),
                  sourceLine: position.excerpt, hint: hint)
        sourceLineCaret = position.excerptCaret
        self.kind = kind
    }

    /// An error at a byte offset of a file's text; line, column and the line's text are
    /// worked out from the bytes (one pass: for many errors in one text, use `IndexedText`).
    public init(_ message: String, file: String, text: some Collection<UInt8>, byteOffset: Int, hint: String? = nil) {
        self.init(message, file: file, position: TextPosition(of: byteOffset, in: text), hint: hint)
    }

    /// An error at a line (and column) of a file's text.
    public init(_ message: String, file: String, text: String, line: Int, column: Int, hint: String? = nil) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let lineText = line >= 1 && line <= lines.count ? String(lines[line - 1]) : nil
        self.init(message, at: SourceLocation(file: file, line: line, column: max(column, 1)),
                  sourceLine: lineText, hint: hint)
    }

    public var description: String {
        var out = "\(location): \(severity.rawValue): \(message)"
        if let sourceLine, let line = location.line {
            let number = String(line)
            let gutter = String(repeating: " ", count: number.count)
            let (shown, caret) = sourceLineCaret.map { (sourceLine, $0) }
                ?? SourceWindow.around(column: location.column ?? 1, in: sourceLine.trimmingTrailingCR())
            // The caret goes under the column; columns count characters, not bytes.
            let caretPad = String(repeating: " ", count: max(0, caret - 1))
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

    /// How many of one kind are printed before the rest are only counted.
    public static let shownPerKind = 20

    /// Errors of each kind past the first `shownPerKind`, by kind, in the order kinds appear.
    public var omitted: [(kind: FileError.Kind, count: Int)] {
        var counts: [FileError.Kind: Int] = [:]
        var order: [FileError.Kind] = []
        for error in errors {
            if counts[error.kind] == nil { order.append(error.kind) }
            counts[error.kind, default: 0] += 1
        }
        return order.compactMap { kind in
            let count = counts[kind]! - Self.shownPerKind
            return count > 0 ? (kind, count) : nil
        }
    }

    /// The first `shownPerKind` errors of each kind, then a count of the rest per kind
    /// (`whereTheRestIs` says where the full list went), then the total.
    public func report(whereTheRestIs: String? = nil) -> String {
        var seen: [FileError.Kind: Int] = [:]
        var parts: [String] = []
        for error in errors {
            seen[error.kind, default: 0] += 1
            if seen[error.kind]! <= Self.shownPerKind { parts.append(error.description) }
        }
        let more = omitted.map { "… and \($0.count) more \($0.count == 1 ? $0.kind.singular : $0.kind.plural)" }
        if !more.isEmpty {
            parts.append(more.joined(separator: "\n") + (whereTheRestIs.map { " (\($0))" } ?? ""))
        }
        var text = parts.joined(separator: "\n\n")
        if errors.count > 1 {
            let warnings = errors.allSatisfy { $0.severity == .warning }
            text += "\n\n\(errors.count) \(warnings ? "warnings" : "errors")"
        }
        return text
    }

    /// Every error, in full (no count in place of any).
    public var fullList: String { errors.map(\.description).joined(separator: "\n\n") }

    public var description: String { report() }
}

/// A text with its line starts found in one pass, so each position in it costs a binary
/// search and a bounded window, not a walk from the start of the text (a page with 8,000
/// broken links on one 1.9 MB line took minutes that way).
public struct IndexedText: Sendable {
    public let bytes: [UInt8]
    /// Byte offset where each line starts; the first is 0.
    private let lineStarts: [Int]

    public init(_ bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        var starts = [0]
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count, let hit = memchr(base + offset, 0x0A, buffer.count - offset) {
                offset = UnsafeRawPointer(hit) - UnsafeRawPointer(base) + 1
                starts.append(offset)
            }
        }
        self.bytes = bytes
        self.lineStarts = starts
    }

    /// The positions of `offsets`, in the order given. Offsets on one line are counted in
    /// characters from the previous one, so a long line is decoded once, not once per offset.
    public func positions(of offsets: [Int]) -> [TextPosition] {
        var result = [TextPosition?](repeating: nil, count: offsets.count)
        let order = offsets.indices.sorted { offsets[$0] < offsets[$1] }
        var previous: (line: Int, offset: Int, column: Int)? = nil
        for index in order {
            let offset = min(max(offsets[index], 0), bytes.count)
            let line = lineIndex(containing: offset)
            let start = lineStarts[line]
            let column: Int
            if let previous, previous.line == line {
                column = previous.column + characters(previous.offset, offset)
            } else {
                column = characters(start, offset) + 1
            }
            previous = (line, offset, column)
            let (excerpt, caret) = window(line: line, offset: offset)
            result[index] = TextPosition(line: line + 1, column: column, excerpt: excerpt, excerptCaret: caret)
        }
        return result.map { $0! }
    }

    public func position(of offset: Int) -> TextPosition { positions(of: [offset])[0] }

    private func lineIndex(containing offset: Int) -> Int {
        // The last line start at or before the offset.
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }

    private func lineEnd(_ line: Int) -> Int {
        var end = line + 1 < lineStarts.count ? lineStarts[line + 1] - 1 : bytes.count
        if end > lineStarts[line], bytes[end - 1] == 0x0D { end -= 1 }
        return end
    }

    /// Characters (as `String` counts them; a byte that is not UTF-8 counts as one) in a range.
    private func characters(_ from: Int, _ to: Int) -> Int {
        guard to > from else { return 0 }
        let slice = bytes[from..<to]
        if slice.allSatisfy({ $0 < 0x80 }) { return slice.count }
        return String(decoding: slice, as: UTF8.self).count
    }

    /// About `SourceWindow.half` characters on each side of the offset, decoded from at most
    /// four bytes per character on each side.
    private func window(line: Int, offset: Int) -> (String, Int) {
        let start = lineStarts[line], end = max(lineEnd(line), offset)
        let reach = SourceWindow.half * 4
        var from = max(start, offset - reach)
        // Not from the middle of a character.
        while from > start, from < offset, bytes[from] & 0xC0 == 0x80, offset - from < reach + 3 { from -= 1 }
        let to = min(end, offset + reach)
        var before = Array(String(decoding: bytes[from..<offset], as: UTF8.self))
        var after = Array(String(decoding: bytes[offset..<to], as: UTF8.self))
        var cutBefore = from > start, cutAfter = to < end
        if before.count > SourceWindow.half {
            before.removeFirst(before.count - SourceWindow.half)
            cutBefore = true
        }
        if after.count > SourceWindow.half {
            after.removeLast(after.count - SourceWindow.half)
            cutAfter = true
        }
        let text = (cutBefore ? "…" : "") + SourceWindow.printable(before) + SourceWindow.printable(after) + (cutAfter ? "…" : "")
        return (text, (cutBefore ? 1 : 0) + before.count + 1)
    }
}

/// Line, column (in characters) and the shown part of the line holding a byte offset.
public struct TextPosition: Sendable, Equatable {
    public let line: Int
    public let column: Int
    /// The line, or a window of about 120 characters of it around the column, with "…" where
    /// it was cut; tabs and control characters are shown as one character each.
    public let excerpt: String
    /// Where the column falls in `excerpt` (1-based).
    public let excerptCaret: Int

    public init(line: Int, column: Int, excerpt: String, excerptCaret: Int) {
        self.line = line
        self.column = column
        self.excerpt = excerpt
        self.excerptCaret = excerptCaret
    }

    /// One position in a text (one pass over it).
    public init(of byteOffset: Int, in text: some Collection<UInt8>) {
        self = IndexedText(text).position(of: byteOffset)
    }
}

/// The part of a long line shown with an error.
enum SourceWindow {
    /// Characters shown on each side of the column.
    static let half = 60

    /// The window of a whole line already decoded (errors that carry their line's text).
    static func around(column: Int, in line: String) -> (String, Int) {
        let characters = Array(line)
        let at = min(max(column - 1, 0), characters.count)
        guard characters.count > 2 * half else { return (printable(characters), at + 1) }
        let from = max(0, at - half), to = min(characters.count, at + half)
        let text = (from > 0 ? "…" : "") + printable(characters[from..<to]) + (to < characters.count ? "…" : "")
        return (text, (from > 0 ? 1 : 0) + at - from + 1)
    }

    /// One visible character for each character, so the caret stays under its column: tabs
    /// become spaces, control and bidi characters U+FFFD (they would be escaped, wider, later).
    static func printable(_ characters: some Collection<Character>) -> String {
        var out = ""
        for character in characters {
            if character == "\t" { out.append(" "); continue }
            let unsafe = character.unicodeScalars.contains { scalar in
                scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || BundlePath.isBidiControl(scalar)
                    || scalar.value == 0x2028 || scalar.value == 0x2029
            }
            out.append(unsafe ? "\u{FFFD}" : character)
        }
        return out
    }
}

extension String {
    func trimmingTrailingCR() -> String { hasSuffix("\r") ? String(dropLast()) : self }
}
