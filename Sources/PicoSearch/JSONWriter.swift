import Foundation

/// JSON text built as bytes: strings escaped the one way (", \ and controls; U+2028 and U+2029
/// too, for JavaScript parsers older than ES2019), everything else as UTF-8.
struct JSONWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes += text.utf8 }

    /// Already-encoded JSON members or values, comma-separated.
    mutating func joined(_ items: [[UInt8]]) {
        for (position, item) in items.enumerated() {
            if position > 0 { bytes.append(0x2C) }
            bytes += item
        }
    }

    mutating func string(_ text: String) {
        bytes.append(0x22)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": bytes += [0x5C, 0x22]
            case "\\": bytes += [0x5C, 0x5C]
            case "\n": bytes += [0x5C, 0x6E]
            case "\r": bytes += [0x5C, 0x72]
            case "\t": bytes += [0x5C, 0x74]
            case "\u{2028}", "\u{2029}": bytes += Array(String(format: "\\u%04x", scalar.value).utf8)
            default:
                if scalar.value < 0x20 {
                    bytes += Array(String(format: "\\u%04x", scalar.value).utf8)
                } else {
                    bytes += String(scalar).utf8
                }
            }
        }
        bytes.append(0x22)
    }
}

/// Unsigned LEB128.
enum Varint {
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// The numbers of `bytes`, or nil when the last is cut off.
    static func decode(_ bytes: [UInt8]) -> [UInt64]? {
        var out: [UInt64] = []
        var value: UInt64 = 0, shift: UInt64 = 0
        for byte in bytes {
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                out.append(value)
                value = 0
                shift = 0
            } else {
                shift += 7
                if shift > 63 { return nil }
            }
        }
        return shift == 0 ? out : nil
    }
}
