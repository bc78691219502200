import Foundation
import PicoCore
#if canImport(Glibc)
import Glibc
#endif

/// Decides which input files may enter a bundle. Dotfiles and dot-folders (`.git`, `.env`,
/// `.DS_Store`) stay out unless `[build] include` matches them; files that look like keys or
/// credentials (by name here, by content in `KeyMaterialScanner`) stay out unless an include pattern
/// names them without wildcards, so `include = [".*"]` taken for `.htaccess` does not also take
/// `.htpasswd`. `[build] exclude` leaves out more.
public struct PathFilter: Sendable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    /// File names that hold keys or credentials.
    static let secretNames: Set<String> = [
        "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "credentials", "pico.key", "nsec",
        ".npmrc", ".pypirc", ".netrc", ".pgpass", ".htpasswd", ".git-credentials", ".dockercfg", ".s3cfg", ".boto",
        ".env", "terraform.tfstate", "terraform.tfstate.backup",
    ]
    /// Folders that hold nothing but keys and credentials.
    static let secretFolders: Set<String> = [".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker"]
    /// Endings of key, keystore and password-database files; any ending of the name counts,
    /// so `server.key.orig` and `site.pem.bak` are caught too.
    static let secretExtensions: Set<String> = [
        "key", "pem", "p12", "pfx", "nsec", "keystore", "jks", "asc", "gpg", "ppk", "kdbx", "kdb", "tfstate", "p8",
    ]
    /// Names of settings files that usually hold secrets, with the endings such files have.
    static let secretStems: Set<String> = ["secrets", "secret", "credentials", "service-account"]
    static let dataExtensions: Set<String> = ["json", "yml", "yaml", "toml", "ini", "env", "txt", "csv", "xml", "conf", "cfg", "properties"]
    static let sshKeyPrefixes = ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]

    /// Whether the file or folder at `path` (relative, `/`-separated) is taken.
    public func admits(_ path: String) -> Bool {
        if exclude.contains(where: { Glob.matches($0, path) }) { return false }
        if Self.looksSecret(path) {
            return include.contains { !Glob.hasWildcard($0) && (Glob.matches($0, path) || Glob.matchesPrefix($0, of: path)) }
        }
        if Self.isDotted(path) {
            return include.contains { Glob.matches($0, path) || Glob.matchesPrefix($0, of: path) }
        }
        return true
    }

    /// Whether an include pattern names exactly this file (what it takes to let in a file that
    /// looks secret).
    func namesExactly(_ path: String) -> Bool {
        include.contains { !Glob.hasWildcard($0) && Glob.matches($0, path) }
    }

    public static func isHiddenByDefault(_ path: String) -> Bool {
        isDotted(path) || looksSecret(path)
    }

    static func isDotted(_ path: String) -> Bool {
        path.split(separator: "/").contains { $0.hasPrefix(".") }
    }

    /// A key or credential file by its name (or a folder of them).
    static func looksSecret(_ path: String) -> Bool {
        let segments = path.split(separator: "/")
        if segments.dropLast().contains(where: { secretFolders.contains(String($0)) }) { return true }
        guard let last = segments.last else { return false }
        let name = String(last)
        if secretNames.contains(name) || secretFolders.contains(name) { return true }
        let lower = name.lowercased()
        // id_rsa.bak, id_ed25519.old …, but not the public half (id_rsa.pub).
        if sshKeyPrefixes.contains(where: { lower.hasPrefix($0) }), !lower.hasSuffix(".pub") { return true }
        if lower.hasPrefix(".env.") { return true }
        let parts = lower.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count > 1, parts.dropFirst().contains(where: { secretExtensions.contains(String($0)) }) { return true }
        if parts.count == 2, secretStems.contains(String(parts[0])), dataExtensions.contains(String(parts[1])) { return true }
        return false
    }
}

/// Shell-style globs over `/`-separated paths: `*` and `?` stay within a segment, `**` spans
/// segments. A pattern without a `/` matches the file name at any depth.
enum Glob {
    static func hasWildcard(_ pattern: String) -> Bool {
        pattern.contains("*") || pattern.contains("?")
    }

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

/// Secret keys recognised by what a file holds, whatever it is called: a pico key file
/// renamed to `notes.txt` must not enter a bundle. Only the first `scannedBytes` of a file are
/// looked at, and media files not at all, so the scan costs one small read per text file.
enum KeyMaterialScanner {
    static let scannedBytes = 4096

    /// Endings of files that are never key files (images, audio, video, fonts, archives).
    static let mediaExtensions: Set<String> = [
        "png", "jpg", "jpeg", "gif", "webp", "avif", "ico", "bmp", "tif", "tiff", "heic", "svgz",
        "mp4", "webm", "mov", "m4v", "mkv", "avi", "mp3", "m4a", "ogg", "oga", "opus", "wav", "flac",
        "woff", "woff2", "ttf", "otf", "eot", "pdf", "zip", "gz", "tgz", "bz2", "xz", "zst", "7z", "wasm",
    ]

