import Foundation

/// A path inside a bundle: relative, `/`-separated, NFC, with no `.` or `..` segment, no
/// backslash, no leading `/`, no control characters and no empty segment.
///
/// Paths come from manifests, archives and relays, so every path is untrusted until it has
/// been through `BundlePath(validating:)`.
public struct BundlePath: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String

    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case empty, absolute, backslash, dotSegment, emptySegment, controlCharacter, notNFC

        public var description: String {
            switch self {
            case .empty: "the path is empty"
            case .absolute: "the path is absolute"
            case .backslash: "the path contains a backslash"
            case .dotSegment: "the path has a '.' or '..' segment"
            case .emptySegment: "the path has an empty segment ('//' or a trailing '/')"
            case .controlCharacter: "the path contains a control character"
            case .notNFC: "the path is not in Unicode NFC form"
            }
        }
    }

    public init(validating string: String) throws(Problem) {
        if let problem = Self.problem(in: string) { throw problem }
        self.string = string
    }

    /// For paths the program made itself from already-checked parts.
    init(trusted string: String) { self.string = string }

    public static func problem(in string: String) -> Problem? {
        if string.isEmpty { return .empty }
        if string.hasPrefix("/") { return .absolute }
        for scalar in string.unicodeScalars {
            if scalar == "\\" { return .backslash }
            if scalar.value < 0x20 || scalar.value == 0x7F { return .controlCharacter }
        }
        for segment in string.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return .emptySegment }
            if segment == "." || segment == ".." { return .dotSegment }
        }
        // Windows drive letters ("C:") would make the path absolute on another system.
        if string.count >= 2, string.dropFirst().first == ":" { return .absolute }
        if string.precomposedStringWithCanonicalMapping.utf8.elementsEqual(string.utf8) == false {
            return .notNFC
        }
        return nil
    }

    public var description: String { string }

    /// Bundles sort paths by their UTF-8 bytes (the order of `SHA256SUMS`).
    public static func < (lhs: BundlePath, rhs: BundlePath) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }
}
