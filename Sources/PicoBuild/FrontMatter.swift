import Foundation
import PicoCore
import PicoTOML
import Yams

/// A content file split into its front matter (YAML between `---` lines, TOML between `+++`
/// lines) and its body.
struct FrontMatter: Sendable {
    var values: [String: MetaValue] = [:]
    /// Line and column of each top-level key's value, for errors about a value.
    var positions: [String: (line: Int, column: Int)] = [:]
    var body: Substring.UTF8View

    /// Line of the file where the body starts (1-based), for positions inside the body.
    var bodyFirstLine = 1

    /// - Parameter file: the path shown in errors (relative to the site).
    static func parse(_ text: String, file: String) throws(FileError) -> FrontMatter {
        let delimiter: String
        if text.hasPrefix("---\n") || text.hasPrefix("---\r\n") { delimiter = "---" }
        else if text.hasPrefix("+++\n") || text.hasPrefix("+++\r\n") { delimiter = "+++" }
        else { return FrontMatter(body: Substring(text).utf8) }

        // Find the closing delimiter line, in bytes: "\r\n" is one Character, so a search for
        // the Character "\n" never finds the end of a Windows line (a crash, found by fuzzing).
        let bytes = text.utf8
        let newline = UInt8(ascii: "\n")
        var lineNumber = 1
        var cursor = bytes.index(after: bytes.firstIndex(of: newline) ?? bytes.startIndex)
        let headerStart = cursor
        var headerEnd: String.Index?
        var bodyStart = bytes.endIndex
        while cursor < bytes.endIndex {
            lineNumber += 1
            let lineEnd = bytes[cursor...].firstIndex(of: newline) ?? bytes.endIndex
            var line = bytes[cursor..<lineEnd]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.elementsEqual(delimiter.utf8) || (delimiter == "---" && line.elementsEqual("...".utf8)) {
                headerEnd = cursor
                bodyStart = lineEnd < bytes.endIndex ? bytes.index(after: lineEnd) : bytes.endIndex
                break
            }
            cursor = lineEnd < bytes.endIndex ? bytes.index(after: lineEnd) : bytes.endIndex
        }
        guard let headerEnd else {
            throw FileError("the front matter opened with \(delimiter) on line 1 is never closed",
                            file: file, text: text, line: 1, column: 1,
                            hint: "end the front matter with a line holding only \(delimiter)")
        }
        let header = String(decoding: bytes[headerStart..<headerEnd], as: UTF8.self)
        var result = FrontMatter(body: bytes[bodyStart...])
        result.bodyFirstLine = lineNumber + 1
        if delimiter == "---" {
            try result.readYAML(header, file: file, text: text)
        } else {
            try result.readTOML(header, file: file, text: text)
        }
        return result
    }

