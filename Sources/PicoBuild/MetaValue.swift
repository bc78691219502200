import Foundation
import TOMLKit
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

    init(toml value: TOMLValue) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .int(value.int ?? 0)
        case .double: self = .double(value.double ?? 0)
        case .bool: self = .bool(value.bool ?? false)
        case .date:
            let d = value.date!
            self = .string(String(format: "%04d-%02d-%02d", d.year, d.month, d.day))
        case .dateTime:
            let dt = value.dateTime!
            var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", dt.date.year, dt.date.month, dt.date.day,
                              dt.time.hour, dt.time.minute, dt.time.second)
            if let offset = dt.offset {
                let minutes = offset.offset
                text += minutes == 0 ? "Z" : String(format: "%@%02d:%02d", minutes < 0 ? "-" : "+", abs(minutes) / 60, abs(minutes) % 60)
            }
            self = .string(text)
        case .time:
            let t = value.time!
            self = .string(String(format: "%02d:%02d:%02d", t.hour, t.minute, t.second))
        case .array: self = .array((value.array ?? TOMLArray()).map { MetaValue(toml: $0.tomlValue) })
        case .table: self = .table(MetaValue.table(toml: value.table ?? TOMLTable()))
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
        for key in table.keys {
            if let value = table[key] { members[key] = MetaValue(toml: value.tomlValue) }
        }
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
