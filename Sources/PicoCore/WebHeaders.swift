import Foundation

/// How a bundle's files are described to HTTP clients, the same from `pico serve` and from
/// an S3 bucket: the media type with its charset, and how long a cache may keep the file.
public enum WebHeaders {
    /// Pages, manifests and the service worker must be checked again on every visit; the rest
    /// may be cached for a while (its URL does not change when it does, so not forever).
    public static func cacheControl(for path: String) -> String {
        let lower = path.lowercased()
        if lower.hasSuffix(".html") || lower.hasSuffix(".htm") || lower.hasSuffix(".xhtml") || lower.hasSuffix(".webmanifest")
            || lower == "sw.js" || BundleManifest.describingFiles.contains(path) {
            return "no-cache"
        }
        return "public, max-age=3600"
    }

    /// The manifest's media type, with `charset=utf-8` for text that is UTF-8 unless it says
    /// otherwise in a way HTTP would override (CSS, JavaScript, JSON, plain text). Not for
    /// pages and XML, which say their encoding themselves: use `contentType(_:leading:)`.
    public static func contentType(_ type: String) -> String {
        if type == "text/html" || isXML(type) { return type }
        return type.hasPrefix("text/") || type == "application/json" || type == "application/manifest+json"
            ? type + "; charset=utf-8" : type
    }

    /// The media type of a file whose first bytes are `leading` (1,024 are enough): an HTML page
    /// gets the charset it declares (a byte order mark, `<meta charset>`, `<meta http-equiv>`),
    /// or none, so the browser reads it as it would from file://; XML (XHTML, SVG) none, as
    /// its own declaration (else UTF-8) is what a parser goes by.
    public static func contentType(_ type: String, leading: some Collection<UInt8>) -> String {
        guard type == "text/html" else { return contentType(type) }
        return HTMLCharset.declared(in: Array(leading.prefix(HTMLCharset.prescanBytes))).map { type + "; charset=" + $0 } ?? type
    }

    /// `contentType(_:leading:)` for a file on disk.
    public static func contentType(_ type: String, ofFileAt path: String) -> String {
        guard type == "text/html" else { return contentType(type) }
        let leading = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: HTMLCharset.prescanBytes)) ?? nil
        return contentType(type, leading: leading ?? Data())
    }

    static func isXML(_ type: String) -> Bool {
        type == "application/xhtml+xml" || type == "image/svg+xml" || type.hasSuffix("+xml") || type == "application/xml"
    }
}

/// The encoding an HTML page declares in its first 1,024 bytes, found as the HTML standard's
/// prescan finds it (a simplified but faithful version: BOM, then `<meta>` tags outside comments).
public enum HTMLCharset {
    public static let prescanBytes = 1024

    public static func declared(in bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return "utf-8" }
        if bytes.starts(with: [0xFE, 0xFF]) { return "utf-16be" }
        if bytes.starts(with: [0xFF, 0xFE]) { return "utf-16le" }
        let end = min(bytes.count, prescanBytes)
        func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D }
        func starts(_ word: String, at k: Int) -> Bool {
            var k = k
            for w in word.utf8 { guard k < end, lower(bytes[k]) == w else { return false }; k += 1 }
            return true
        }
        var i = 0
        while i < end {
            guard bytes[i] == UInt8(ascii: "<") else { i += 1; continue }
            if starts("<!--", at: i) {
                var j = i + 4
                while j + 2 < end, !(bytes[j] == UInt8(ascii: "-") && bytes[j + 1] == UInt8(ascii: "-") && bytes[j + 2] == UInt8(ascii: ">")) { j += 1 }
                i = j + 3
                continue
            }
            guard starts("<meta", at: i), i + 5 < end, isSpace(bytes[i + 5]) || bytes[i + 5] == UInt8(ascii: "/") else { i += 1; continue }
            // The tag's attributes.
            var j = i + 5
            var attributes: [String: String] = [:]
            while j < end, bytes[j] != UInt8(ascii: ">") {
                while j < end, isSpace(bytes[j]) || bytes[j] == UInt8(ascii: "/") { j += 1 }
                let nameStart = j
                while j < end, !isSpace(bytes[j]), bytes[j] != UInt8(ascii: "="), bytes[j] != UInt8(ascii: ">"), bytes[j] != UInt8(ascii: "/") { j += 1 }
                let name = String(decoding: bytes[nameStart..<j].map(lower), as: UTF8.self)
                while j < end, isSpace(bytes[j]) { j += 1 }
                var value = ""
                if j < end, bytes[j] == UInt8(ascii: "=") {
                    j += 1
                    while j < end, isSpace(bytes[j]) { j += 1 }
                    if j < end, bytes[j] == UInt8(ascii: "\"") || bytes[j] == UInt8(ascii: "'") {
                        let quote = bytes[j]
                        let valueStart = j + 1
                        j = valueStart
                        while j < end, bytes[j] != quote { j += 1 }
                        value = String(decoding: bytes[valueStart..<j].map(lower), as: UTF8.self)
                        j += 1
                    } else {
                        let valueStart = j
                        while j < end, !isSpace(bytes[j]), bytes[j] != UInt8(ascii: ">") { j += 1 }
                        value = String(decoding: bytes[valueStart..<j].map(lower), as: UTF8.self)
                    }
                }
                if name.isEmpty { if j < end, bytes[j] != UInt8(ascii: ">") { j += 1 }; continue }
                if attributes[name] == nil { attributes[name] = value }
            }
            if let charset = attributes["charset"], let label = label(charset) { return label }
            if attributes["http-equiv"] == "content-type", let content = attributes["content"],
               let at = content.range(of: "charset") {
                var rest = content[at.upperBound...].drop { $0 == " " }
                if rest.first == "=" {
                    rest = rest.dropFirst().drop { $0 == " " }
                    if rest.first == "\"" || rest.first == "'" { rest = rest.dropFirst() }
                    if let label = label(String(rest.prefix { !" ;\"'".contains($0) })) { return label }
                }
            }
            i = j + 1
        }
        return nil
    }

    /// A label fit for a header (letters, digits, `-_.:`); UTF-16 in a `<meta>` means UTF-8.
    static func label(_ text: String) -> String? {
        let label = text.trimmingCharacters(in: .whitespaces)
        guard !label.isEmpty, label.count <= 40,
              label.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.:".unicodeScalars.contains($0)) })
        else { return nil }
        return label.hasPrefix("utf-16") ? "utf-8" : label
    }
}
