// A TOML 1.0 reader for text nobody vouches for: one pass over the UTF-8 bytes, linear time,
// nesting bounded by `maxDepth` (so recursion is too), and every error a `TOMLError` with its
// line and column, never a trap.

/// Reads TOML 1.0 documents (https://toml.io/en/v1.0.0).
public enum TOMLDocument {
    /// The deepest `maxDepth` accepted: the parser recurses once per level of arrays and inline
    /// tables, so the limit also bounds its stack.
    public static let deepestLimit = 256

    /// The document's root table. Tables and arrays nest at most `maxDepth` levels (each of
    /// `[a.b]`'s names, `a.b = 1`'s dotted names, `[...]` and `{...}` is one level).
    public static func parse(_ text: String, maxDepth: Int = 64) throws(TOMLError) -> TOMLTable {
        var parser = TOMLParser(bytes: Array(text.utf8), maxDepth: min(max(maxDepth, 1), deepestLimit))
        return try parser.parseDocument()
    }
}

/// One key or table while the document is read; `value(of:)` turns them into `TOMLValue`s.
private struct Node {
    /// How a table came to be, which decides what may add to it later (TOML 1.0's rules).
    enum TableOrigin: Equatable {
        /// Named on the way to a header's table (`a` in `[a.b]`): a header may still define it.
        case implicit
        /// Defined by its own `[header]`.
        case header
        /// Made by dotted keys (`a.b = 1`) in one table section or inline table (the context).
        case dotted(context: Int)
        /// An element of an array of tables, made by `[[header]]`.
        case arrayElement
        /// `{ ... }`: complete as written.
        case inline
    }

    enum Kind {
        case table(TableOrigin)
        /// `[1, 2]`: complete as written.
        case staticArray
        /// `[[header]]`
        case tableArray
        case scalar(TOMLValue)
    }

    var kind: Kind
    let depth: Int
    var keyPosition: TOMLPosition
    var valuePosition: TOMLPosition
    var keys: [String] = []
    var children: [String: Int] = [:]
    var elements: [Int] = []
}

private struct KeyPart {
    let name: String
    let position: TOMLPosition
}

