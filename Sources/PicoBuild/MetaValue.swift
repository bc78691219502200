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
            // Quoted scalars are strings; plain ones follow YAML's core schema.
            if scalar.style == .plain {
                if let b = node.bool { self = .bool(b); return }
                if let i = node.int { self = .int(i); return }
                if node.tag == Tag(.float), let d = node.float { self = .double(d); return }
            }
            self = .string(scalar.string)
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
