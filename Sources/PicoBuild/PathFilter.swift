import Foundation

/// Decides which input files may enter a bundle. Dotfiles and dot-folders (`.git`, `.env`,
/// `.DS_Store`), and files that look like secret keys, stay out unless `[build] include`
/// names them; `[build] exclude` leaves out more.
public struct PathFilter: Sendable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    /// File names that hold keys or credentials.
    static let secretNames: Set<String> = [
        "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "credentials", "pico.key", "nsec",
    ]
    static let secretExtensions: Set<String> = ["key", "pem", "p12", "pfx", "nsec", "keystore", "jks", "asc", "gpg"]

    /// Whether the file or folder at `path` (relative, `/`-separated) is taken.
    public func admits(_ path: String) -> Bool {
        if exclude.contains(where: { Glob.matches($0, path) }) { return false }
        if Self.isHiddenByDefault(path) {
            return include.contains { Glob.matches($0, path) || Glob.matchesPrefix($0, of: path) }
        }
        return true
    }

    public static func isHiddenByDefault(_ path: String) -> Bool {
        for segment in path.split(separator: "/") where segment.hasPrefix(".") { return true }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if secretNames.contains(name) { return true }
        if let dot = name.lastIndex(of: "."), secretExtensions.contains(name[name.index(after: dot)...].lowercased()) {
            return true
        }
        return false
    }
}

/// Shell-style globs over `/`-separated paths: `*` and `?` stay within a segment, `**` spans
/// segments. A pattern without a `/` matches the file name at any depth.
enum Glob {
    static func matches(_ pattern: String, _ path: String) -> Bool {
        if !pattern.contains("/") {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return match(Array(pattern.utf8)[...], Array(name.utf8)[...])
        }
        return match(Array(pattern.utf8)[...], Array(path.utf8)[...])
    }

    /// True when `path` is a folder on the way to something the pattern matches, so that
    /// `include = [".well-known/**"]` lets the walk enter `.well-known`.
    static func matchesPrefix(_ pattern: String, of path: String) -> Bool {
        let patternSegments = pattern.split(separator: "/")
        let pathSegments = path.split(separator: "/")
        guard pathSegments.count < patternSegments.count else { return false }
        for (p, s) in zip(patternSegments, pathSegments) {
            if p == "**" { return true }
            if !match(Array(p.utf8)[...], Array(s.utf8)[...]) { return false }
        }
        return true
    }

    private static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        guard let first = p.first else { return s.isEmpty }
        let star = UInt8(ascii: "*"), slash = UInt8(ascii: "/")
        if first == star {
            let isDouble = p.dropFirst().first == star
            var rest = p.dropFirst(isDouble ? 2 : 1)
            if isDouble, rest.first == slash {
                // "**/" also matches nothing at all.
                rest = rest.dropFirst()
                if match(rest, s) { return true }
            }
            var i = s.startIndex
            while true {
                if match(rest, s[i...]) { return true }
                if i == s.endIndex { return false }
                if !isDouble, s[i] == slash { return false }
                i += 1
            }
        }
        guard let c = s.first else { return false }
        if first == UInt8(ascii: "?") ? c != slash : first == c {
            return match(p.dropFirst(), s.dropFirst())
        }
        return false
    }
}
