import Foundation
import PicoTOML
import Yams

/// A value from front matter or `pico.toml`, whichever format it was written in.
public indirect enum MetaValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([MetaValue])
    case table([String: MetaValue])

    public var string: String? {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): String(b)
        default: nil
        }
    }

    /// What a Mustache template sees.
    var templateValue: Any {
        switch self {
        case .string(let s): s
        case .int(let i): i
        case .double(let d): d
        case .bool(let b): b
        case .array(let items): items.map(\.templateValue)
        case .table(let members): members.mapValues(\.templateValue)
        }
    }

    /// Dates and times become text, without fractions of a second: `YYYY-MM-DD`,
    /// `YYYY-MM-DDTHH:MM:SS` with `Z` or `±HH:MM` when it has an offset, `HH:MM:SS`.
    init(toml value: TOMLValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .integer(let i): self = .int(Int(i))
        case .float(let d): self = .double(d)
        case .bool(let b): self = .bool(b)
        case .localDate(let d): self = .string(d.dateText)
        case .localDateTime(let dt): self = .string(dt.dateText + "T" + dt.timeText)
        case .offsetDateTime(let dt): self = .string(dt.dateText + "T" + dt.timeText + dt.offsetText)
        case .localTime(let t): self = .string(t.timeText)
        case .array(let items): self = .array(items.map(MetaValue.init(toml:)))
        case .table(let table): self = .table(MetaValue.table(toml: table))
        }
    }

    static func plainScalar(_ text: String) -> MetaValue {
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        guard let first = text.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
                || first == UInt8(ascii: ".") || (first >= 0x30 && first <= 0x39) else { return .string(text) }
        if let i = Int(text) { return .int(i) }
        if text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e")
            || $0 == UInt8(ascii: "E") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }),
           text.contains("."), let d = Double(text) {
            return .double(d)
        }
        return .string(text)
    }

    static func table(toml table: TOMLTable) -> [String: MetaValue] {
        var members: [String: MetaValue] = [:]
        for entry in table { members[entry.key] = MetaValue(toml: entry.value) }
        return members
    }

    init(yaml node: Node) {
        switch node {
        case .scalar(let scalar):
            // Quoted scalars are strings; plain ones follow YAML 1.2's core schema, typed here
            // directly: Yams' resolver runs regular expressions, slow over thousands of pages.
            self = scalar.style == .plain ? Self.plainScalar(scalar.string) : .string(scalar.string)
        case .sequence(let sequence):
            self = .array(sequence.map(MetaValue.init(yaml:)))
        case .mapping(let mapping):
            var members: [String: MetaValue] = [:]
            for (key, value) in mapping { members[key.string ?? ""] = MetaValue(yaml: value) }
            self = .table(members)
        @unknown default:
            self = .string(node.string ?? "")
        }
    }
}