struct TOMLParser {
    private let bytes: [UInt8]
    private let maxDepth: Int
    private var pos = 0
    private var line = 1
    private var lineStart = 0
    // Columns are counted from the last one asked for on the same line, so asking is linear overall.
    private var columnCacheOffset = 0
    private var columnCacheValue = 1
    private var nodes: [Node] = []
    /// Numbers each table section and inline table, for `TableOrigin.dotted`.
    private var context = 0
    private var contextCount = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    // MARK: the document

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        let origin = TOMLPosition(line: 1, column: 1)
        nodes.append(Node(kind: .table(.header), depth: 0, keyPosition: origin, valuePosition: origin))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3; lineStart = 3 }
        var section = 0
        while pos < bytes.count {
            skipSpaces()
            guard pos < bytes.count else { break }
            switch bytes[pos] {
            case ascii("\n"), ascii("\r"), ascii("#"):
                try endOfLine(after: "")
                continue
            case ascii("["):
                section = try parseHeader()
                try endOfLine(after: " after the table header")
            default:
                try parseKeyValue(into: section)
                try endOfLine(after: " after the value")
            }
        }
        return table(of: 0)
    }

    /// Spaces, a comment, then a line break or the end of the document.
    private mutating func endOfLine(after what: String) throws(TOMLError) {
        skipSpaces()
        if pos < bytes.count, bytes[pos] == ascii("#") { try skipComment() }
        guard pos < bytes.count else { return }
        if bytes[pos] == ascii("\n") || bytes[pos] == ascii("\r") {
            try consumeLineBreak()
            return
        }
        throw error("expected the end of the line\(what), saw \(described(at: pos))")
    }

    private mutating func skipComment() throws(TOMLError) {
        pos += 1
        while pos < bytes.count {
            let byte = bytes[pos]
            if byte == ascii("\n") || (byte == ascii("\r") && pos + 1 < bytes.count && bytes[pos + 1] == ascii("\n")) { return }
            if isControl(byte) {
                throw error("a comment cannot hold control characters, saw \(described(at: pos))")
            }
            pos += 1
        }
    }

    /// At `\n` or `\r\n`: steps over it. A lone `\r` is an error.
    private mutating func consumeLineBreak() throws(TOMLError) {
        if bytes[pos] == ascii("\r") {
            guard pos + 1 < bytes.count, bytes[pos + 1] == ascii("\n") else {
                throw error("a carriage return (U+000D) must be followed by a line feed")
            }
            pos += 1
        }
        pos += 1
        line += 1
        lineStart = pos
    }

    private mutating func skipSpaces() {
        while pos < bytes.count, bytes[pos] == ascii(" ") || bytes[pos] == ascii("\t") { pos += 1 }
    }

    /// Inside arrays: spaces, line breaks and comments.
    private mutating func skipBlank() throws(TOMLError) {
        while pos < bytes.count {
            switch bytes[pos] {
            case ascii(" "), ascii("\t"): pos += 1
            case ascii("\n"), ascii("\r"): try consumeLineBreak()
            case ascii("#"): try skipComment()
            default: return
            }
        }
    }

    // MARK: tables and keys

    /// `[a.b]` or `[[a.b]]`; returns the table that the following keys go into.
    private mutating func parseHeader() throws(TOMLError) -> Int {
        let isArray = pos + 1 < bytes.count && bytes[pos + 1] == ascii("[")
        pos += isArray ? 2 : 1
        skipSpaces()
        let key = try parseKey()
        skipSpaces()
        let close = isArray ? "]]" : "]"
        guard pos < bytes.count, bytes[pos] == ascii("]"), !isArray || (pos + 1 < bytes.count && bytes[pos + 1] == ascii("]")) else {
            throw error("expected '\(close)' to close the table header, saw \(described(at: pos))")
        }
        pos += isArray ? 2 : 1
        contextCount += 1
        context = contextCount

        var table = 0
        for (index, part) in key.dropLast().enumerated() {
            table = try descend(from: table, to: part, path: key[...index], forHeader: true)
        }
        let last = key[key.count - 1]
        let name = dotted(key[...])
        guard let existing = nodes[table].children[last.name] else {
            if isArray {
                let array = try addChild(last, to: table, kind: .tableArray, valuePosition: last.position)
                return try addElement(to: array, at: last.position)
            }
            return try addChild(last, to: table, kind: .table(.header), valuePosition: last.position)
        }
        let node = nodes[existing]
        let first = node.keyPosition
        switch (node.kind, isArray) {
        case (.table(.implicit), false):
            nodes[existing].kind = .table(.header)
            return existing
        case (.tableArray, true):
            return try addElement(to: existing, at: last.position)
        case (.table(.header), false), (.table(.arrayElement), false):
            throw error(.redefinition, "the table [\(name)] is defined twice (first at \(first))", at: last.position)
        case (.table(.dotted), _):
            throw error(.redefinition, "the table \(name) was already defined by dotted keys at \(first); a header cannot open it again",
                        at: last.position)
        case (.table(.inline), _):
            throw error(.redefinition, "\(name) is an inline table (\(first)), which cannot be changed", at: last.position)
        case (.tableArray, false):
            throw error(.redefinition, "\(name) is an array of tables ([[\(name)]] at \(first)), not a table", at: last.position)
        case (.table, true):
            throw error(.redefinition, "\(name) is a table (\(first)), so [[\(name)]] cannot make it an array of tables",
                        at: last.position)
        case (.staticArray, _), (.scalar, _):
            throw error(.redefinition, "\(name) already has a value (at \(first))", at: last.position)
        }
    }

    /// `key = value`, into `table` (a section's table or an inline table being read).
    private mutating func parseKeyValue(into table: Int) throws(TOMLError) {
        let key = try parseKey()
        skipSpaces()
        guard pos < bytes.count, bytes[pos] == ascii("=") else {
            throw error("expected '=' after the key \(dotted(key[...])), saw \(described(at: pos))")
        }
        pos += 1
        skipSpaces()
        var parent = table
        for (index, part) in key.dropLast().enumerated() {
            parent = try descend(from: parent, to: part, path: key[...index], forHeader: false)
        }
        let last = key[key.count - 1]
        if let existing = nodes[parent].children[last.name] {
            throw error(.redefinition, "the key \(dotted(key[...])) is defined twice (first at \(nodes[existing].keyPosition))",
                        at: last.position)
        }
        let valuePosition = position(at: pos)
        let value = try parseValue(depth: nodes[parent].depth + 1)
        nodes[parent].keys.append(last.name)
        nodes[parent].children[last.name] = value
        nodes[value].keyPosition = last.position
        nodes[value].valuePosition = valuePosition
    }

    /// The table that `part` names inside `parent`, made when missing, following TOML's rules on
    /// what a header or a dotted key may go through.
    private mutating func descend(from parent: Int, to part: KeyPart, path: ArraySlice<KeyPart>,
                                  forHeader: Bool) throws(TOMLError) -> Int {
        guard let child = nodes[parent].children[part.name] else {
            return try addChild(part, to: parent, kind: .table(forHeader ? .implicit : .dotted(context: context)),
                                valuePosition: part.position)
        }
        let node = nodes[child]
        let name = dotted(path)
        switch node.kind {
        case .table(.inline):
            throw error(.redefinition, "\(name) is an inline table (\(node.keyPosition)), which cannot be changed", at: part.position)
        case .table(.implicit) where !forHeader:
            nodes[child].kind = .table(.dotted(context: context))
            return child
        case .table(.dotted(let made)) where !forHeader && made != context:
            throw error(.redefinition, "the table \(name) was defined by dotted keys elsewhere (\(node.keyPosition))", at: part.position)
        case .table(.header), .table(.arrayElement), .tableArray:
            if forHeader {
                if case .tableArray = node.kind { return node.elements[node.elements.count - 1] }
                return child
            }
            throw error(.redefinition, "the table \(name) is defined by a header (\(node.keyPosition)); dotted keys cannot add to it",
                        at: part.position)
        case .table:
            return child
        case .staticArray, .scalar:
            throw error(.redefinition, "\(name) already has a value (at \(node.keyPosition)), it cannot also be a table", at: part.position)
        }
    }

    private mutating func addChild(_ part: KeyPart, to parent: Int, kind: Node.Kind,
                                   valuePosition: TOMLPosition) throws(TOMLError) -> Int {
        let index = try addNode(kind, depth: nodes[parent].depth + 1, keyPosition: part.position, valuePosition: valuePosition)
        nodes[parent].keys.append(part.name)
        nodes[parent].children[part.name] = index
        return index
    }

    private mutating func addElement(to array: Int, at position: TOMLPosition) throws(TOMLError) -> Int {
        let index = try addNode(.table(.arrayElement), depth: nodes[array].depth + 1, keyPosition: position, valuePosition: position)
        nodes[array].elements.append(index)
        return index
    }

    private mutating func addNode(_ kind: Node.Kind, depth: Int, keyPosition: TOMLPosition,
                                  valuePosition: TOMLPosition) throws(TOMLError) -> Int {
        if depth > maxDepth {
            if case .scalar = kind {} else {
                throw error(.tooDeep, "tables and arrays nest more than \(maxDepth) levels deep here", at: valuePosition)
            }
        }
        nodes.append(Node(kind: kind, depth: depth, keyPosition: keyPosition, valuePosition: valuePosition))
        return nodes.count - 1
    }

    /// `a`, `"a b"`, `a.'b'.c`, with spaces allowed around the dots.
    private mutating func parseKey() throws(TOMLError) -> [KeyPart] {
        var parts = [try parseSimpleKey()]
        while true {
            skipSpaces()
            guard pos < bytes.count, bytes[pos] == ascii(".") else { return parts }
            pos += 1
            skipSpaces()
            parts.append(try parseSimpleKey())
        }
    }

    private mutating func parseSimpleKey() throws(TOMLError) -> KeyPart {
        let position = position(at: pos)
        guard pos < bytes.count else { throw error("expected a key, saw the end of the document") }
        let byte = bytes[pos]
        if isBareKey(byte) {
            let start = pos
            while pos < bytes.count, isBareKey(bytes[pos]) { pos += 1 }
            return KeyPart(name: String(decoding: bytes[start..<pos], as: UTF8.self), position: position)
        }
        if byte == ascii("\"") { return KeyPart(name: try parseBasicString(), position: position) }
        if byte == ascii("'") { return KeyPart(name: try parseLiteralString(), position: position) }
        throw error("expected a key (letters, digits, - and _ or a quoted string), saw \(described(at: pos))")
    }

    // MARK: values

    /// Reads the value at `pos` into a new node (`depth` is the level it would sit at).
    private mutating func parseValue(depth: Int) throws(TOMLError) -> Int {
        let start = position(at: pos)
        guard pos < bytes.count else { throw error("expected a value, saw the end of the document") }
        let value: TOMLValue
        switch bytes[pos] {
        case ascii("["): return try parseArray(depth: depth, at: start)
        case ascii("{"): return try parseInlineTable(depth: depth, at: start)
        case ascii("\""):
            value = .string(startsTriple(ascii("\"")) ? try parseMultilineString(literal: false) : try parseBasicString())
        case ascii("'"):
            value = .string(startsTriple(ascii("'")) ? try parseMultilineString(literal: true) : try parseLiteralString())
        case ascii("t") where matches("true"):
            pos += 4
            value = .bool(true)
        case ascii("f") where matches("false"):
            pos += 5
            value = .bool(false)
        case ascii("0")...ascii("9"):
            if isDateAhead() {
                value = try parseDateTime()
            } else if isTimeAhead() {
                value = .localTime(try parseTime(hasDate: false))
            } else {
                value = try parseNumber()
            }
        case ascii("+"), ascii("-"), ascii("i"), ascii("n"):
            value = try parseNumber()
        default:
            throw error("expected a value (a \"string\", a number, true or false, a date, [an array] or {a table}), saw \(described(at: pos))")
        }
        return try addNode(.scalar(value), depth: depth, keyPosition: start, valuePosition: start)
    }

    private mutating func parseArray(depth: Int, at start: TOMLPosition) throws(TOMLError) -> Int {
        let array = try addNode(.staticArray, depth: depth, keyPosition: start, valuePosition: start)
        pos += 1
        while true {
            try skipBlank()
            guard pos < bytes.count else { throw error("the array opened at \(start) is never closed with ']'") }
            if bytes[pos] == ascii("]") { pos += 1; return array }
            let element = try parseValue(depth: depth + 1)
            nodes[array].elements.append(element)
            try skipBlank()
            guard pos < bytes.count else { throw error("the array opened at \(start) is never closed with ']'") }
            switch bytes[pos] {
            case ascii(","): pos += 1
            case ascii("]"): pos += 1; return array
            default: throw error("expected ',' or ']' in the array, saw \(described(at: pos))")
            }
        }
    }

    private mutating func parseInlineTable(depth: Int, at start: TOMLPosition) throws(TOMLError) -> Int {
        let table = try addNode(.table(.inline), depth: depth, keyPosition: start, valuePosition: start)
        pos += 1
        let outerContext = context
        contextCount += 1
        context = contextCount
        defer { context = outerContext }
        skipSpaces()
        if pos < bytes.count, bytes[pos] == ascii("}") { pos += 1; return table }
        while true {
            try parseKeyValue(into: table)
            skipSpaces()
            guard pos < bytes.count else { throw error("the inline table opened at \(start) is never closed with '}'") }
            switch bytes[pos] {
            case ascii(","):
                pos += 1
                skipSpaces()
                if pos < bytes.count, bytes[pos] == ascii("}") {
                    throw error("an inline table cannot end with a comma (TOML 1.0)")
                }
                if pos < bytes.count, bytes[pos] == ascii("\n") || bytes[pos] == ascii("\r") {
                    throw error("an inline table must be written on one line; use a [table] for more")
                }
            case ascii("}"): pos += 1; return table
            case ascii("\n"), ascii("\r"):
                throw error("an inline table must be written on one line; use a [table] for more")
            default: throw error("expected ',' or '}' in the inline table, saw \(described(at: pos))")
            }
        }
    }

    // MARK: strings

    private mutating func parseBasicString() throws(TOMLError) -> String {
        pos += 1
        let start = pos
        while pos < bytes.count, bytes[pos] != ascii("\""), bytes[pos] != ascii("\\"), !isControl(bytes[pos]) { pos += 1 }
        var text = Array(bytes[start..<pos])
        while true {
            guard pos < bytes.count else { throw error("the string is never closed with '\"'") }
            let byte = bytes[pos]
            switch byte {
            case ascii("\""):
                pos += 1
                return String(decoding: text, as: UTF8.self)
            case ascii("\\"):
                try parseEscape(into: &text)
            case ascii("\n"), ascii("\r"):
                throw error("the string is not closed before the end of the line (use \"\"\" for text on several lines)")
            default:
                if isControl(byte) { throw controlCharacter(in: "a string") }
                text.append(byte)
                pos += 1
            }
        }
    }

    private mutating func parseLiteralString() throws(TOMLError) -> String {
        pos += 1
        let start = pos
        while pos < bytes.count, bytes[pos] != ascii("'") {
            if bytes[pos] == ascii("\n") || bytes[pos] == ascii("\r") {
                throw error("the string is not closed before the end of the line (use ''' for text on several lines)")
            }
            if isControl(bytes[pos]) { throw controlCharacter(in: "a string") }
            pos += 1
        }
        guard pos < bytes.count else { throw error("the string is never closed with \"'\"") }
        pos += 1
        return String(decoding: bytes[start..<(pos - 1)], as: UTF8.self)
    }

    /// `"""..."""` or `'''...'''`: a line break right after the opening quotes is dropped, `\r\n` is read as `\n`.
    private mutating func parseMultilineString(literal: Bool) throws(TOMLError) -> String {
        let quote = bytes[pos]
        let start = position(at: pos)
        pos += 3
        if pos < bytes.count, bytes[pos] == ascii("\n") || bytes[pos] == ascii("\r") { try consumeLineBreak() }
        var text: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw error("the string opened at \(start) is never closed") }
            let byte = bytes[pos]
            switch byte {
            case quote:
                var run = 0
                while pos + run < bytes.count, bytes[pos + run] == quote { run += 1 }
                if run >= 3 {
                    // Up to two quotes may end the text just before the closing three.
                    guard run <= 5 else { throw error("too many quotes at the end of the string", at: position(at: pos + 5)) }
                    text.append(contentsOf: repeatElement(quote, count: run - 3))
                    pos += run
                    return String(decoding: text, as: UTF8.self)
                }
                text.append(contentsOf: repeatElement(quote, count: run))
                pos += run
            case ascii("\\") where !literal:
                var after = pos + 1
                while after < bytes.count, bytes[after] == ascii(" ") || bytes[after] == ascii("\t") { after += 1 }
                if after < bytes.count, bytes[after] == ascii("\n") || bytes[after] == ascii("\r") {
                    // A backslash ending a line: the line break and the blanks after it are dropped.
                    pos = after
                    while pos < bytes.count {
                        let blank = bytes[pos]
                        if blank == ascii(" ") || blank == ascii("\t") {
                            pos += 1
                        } else if blank == ascii("\n") || blank == ascii("\r") {
                            try consumeLineBreak()
                        } else {
                            break
                        }
                    }
                } else if after > pos + 1 {
                    throw error("a '\\' followed by spaces must end its line")
                } else {
                    try parseEscape(into: &text)
                }
            case ascii("\n"), ascii("\r"):
                try consumeLineBreak()
                text.append(ascii("\n"))
            default:
                if isControl(byte) { throw controlCharacter(in: "a string") }
                text.append(byte)
                pos += 1
            }
        }
    }

    /// At a `\`: appends what the escape stands for.
    private mutating func parseEscape(into text: inout [UInt8]) throws(TOMLError) {
        let start = pos
        pos += 1
        guard pos < bytes.count else { throw error("the string is never closed") }
        let letter = bytes[pos]
        pos += 1
        switch letter {
        case ascii("b"): text.append(0x08)
        case ascii("t"): text.append(0x09)
        case ascii("n"): text.append(0x0A)
        case ascii("f"): text.append(0x0C)
        case ascii("r"): text.append(0x0D)
        case ascii("\""): text.append(ascii("\""))
        case ascii("\\"): text.append(ascii("\\"))
        case ascii("u"), ascii("U"):
            let count = letter == ascii("u") ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard pos < bytes.count, let digit = hexValue(bytes[pos]) else {
                    throw error("\\\(letter == ascii("u") ? "u" : "U") needs \(count) hexadecimal digits", at: position(at: start))
                }
                value = value << 4 | UInt32(digit)
                pos += 1
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw error("\(String(decoding: bytes[start..<pos], as: UTF8.self)) is not a Unicode character", at: position(at: start))
            }
            text.append(contentsOf: String(Character(scalar)).utf8)
        default:
            pos = start
            let shown = start + 1 < bytes.count ? described(at: start + 1) : "nothing"
            throw error("unknown escape: '\\' followed by \(shown) (TOML has \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)")
        }
    }

    // MARK: numbers, dates, times

    private mutating func parseNumber() throws(TOMLError) -> TOMLValue {
        let start = pos
        var sign: UInt8? = nil
        if bytes[pos] == ascii("+") || bytes[pos] == ascii("-") { sign = bytes[pos]; pos += 1 }
        if matches("inf") || matches("nan") {
            let infinite = bytes[pos] == ascii("i")
            pos += 3
            let magnitude = infinite ? Double.infinity : Double.nan
            return .float(sign == ascii("-") ? -magnitude : magnitude)
        }
        guard pos < bytes.count, isDigit(bytes[pos]) else {
            throw error("expected a value (a \"string\", a number, true or false, a date, [an array] or {a table}), saw \(described(at: start))",
                        at: position(at: start))
        }
        if bytes[pos] == ascii("0"), pos + 1 < bytes.count, let radix = [ascii("x"): 16, ascii("o"): 8, ascii("b"): 2][bytes[pos + 1]] {
            guard sign == nil else { throw error("hexadecimal, octal and binary integers cannot have a sign", at: position(at: start)) }
            pos += 2
            let digits = try digitRun(radix: radix)
            var value: UInt64 = 0
            for digit in digits {
                let (shifted, overflow) = value.multipliedReportingOverflow(by: UInt64(radix))
                guard !overflow, shifted + UInt64(hexValue(digit)!) <= UInt64(Int64.max) else {
                    throw error("the integer does not fit in 64 bits", at: position(at: start))
                }
                value = shifted + UInt64(hexValue(digit)!)
            }
            return .integer(Int64(value))
        }
        if bytes[pos] == ascii("0"), pos + 1 < bytes.count, isDigit(bytes[pos + 1]) || bytes[pos + 1] == ascii("_") {
            throw error("a number cannot start with a zero (leading zeros are not allowed)", at: position(at: start))
        }
        var text = sign.map { [$0] } ?? []
        text += try digitRun(radix: 10)
        var isFloat = false
        if pos < bytes.count, bytes[pos] == ascii(".") {
            pos += 1
            isFloat = true
            text.append(ascii("."))
            text += try digitRun(radix: 10)
        }
        if pos < bytes.count, bytes[pos] == ascii("e") || bytes[pos] == ascii("E") {
            pos += 1
            isFloat = true
            text.append(ascii("e"))
            if pos < bytes.count, bytes[pos] == ascii("+") || bytes[pos] == ascii("-") { text.append(bytes[pos]); pos += 1 }
            text += try digitRun(radix: 10)
        }
        let written = String(decoding: text, as: UTF8.self)
        if isFloat {
            guard let value = Double(written) else { throw error("\(written) is not a number", at: position(at: start)) }
            return .float(value)
        }
        guard let value = Int64(written) else { throw error("the integer does not fit in 64 bits", at: position(at: start)) }
        return .integer(value)
    }

    /// Digits of `radix`, with single underscores between them; returns the digits.
    private mutating func digitRun(radix: Int) throws(TOMLError) -> [UInt8] {
        var digits: [UInt8] = []
        func isRadixDigit(_ byte: UInt8) -> Bool { hexValue(byte).map { $0 < radix } ?? false }
        guard pos < bytes.count, isRadixDigit(bytes[pos]) else { throw error("expected a digit, saw \(described(at: pos))") }
        while pos < bytes.count {
            if isRadixDigit(bytes[pos]) {
                digits.append(bytes[pos])
            } else if bytes[pos] == ascii("_") {
                guard pos + 1 < bytes.count, isRadixDigit(bytes[pos + 1]) else {
                    throw error("an underscore in a number must stand between two digits")
                }
            } else {
                break
            }
            pos += 1
        }
        return digits
    }

    private func isDateAhead() -> Bool {
        pos + 4 < bytes.count && bytes[pos..<(pos + 4)].allSatisfy(isDigit) && bytes[pos + 4] == ascii("-")
    }

    private func isTimeAhead() -> Bool {
        pos + 2 < bytes.count && isDigit(bytes[pos]) && isDigit(bytes[pos + 1]) && bytes[pos + 2] == ascii(":")
    }

    private mutating func parseDateTime() throws(TOMLError) -> TOMLValue {
        let start = position(at: pos)
        let year = try fixedDigits(4)
        try expect(ascii("-"))
        let month = try fixedDigits(2)
        try expect(ascii("-"))
        let day = try fixedDigits(2)
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), day >= 1, day <= days[month - 1] else {
            throw error("\(String(decoding: bytes[(pos - 10)..<pos], as: UTF8.self)) is not a date", at: start)
        }
        let separated = pos < bytes.count && (bytes[pos] == ascii("T") || bytes[pos] == ascii("t"))
        let spaced = pos + 3 < bytes.count && bytes[pos] == ascii(" ") && isDigit(bytes[pos + 1]) && isDigit(bytes[pos + 2])
            && bytes[pos + 3] == ascii(":")
        guard separated || spaced else {
            var date = TOMLDateTime(hasDate: true, hasTime: false)
            (date.year, date.month, date.day) = (year, month, day)
            return .localDate(date)
        }
        pos += 1
        var value = try parseTime(hasDate: true)
        (value.year, value.month, value.day) = (year, month, day)
        guard pos < bytes.count else { return .localDateTime(value) }
        switch bytes[pos] {
        case ascii("Z"), ascii("z"):
            pos += 1
            value.offsetMinutes = 0
        case ascii("+"), ascii("-"):
            let negative = bytes[pos] == ascii("-")
            let offsetStart = position(at: pos)
            pos += 1
            let hours = try fixedDigits(2)
            try expect(ascii(":"))
            let minutes = try fixedDigits(2)
            guard hours <= 23, minutes <= 59 else { throw error("the time offset is not HH:MM", at: offsetStart) }
            value.offsetMinutes = (negative ? -1 : 1) * (hours * 60 + minutes)
        default:
            return .localDateTime(value)
        }
        return .offsetDateTime(value)
    }

    /// `HH:MM:SS` with an optional fraction.
    private mutating func parseTime(hasDate: Bool) throws(TOMLError) -> TOMLDateTime {
        let start = position(at: pos)
        var time = TOMLDateTime(hasDate: hasDate, hasTime: true)
        time.hour = try fixedDigits(2)
        try expect(ascii(":"))
        time.minute = try fixedDigits(2)
        try expect(ascii(":"))
        time.second = try fixedDigits(2)
        guard time.hour <= 23, time.minute <= 59, time.second <= 59 else { throw error("the time is not HH:MM:SS", at: start) }
        if pos < bytes.count, bytes[pos] == ascii(".") {
            pos += 1
            let fractionStart = pos
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            guard pos > fractionStart else { throw error("expected digits after the seconds' '.', saw \(described(at: pos))") }
            time.fraction = String(decoding: bytes[fractionStart..<pos], as: UTF8.self)
        }
        return time
    }

    private mutating func fixedDigits(_ count: Int) throws(TOMLError) -> Int {
        var value = 0
        for _ in 0..<count {
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("expected a digit in the date or time, saw \(described(at: pos))") }
            value = value * 10 + Int(bytes[pos] - ascii("0"))
            pos += 1
        }
        return value
    }

    private mutating func expect(_ byte: UInt8) throws(TOMLError) {
        guard pos < bytes.count, bytes[pos] == byte else {
            throw error("expected '\(Character(Unicode.Scalar(byte)))' in the date or time, saw \(described(at: pos))")
        }
        pos += 1
    }

    // MARK: the finished tree

    private func table(of index: Int) -> TOMLTable {
        let node = nodes[index]
        return TOMLTable(entries: node.keys.map { key in
            let child = node.children[key]!
            return TOMLTable.Entry(key: key, value: value(of: child), keyPosition: nodes[child].keyPosition,
                                   valuePosition: nodes[child].valuePosition)
        })
    }

    private func value(of index: Int) -> TOMLValue {
        switch nodes[index].kind {
        case .scalar(let value): value
        case .staticArray, .tableArray: .array(nodes[index].elements.map(value(of:)))
        case .table: .table(table(of: index))
        }
    }

    // MARK: bytes, positions, messages

    private mutating func position(at offset: Int) -> TOMLPosition {
        if columnCacheOffset < lineStart || offset < columnCacheOffset {
            columnCacheOffset = lineStart
            columnCacheValue = 1
        }
        while columnCacheOffset < offset, columnCacheOffset < bytes.count {
            if bytes[columnCacheOffset] & 0xC0 != 0x80 { columnCacheValue += 1 }
            columnCacheOffset += 1
        }
        return TOMLPosition(line: line, column: columnCacheValue)
    }

    private mutating func error(_ message: String) -> TOMLError {
        TOMLError(.syntax, message, at: position(at: pos))
    }

    private func error(_ message: String, at position: TOMLPosition) -> TOMLError {
        TOMLError(.syntax, message, at: position)
    }

    private func error(_ kind: TOMLError.Kind, _ message: String, at position: TOMLPosition) -> TOMLError {
        TOMLError(kind, message, at: position)
    }

    private mutating func controlCharacter(in place: String) -> TOMLError {
        error("\(place) cannot hold control characters, saw \(described(at: pos)) (write it as an escape such as \\u0001)")
    }

    /// What is at `offset`, for messages: a word, a character, or a name for the invisible ones.
    private func described(at offset: Int) -> String {
        guard offset < bytes.count else { return "the end of the document" }
        let byte = bytes[offset]
        switch byte {
        case ascii("\n"), ascii("\r"): return "the end of the line"
        case ascii(" "): return "a space"
        case ascii("\t"): return "a tab"
        default: break
        }
        if isBareKey(byte) {
            var end = offset
            while end < bytes.count, end - offset < 24, isBareKey(bytes[end]) { end += 1 }
            return "'" + String(decoding: bytes[offset..<end], as: UTF8.self) + "'"
        }
        var end = offset + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let character = String(decoding: bytes[offset..<end], as: UTF8.self)
        guard let scalar = character.unicodeScalars.first, scalar.value >= 0x20, scalar.value != 0x7F,
              !(0x80...0x9F).contains(scalar.value) else {
            let hex = String(character.unicodeScalars.first?.value ?? 0, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return "'\(character)'"
    }

    private func dotted(_ key: ArraySlice<KeyPart>) -> String {
        key.map { part in
            part.name.utf8.allSatisfy(isBareKey) && !part.name.isEmpty ? part.name : "\"\(part.name)\""
        }.joined(separator: ".")
    }

    private func matches(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard pos + count <= bytes.count else { return false }
        return word.withUTF8Buffer { bytes[pos..<(pos + count)].elementsEqual($0) }
    }

    private func startsTriple(_ quote: UInt8) -> Bool {
        pos + 2 < bytes.count && bytes[pos + 1] == quote && bytes[pos + 2] == quote
    }
}

private func ascii(_ character: Unicode.Scalar) -> UInt8 { UInt8(character.value) }

private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

private func isBareKey(_ byte: UInt8) -> Bool {
    (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || isDigit(byte) || byte == 0x2D || byte == 0x5F
}

/// C0 controls except tab, and DEL: refused everywhere outside escapes.
private func isControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != 0x09) || byte == 0x7F }

private func hexValue(_ byte: UInt8) -> Int? {
    switch byte {
    case 0x30...0x39: Int(byte - 0x30)
    case 0x41...0x46: Int(byte - 0x41 + 10)
    case 0x61...0x66: Int(byte - 0x61 + 10)
    default: nil
    }
}
