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

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]

    /// `2024-03-01…` → `1 March 2024`; anything else is given back cut to its date part.
    public static func longDate(_ date: String) -> String {
        let parts = date.prefix(10).split(separator: "-")
        guard parts.count == 3, let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month) else {
            return String(date.prefix(10))
        }
        return "\(day) \(monthNames[month - 1]) \(parts[0])"
    }

    /// `Offline Web!` → `offline-web`: letters and digits kept, runs of anything else one `-`.
    public static func slug(_ text: String, fallback: String) -> String {
        var out = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber { out.append(character) }
            else if !out.isEmpty, !out.hasSuffix("-") { out.append("-") }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? fallback : out
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