    static func isMedia(_ path: String) -> Bool {
        guard let dot = path.lastIndex(of: ".") else { return false }
        return mediaExtensions.contains(path[path.index(after: dot)...].lowercased())
    }

    struct Found: Equatable {
        /// What was found, e.g. "a PEM private key".
        var kind: String
        /// Where it starts in the bytes scanned.
        var offset: Int
    }

    /// The first key the bytes hold, or nil. `path` exempts files that hold a bare hash.
    /// Two `memchr` passes, over `P` and `1`, both rare in prose: pages are scanned whole.
    static func find(in bytes: UnsafeBufferPointer<UInt8>, path: String) -> Found? {
        // `-----BEGIN [TYPE ]PRIVATE KEY[ BLOCK]-----`, not "PRIVATE KEY" in prose; the error
        // points at the line it is on.
        func pemLine(_ at: Int) -> String? {
            guard matches("PRIVATE KEY", at: at, in: bytes) else { return nil }
            let lineStart = bytes[..<at].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<min(bytes.count, at + 24)]), as: UTF8.self)
            return line.contains("-----BEGIN") || line.contains("PRIVATE KEY-----") || line.contains("PRIVATE KEY BLOCK-----") ? line : nil
        }
        if let at = firstHit(of: UInt8(ascii: "P"), in: bytes, where: { matches("PuTTY-User-Key-File-", at: $0, in: bytes) || pemLine($0) != nil }) {
            guard let line = pemLine(at) else { return Found(kind: "a PuTTY private key", offset: at) }
            let lineStart = bytes[..<at].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            return Found(kind: line.contains("OPENSSH") ? "an OpenSSH private key" : "a PEM private key", offset: lineStart)
        }
        // `nsec1` found by its `1`, and the 58 data characters of a 32-byte key after it.
        if let one = firstHit(of: UInt8(ascii: "1"), in: bytes, where: { isNsec(endingPrefixAt: $0, in: bytes) }) {
            return Found(kind: "a nostr secret key (nsec1…)", offset: one - 4)
        }
        let lower = path.lowercased()
        let hashFile = [".sha256", ".sha256sum", ".sum", ".hash", ".digest", ".checksum"].contains { lower.hasSuffix($0) }
        if !hashFile, let at = bareHexKeyOffset(in: bytes) {
            return Found(kind: "a secret key (one line of 64 hex digits, as in a pico key file)", offset: at)
        }
        return nil
    }

    /// The first offset of `byte` for which `accept` holds.
    private static func firstHit(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, where accept: (Int) -> Bool) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset < bytes.count, let hit = memchr(base + offset, Int32(byte), bytes.count - offset) {
            let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            if accept(at) { return at }
            offset = at + 1
        }
        return nil
    }

    private static func matches(_ text: StaticString, at offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = text.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        return memcmp(bytes.baseAddress! + offset, text.utf8Start, count) == 0
    }

    private static let bech32: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8 { table[Int(byte)] = true }
        return table
    }()

    /// Whether the `1` at `one` ends an `nsec` prefix (not inside a longer word) and is
    /// followed by exactly 58 bech32 characters.
    private static func isNsec(endingPrefixAt one: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard one >= 4, matches("nsec", at: one - 4, in: bytes) else { return false }
        if one >= 5 {
            let before = bytes[one - 5]
            if bech32[Int(before)] || (before >= 0x41 && before <= 0x5A) { return false }
        }
        var end = one + 1
        while end < bytes.count, bech32[Int(bytes[end])] { end += 1 }
        return end - one - 1 == 58
    }

    /// The build error for a key found in `file`: where it is, never the key itself.
    static func error(_ found: Found, file: String, in text: Data) -> FileError {
        let position = TextPosition(of: found.offset, in: text)
        return FileError("holds \(found.kind); pico keeps key material out of bundles",
                         at: SourceLocation(file: file, line: position.line, column: position.column),
                         hint: "remove the key from the site (and replace it: it may have been shared); if the file truly belongs in the bundle, name it in [build] include in pico.toml")
    }

    static func find(in data: Data, path: String) -> Found? {
        data.withUnsafeBytes { find(in: $0.bindMemory(to: UInt8.self), path: path) }
    }

    /// The first bytes of a file (nothing if it cannot be opened: the copy reports that).
    static func leadingBytes(ofFile path: String) -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { return Data() }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: scannedBytes)) ?? Data()
    }

    /// A whole small file that is one line of 64 hex digits, `#` comments aside: the other
    /// form of a pico key file.
    private static func bareHexKeyOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count < 1024 else { return nil }
        var keyLine: Int? = nil
        var lineStart = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            defer { lineStart += line.count + 1 }
            let trimmed = line.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
            if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { continue }
            let hex = trimmed.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
            guard keyLine == nil, hex, trimmed.count == 64 else { return nil }
            keyLine = lineStart
        }
        return keyLine
    }
}
