import Foundation
import PicoFiles

/// A path inside a bundle: relative, `/`-separated, NFC, with no `.` or `..` segment, no
/// backslash, no leading `/`, no control characters (C0, DEL, C1), no bidirectional
/// formatting characters (they make a name display as another) and no empty segment. The
/// paths of one bundle together must also be able to exist on a disk: see `conflicts(among:)`.
///
/// Paths come from manifests, archives, journals, relays and requests, so every path is a
/// `String` until it has been through `BundlePath(validating:)`, once, where it comes in; from
/// there on it is a `BundlePath`. The rules are applied nowhere else.
public struct BundlePath: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String

    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case empty, absolute, backslash, dotSegment, emptySegment, controlCharacter, bidiControl, notNFC

        public var description: String {
            switch self {
            case .empty: "the path is empty"
            case .absolute: "the path is absolute"
            case .backslash: "the path contains a backslash"
            case .dotSegment: "the path has a '.' or '..' segment"
            case .emptySegment: "the path has an empty segment ('//' or a trailing '/')"
            case .controlCharacter: "the path contains a control character"
            case .bidiControl: "the path contains a bidirectional formatting character (it would display as another name)"
            case .notNFC: "the path is not in Unicode NFC form"
            }
        }
    }

    /// `string`, if it keeps every rule; else the first rule it breaks.
    public init(validating string: String) throws(Problem) {
        if let problem = Self.problem(in: string) { throw problem }
        self.string = string
    }

    private static func problem(in string: String) -> Problem? {
        if string.isEmpty { return .empty }
        if string.hasPrefix("/") { return .absolute }
        for scalar in string.unicodeScalars {
            if scalar == "\\" { return .backslash }
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { return .controlCharacter }
            if Self.isBidiControl(scalar) { return .bidiControl }
        }
        for segment in string.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return .emptySegment }
            if segment == "." || segment == ".." { return .dotSegment }
        }
        // Windows drive letters ("C:") would make the path absolute on another system. (The
        // byte tests first: counting characters and normalising cost more than every other
        // rule together, and a verify runs this for each file of the manifest.)
        if string.utf8.contains(UInt8(ascii: ":")), string.count >= 2, string.dropFirst().first == ":" { return .absolute }
        // Text that is all ASCII is NFC.
        if !string.utf8.allSatisfy({ $0 < 0x80 }),
           string.precomposedStringWithCanonicalMapping.utf8.elementsEqual(string.utf8) == false {
            return .notNFC
        }
        return nil
    }

    /// LRM, RLM, ALM, the embeddings and overrides (U+202A-202E) and the isolates (U+2066-2069).
    static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// Two paths of one bundle that cannot both exist on a disk.
    public struct Conflict: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// `first` is a file and also a folder of `second` (`a` and `a/b`).
            case fileIsAlsoAFolder
            /// The two differ only in case: one overwrites the other on a case-insensitive
            /// disk (macOS, Windows, FAT32/exFAT drives).
            case caseTwins
        }
        public let kind: Kind
        public let first: String
        public let second: String

        public init(kind: Kind, first: String, second: String) {
            self.kind = kind
            self.first = first
            self.second = second
        }

        public var description: String {
            switch kind {
            case .fileIsAlsoAFolder: "\(first) is a file, but \(second) needs it to be a folder"
            case .caseTwins: "\(first) and \(second) differ only in case: a case-insensitive disk holds only one of them"
            }
        }
    }

    /// Every pair among a bundle's file paths that cannot exist side by side on a disk: a file
    /// that is also a folder of another path, and paths (or folders on them) that differ only
    /// in case. The build and verify both refuse a bundle with any. `paths` should each be
    /// safe (a `BundlePath`'s string); the result is sorted by the second path's bytes.
    public static func conflicts(among paths: some Sequence<String>) -> [Conflict] {
        // An array first, and the work out of the generic function: sorting and scanning the
        // generic sequence went through its witnesses for every comparison.
        conflicts(inOrder: Array(paths).sorted { $0.utf8Precedes($1) })
    }

    /// `conflicts(among:)` of paths sorted by their bytes.
    private static func conflicts(inOrder sorted: [String]) -> [Conflict] {
        var files = Set<PathBytes>()
        var folders: [PathBytes: String] = [:]   // folder bytes -> a path that needs it
        var spellings: [String: String] = [:]     // case-folded -> first spelling seen (files and folders)
        var conflicts: [Conflict] = []
        func fold(_ text: String) -> String {
            guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.folding(options: [.caseInsensitive], locale: nil) }
            // Most paths are lower case already: no new string for them.
            return text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? text.lowercased() : text
        }
        func spell(_ text: String) {
            let folded = fold(text)
            if let seen = spellings[folded] {
                if !seen.utf8.elementsEqual(text.utf8) {
                    conflicts.append(Conflict(kind: .caseTwins, first: seen, second: text))
                }
            } else {
                spellings[folded] = text
            }
        }
        let slash = UInt8(ascii: "/")
        for path in sorted {
            files.insert(PathBytes(path[...]))
            var bytes = path
            // Where its slashes are; nil for a path with an empty segment (then the old way).
            let slashes: [Int]? = bytes.withUTF8 { utf8 in
                guard utf8.first != slash, utf8.last != slash else { return nil }
                var offsets: [Int] = []
                for offset in utf8.indices where utf8[offset] == slash {
                    if utf8[offset - 1] == slash { return nil }
                    offsets.append(offset)
                }
                return offsets
            }
            if let slashes {
                // Each folder on the path is a slice of it up to a `/` (what joining its segments
                // gives when none is empty): looked up without a copy, made a string once when new.
                for offset in slashes {
                    let folder = PathBytes(path[..<path.utf8.index(path.utf8.startIndex, offsetBy: offset)])
                    if folders[folder] == nil {
                        let prefix = String(folder.text)
                        folders[PathBytes(prefix[...])] = path
                        spell(prefix)
                    }
                }
            } else {
                var prefix = ""
                for segment in path.split(separator: "/").dropLast() {
                    prefix += prefix.isEmpty ? String(segment) : "/" + segment
                    if folders[PathBytes(prefix[...])] == nil {
                        folders[PathBytes(prefix[...])] = path
                        spell(prefix)
                    }
                }
            }
            spell(path)
        }
        for (folder, needing) in folders where files.contains(folder) {
            conflicts.append(Conflict(kind: .fileIsAlsoAFolder, first: String(folder.text), second: needing))
        }
        return conflicts.sorted { $0.second.utf8Precedes($1.second) }
    }

    /// A path or folder hashed and compared by its UTF-8 bytes, as `[UInt8]` would be (not
    /// by canonical equivalence, as `String` is), without copying the bytes out.
    private struct PathBytes: Hashable {
        var text: Substring
        init(_ text: Substring) { self.text = text }
        static func == (a: PathBytes, b: PathBytes) -> Bool {
            var left = a.text, right = b.text
            return left.withUTF8 { x in
                right.withUTF8 { y in
                    x.count == y.count && (x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
                }
            }
        }
        func hash(into hasher: inout Hasher) {
            var text = text
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    public var description: String { string }

    /// Bundles sort paths by their UTF-8 bytes (the order of `SHA256SUMS`).
    public static func < (lhs: BundlePath, rhs: BundlePath) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }
}

/// A file a manifest lists whose path keeps the rules: what readers read and write. The
/// manifest's other files are the verifier's `unsafe-path` findings, and nothing is read or
/// written at them.
public struct SafeBundleFile: Sendable, Equatable {
    public let path: BundlePath
    /// The entry as the manifest lists it.
    public let listed: BundleFile

    public var size: Int { listed.size }
    public var sha256: String { listed.sha256 }
    public var type: String { listed.type }
}

extension BundleManifest {
    /// The listed files whose paths keep the rules, in manifest order, each path checked here
    /// once (a manifest is untrusted).
    public var safeFiles: [SafeBundleFile] {
        files.compactMap { file in (try? BundlePath(validating: file.path)).map { SafeBundleFile(path: $0, listed: file) } }
    }
}
