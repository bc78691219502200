// The values a TOML 1.0 document holds, with the source position of every key.

/// A place in the document: 1-based line and column (columns count Unicode scalars).
public struct TOMLPosition: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}

/// A TOML value. Dates and times keep their parts as written (see `TOMLDateTime`).
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    /// `1979-05-27T07:32:00Z`, `1979-05-27 07:32:00-07:00`
    case offsetDateTime(TOMLDateTime)
    /// `1979-05-27T07:32:00`
    case localDateTime(TOMLDateTime)
    /// `1979-05-27`
    case localDate(TOMLDateTime)
    /// `07:32:00.999`
    case localTime(TOMLDateTime)
    case array([TOMLValue])
    case table(TOMLTable)
}

/// The parts of a TOML date, time or date-time. Which parts are present follows from the
/// `TOMLValue` case that holds it.
public struct TOMLDateTime: Sendable, Hashable, CustomStringConvertible {
    public var year = 0, month = 0, day = 0
    public var hour = 0, minute = 0, second = 0
    /// The digits after the seconds' `.` as written ("" when there are none).
    public var fraction = ""
    /// Minutes east of UTC; nil for local dates and times.
    public var offsetMinutes: Int?
    let hasDate: Bool
    let hasTime: Bool

    init(hasDate: Bool, hasTime: Bool) {
        self.hasDate = hasDate
        self.hasTime = hasTime
    }

    /// `YYYY-MM-DD`
    public var dateText: String { pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) }
    /// `HH:MM:SS`, without the fraction.
    public var timeText: String { pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2) }
    /// `Z`, `+HH:MM` or `-HH:MM`; "" for local values.
    public var offsetText: String {
        guard let minutes = offsetMinutes else { return "" }
        if minutes == 0 { return "Z" }
        return (minutes < 0 ? "-" : "+") + pad(abs(minutes) / 60, 2) + ":" + pad(abs(minutes) % 60, 2)
    }

    /// RFC 3339 text: `T` between date and time, the fraction as written, `Z` for a zero offset.
    public var description: String {
        var text = hasDate ? dateText : ""
        if hasTime {
            if hasDate { text += "T" }
            text += timeText
            if !fraction.isEmpty { text += "." + fraction }
            text += offsetText
        }
        return text
    }

    private func pad(_ number: Int, _ width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// A table: its keys in document order, each with where the key and its value were written.
public struct TOMLTable: Sendable, Equatable, Sequence {
    public struct Entry: Sendable, Equatable {
        public let key: String
        public let value: TOMLValue
        /// Where the key was written (for a table made by `[a.b]` or `a.b = 1`, where its name was
        /// first written).
        public let keyPosition: TOMLPosition
        /// Where the value starts (for a table: where it was first opened).
        public let valuePosition: TOMLPosition
    }

    public private(set) var entries: [Entry] = []
    private var indexByKey: [String: Int] = [:]

    public init() {}

    init(entries: [Entry]) {
        self.entries = entries
        for (index, entry) in entries.enumerated() { indexByKey[entry.key] = index }
    }

    public subscript(key: String) -> TOMLValue? { entry(key)?.value }
    public func entry(_ key: String) -> Entry? { indexByKey[key].map { entries[$0] } }
    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    public static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool { lhs.entries == rhs.entries }
}

/// Why a document could not be read, and where.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not TOML: a character, a value or a line that cannot be read.
        case syntax
        /// Valid text that defines a key or table twice, or changes an inline table or array.
        case redefinition
        /// Tables and arrays nested deeper than the parser's limit.
        case tooDeep
    }

    public let kind: Kind
    public let line: Int
    public let column: Int
    public let message: String

    public init(_ kind: Kind, _ message: String, at position: TOMLPosition) {
        self.kind = kind
        self.message = message
        line = position.line
        column = position.column
    }

    public var position: TOMLPosition { TOMLPosition(line: line, column: column) }
    public var description: String { "line \(line), column \(column): \(message)" }
}