    private mutating func readYAML(_ header: String, file: String, text: String) throws(FileError) {
        // The front matter starts on line 2 of the file.
        guard let node = try Self.composeYAML(header, file: file, text: text, firstLine: 2) else { return }
        guard case .mapping(let mapping) = node else {
            throw FileError("the YAML front matter must be a mapping of keys to values", file: file, text: text,
                            line: 2, column: 1, hint: "write it as `key: value` lines, e.g. `title: My page`")
        }
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            values[name] = MetaValue(yaml: value)
            if let mark = value.mark { positions[name] = (mark.line + 1, mark.column) }
        }
    }

    /// YAML read into Yams' tree, bounded first (nesting, and values with aliases expanded);
    /// errors placed in `text`, where `yaml` starts on line `firstLine`. Front matter and
    /// data files (`data/*.yaml`) both come through here.
    static func composeYAML(_ yaml: String, file: String, text: String, firstLine: Int, what: String = "the YAML front matter") throws(FileError) -> Node? {
        let offset = firstLine - 1
        // Bounded before Yams sees it: its composer recurses once per level, and a few thousand
        // nested brackets overflowed the stack.
        if let at = YAMLShape.firstPosition(exceeding: InputLimits.maxValueDepth, in: yaml) {
            throw FileError("\(what) nests more than \(InputLimits.maxValueDepth) levels deep", file: file, text: text,
                            line: at.line + offset, column: at.column,
                            hint: firstLine == 2 ? "front matter holds page settings; flatten the lists and maps" : "flatten the lists and maps")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw Self.locate(error, file: file, text: text, offset: offset, what: what)
        } catch {
            throw FileError("could not read \(what): \(error)", file: file, text: text, line: firstLine, column: 1)
        }
        guard let node else { return nil }
        // Aliases share one node in Yams' tree, but every use is a copy once converted: count
        // the values as expanded, and stop at the budget (a 396-byte alias bomb took 1.2 GB).
        var budget = InputLimits.maxFrontMatterValues
        guard Self.fits(node, within: &budget) else {
            throw FileError("\(what) expands to more than \(InputLimits.maxFrontMatterValues) values (through aliases: *name)",
                            file: file, text: text, line: firstLine, column: 1,
                            hint: "write the values out, or use fewer nested aliases")
        }
        return node
    }

    /// Whether `node`, with its aliases expanded, holds no more than `budget` values; stops
    /// counting as soon as the budget is spent.
    private static func fits(_ node: Node, within budget: inout Int) -> Bool {
        budget -= 1
        if budget < 0 { return false }
        switch node {
        case .scalar: return true
        case .sequence(let sequence):
            for item in sequence where !fits(item, within: &budget) { return false }
            return true
        case .mapping(let mapping):
            for (key, value) in mapping where !fits(key, within: &budget) || !fits(value, within: &budget) { return false }
            return true
        @unknown default: return true
        }
    }

    private static func locate(_ error: YamlError, file: String, text: String, offset: Int, what: String) -> FileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            // Where the trouble started ("while scanning a quoted scalar") says more than where
            // the parser gave up.
            let at = context?.mark ?? mark
            let message = context.map { "\(problem) \($0.text)" } ?? problem
            return FileError("could not read \(what): \(message)", file: file, text: text,
                             line: at.line + offset, column: at.column,
                             hint: "check the quoting and indentation; strings with ':' or '#' need quotes")
        default:
            return FileError("could not read \(what): \(error)", file: file, text: text, line: offset + 1, column: 1)
        }
    }

    private mutating func readTOML(_ header: String, file: String, text: String) throws(FileError) {
        // Dotted keys (a.b.c…) nest without brackets; refused here before anything is built.
        if let line = TOMLNesting.firstLine(exceeding: InputLimits.maxValueDepth, in: header) {
            throw FileError("the TOML front matter nests more than \(InputLimits.maxValueDepth) levels deep", file: file, text: text,
                            line: line + 1, column: 1, hint: "front matter holds page settings; flatten the tables and arrays")
        }
        // The front matter starts on line 2 of the file.
        do {
            let table = try TOMLDocument.parse(header, maxDepth: InputLimits.maxValueDepth)
            values = MetaValue.table(toml: table)
            for entry in table { positions[entry.key] = (entry.valuePosition.line + 1, entry.valuePosition.column) }
        } catch where error.kind == .tooDeep {
            throw FileError("the TOML front matter nests more than \(InputLimits.maxValueDepth) levels deep", file: file, text: text,
                            line: error.line + 1, column: error.column, hint: "front matter holds page settings; flatten the tables and arrays")
        } catch {
            throw FileError("could not read the TOML front matter: \(error.message)", file: file, text: text,
                            line: error.line + 1, column: error.column,
                            hint: error.message.hasPrefix("expected a value") ? "TOML strings need quotes: title = \"My page\"" : nil)
        }
    }

    /// An error about the value of `key`, placed at the value when its position is known.
    func error(_ message: String, key: String, file: String, text: String, hint: String? = nil) -> FileError {
        guard let position = positions[key] else { return FileError(message, file: file, hint: hint) }
        return FileError(message, file: file, text: text, line: position.line, column: position.column, hint: hint)
    }
}
