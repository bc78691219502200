import Foundation

/// Small text forms shared by the CLI, the build and the library page.
public enum TextFormats {
    /// `1234567` → `1.2 MB` (decimal units, as drives are sold).
    public static func bytes(_ count: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// `text` safe to show on a terminal: control characters (C0, DEL, C1) and bidirectional
    /// formatting characters written as `\x1B` or `\u{202E}`, so a file name cannot move the
    /// cursor, recolour, or draw a fake line. With `keepingNewlines`, `\n` and `\t` stay (for
    /// messages pico itself puts on several lines).
    public static func escapingControls(_ text: String, keepingNewlines: Bool = false) -> String {
        func unsafe(_ scalar: Unicode.Scalar) -> Bool {
            if keepingNewlines, scalar == "\n" || scalar == "\t" { return false }
            return scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || BundlePath.isBidiControl(scalar)
                || scalar.value == 0x2028 || scalar.value == 0x2029
        }
        guard text.unicodeScalars.contains(where: unsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if !unsafe(scalar) { out.append(scalar); continue }
            let escaped = scalar.value < 0x100 ? "\\x" + hex(scalar.value, width: 2) : "\\u{" + hex(scalar.value, width: 4) + "}"
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A path segment written as a URL writes it (`my photo` → `my%20photo`).
    public static func urlSegment(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? segment
    }

    private static let segmentAllowed: CharacterSet = {
        var set = CharacterSet.urlPathAllowed
        set.remove(charactersIn: "/?#;")
        return set
    }()
}
