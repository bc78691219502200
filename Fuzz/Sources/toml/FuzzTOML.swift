// Feeds bytes to PicoTOML's parser. Beyond "no crash": every error lies inside the document, and
// every document read is written back as TOML (inline tables only) that reads to the same values.
import Foundation
import PicoTOML

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let text = String(data: Data(bytes: start, count: count), encoding: .utf8) else { return 0 }
    let lines = text.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    do {
        let table = try TOMLDocument.parse(text)
        for entry in table {
            precondition(entry.keyPosition.line >= 1 && entry.keyPosition.line <= lines && entry.keyPosition.column >= 1)
            precondition(entry.valuePosition.line >= entry.keyPosition.line)
        }
        let written = table.map { "\(quoted($0.key)) = \(toml($0.value))\n" }.joined()
        do {
            let again = try TOMLDocument.parse(written)
            precondition(same(.table(table), .table(again)), "written back differently:\n\(written)")
        } catch {
            preconditionFailure("written back as TOML that does not read (\(error)):\n\(written)")
        }
    } catch {
        precondition(error.line >= 1 && error.line <= lines && error.column >= 1, "error outside the document: \(error)")
        precondition(!error.message.isEmpty)
    }
    return 0
}

/// The value as TOML text, tables written inline.
func toml(_ value: TOMLValue) -> String {
    switch value {
    case .string(let text): return quoted(text)
    case .integer(let number): return String(number)
    case .float(let number):
        if number.isNaN { return "nan" }
        if number.isInfinite { return number < 0 ? "-inf" : "inf" }
        return "\(number)"
    case .bool(let flag): return String(flag)
    case .offsetDateTime(let d), .localDateTime(let d), .localDate(let d), .localTime(let d): return d.description
    case .array(let items): return "[" + items.map(toml).joined(separator: ", ") + "]"
    case .table(let table): return "{" + table.map { "\(quoted($0.key)) = \(toml($0.value))" }.joined(separator: ", ") + "}"
    }
}

func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// Equal values, positions aside (NaN equals NaN).
func same(_ a: TOMLValue, _ b: TOMLValue) -> Bool {
    switch (a, b) {
    case (.float(let x), .float(let y)): return x.isNaN ? y.isNaN : x == y && x.sign == y.sign
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(same)
    case (.table(let x), .table(let y)):
        return x.keys == y.keys && zip(x, y).allSatisfy { same($0.value, $1.value) }
    default: return a == b
    }
}
