import Foundation
import PicoCore
import TOMLKit
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

        // Find the closing delimiter line.
        var lineNumber = 1
        var cursor = text.index(after: text.firstIndex(of: "\n")!)
        let headerStart = cursor
        var headerEnd: String.Index?
        var bodyStart = text.endIndex
        while cursor < text.endIndex {
            lineNumber += 1
            let lineEnd = text[cursor...].firstIndex(of: "\n") ?? text.endIndex
            var line = text[cursor..<lineEnd]
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line == delimiter || (delimiter == "---" && line == "...") {
                headerEnd = cursor
                bodyStart = lineEnd < text.endIndex ? text.index(after: lineEnd) : text.endIndex
                break
            }
            cursor = lineEnd < text.endIndex ? text.index(after: lineEnd) : text.endIndex
        }
        guard let headerEnd else {
            throw FileError("the front matter opened with \(delimiter) on line 1 is never closed",
                            file: file, text: text, line: 1, column: 1,
                            hint: "end the front matter with a line holding only \(delimiter)")
        }
        let header = String(text[headerStart..<headerEnd])
        var result = FrontMatter(body: text[bodyStart...].utf8)
        result.bodyFirstLine = lineNumber + 1
        if delimiter == "---" {
            try result.readYAML(header, file: file, text: text)
        } else {
            try result.readTOML(header, file: file, text: text)
        }
        return result
    }

    private mutating func readYAML(_ header: String, file: String, text: String) throws(FileError) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: header, .basic)
        } catch let error as YamlError {
            throw Self.locate(error, file: file, text: text)
        } catch {
            throw FileError("could not read the YAML front matter: \(error)", file: file, text: text, line: 2, column: 1)
        }
        guard let node else { return }
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

    private static func locate(_ error: YamlError, file: String, text: String) -> FileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            // Where the trouble started ("while scanning a quoted scalar") says more than where
            // the parser gave up. The front matter starts on line 2 of the file.
            let at = context?.mark ?? mark
            let message = context.map { "\(problem) \($0.text)" } ?? problem
            return FileError("could not read the YAML front matter: \(message)", file: file, text: text,
                             line: at.line + 1, column: at.column,
                             hint: "check the quoting and indentation; strings with ':' or '#' need quotes")
        default:
            return FileError("could not read the YAML front matter: \(error)", file: file, text: text, line: 2, column: 1)
        }
    }

    private mutating func readTOML(_ header: String, file: String, text: String) throws(FileError) {
        do {
            let table = try TOMLTable(string: header)
            values = MetaValue.table(toml: table)
        } catch let error as TOMLParseError {
            throw FileError("could not read the TOML front matter: \(error.description)", file: file, text: text,
                            line: error.source.begin.line + 1, column: error.source.begin.column,
                            hint: "TOML strings need quotes: title = \"My page\"")
        } catch {
            throw FileError("could not read the TOML front matter: \(error)", file: file, text: text, line: 2, column: 1)
        }
    }

    /// An error about the value of `key`, placed at the value when its position is known.
    func error(_ message: String, key: String, file: String, text: String, hint: String? = nil) -> FileError {
        let position = positions[key] ?? (1, 1)
        return FileError(message, file: file, text: text, line: position.line, column: position.column, hint: hint)
    }
}
