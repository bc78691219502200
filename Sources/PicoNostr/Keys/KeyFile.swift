import Foundation
import PicoCore
import PicoFiles
#if canImport(Glibc)
import Glibc
#endif

/// A key file: the secret as an `nsec1…` line (64 hex digits are read too), `#` comments
/// allowed. Written with mode 0600 and never over an existing file; read only when no one but
/// its owner can read it, as ssh does with its keys.
public enum KeyFile {
    public struct KeyFileError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Writes a new key file. Fails if the file exists: a key is never overwritten.
    public static func create(_ key: AuthorKey, at path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                                     attributes: [.posixPermissions: 0o700]) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw KeyFileError(description: "\(path) already exists; pico never overwrites a key (choose another -o)") }
            throw KeyFileError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600) // the umask may have taken bits away, never added them; make it exact
        let text = "# pico author key: \(key.npub)\n# Keep it secret: whoever has this file can sign as you.\n\(key.nsec)\n"
        try Array(text.utf8).withUnsafeBytes { try FileTree.writeAll($0, to: descriptor, path: path) }
        guard fsync(descriptor) == 0 else { throw KeyFileError(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Reads a key file, refusing one that others may read. `path` is shown in messages
    /// unless it looks like a key itself (someone gave the key where a path belongs).
    public static func read(_ path: String) throws -> AuthorKey {
        let shown = KeyMaterial.shown(path)
        var info = stat()
        guard stat(path, &info) == 0 else {
            if KeyMaterial.mightBeKey(path) {
                throw KeyFileError(description: "\(shown): no such key file; give the path of a key file here, not the key itself")
            }
            throw KeyFileError(description: "cannot read the key file \(shown): \(String(cString: strerror(errno))) (make one with pico key new -o \(shown))")
        }
        if info.st_mode & 0o077 != 0 {
            throw KeyFileError(description: String(format: "%@ can be read by others (mode %03o); run chmod 600 %@", shown, info.st_mode & 0o777, shown))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyFileError(description: "cannot read the key file \(shown)")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: shown)
    }

    /// The key in a key file's text (or in PICO_KEY when it holds the key itself). No message
    /// quotes the text: whatever is in it may be a secret.
    public static func parse(_ text: String, source: String) throws -> AuthorKey {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.count == 1, let line = lines.first else {
            throw KeyFileError(description: "\(source): expected one line with an nsec1… key")
        }
        let secret: [UInt8]
        if line.lowercased().hasPrefix("nsec1") {
            guard case .nsec(let bytes)? = try? NIP19Entity.decode(line) else {
                throw KeyFileError(description: "\(source): the nsec1… key is damaged (bad bech32 checksum or length)")
            }
            secret = bytes
        } else if let bytes = [UInt8](hex: line), bytes.count == 32 {
            secret = bytes
        } else if line.hasPrefix("npub1") {
            throw KeyFileError(description: "\(source) holds a public key (npub); signing needs the secret key (nsec)")
        } else {
            throw KeyFileError(description: "\(source): not a key (expected nsec1… or 64 hex digits)")
        }
        do { return try AuthorKey(secretKey: secret) } catch {
            throw KeyFileError(description: "\(source): \(error)")
        }
    }

    /// The one rule for the key that signs, the same for `pico build` (the bundle) and `pico
    /// publish` (nostr events), so the two never sign with different keys: `--key FILE`, else
    /// `PICO_KEY`, else the default key file (`defaultPath`) when there is one; nil for none.
    public static func authorKey(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AuthorKey? {
        if let key = try resolve(option: option, environment: environment) { return key }
        let path = defaultPath(environment: environment)
        return FileManager.default.fileExists(atPath: path) ? try read(path) : nil
    }

    /// Where `pico key new` puts a key without -o: $XDG_CONFIG_HOME/pico/author.key, or
    /// ~/.config/pico/author.key.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return config + "/pico/author.key"
    }

    /// `--key FILE`, else `PICO_KEY` (a key file's path, or the key itself: nsec1… or 64 hex digits).
    public static func resolve(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AuthorKey? {
        if let option { return try read(option) }
        guard let value = environment["PICO_KEY"], !value.isEmpty else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if KeyMaterial.mightBeKey(trimmed), !FileManager.default.fileExists(atPath: trimmed) {
            return try parse(trimmed, source: "PICO_KEY")
        }
        do { return try read(value) } catch let error as KeyFileError {
            throw KeyFileError(description: "PICO_KEY: \(error.description)")
        }
    }
}

/// Text that may be a secret key, kept out of every message.
public enum KeyMaterial {
    /// An nsec anywhere, or a run of 32 or more hex digits (a secret written in hex, perhaps
    /// cut or padded): such text is never printed.
    public static func mightBeKey(_ text: String) -> Bool {
        if text.lowercased().contains("nsec1") { return true }
        var run = 0
        for byte in text.utf8 {
            let isHex = (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
            run = isHex ? run + 1 : 0
            if run >= 32 { return true }
        }
        return false
    }

    /// `text` for a message, or a placeholder when it may be a key.
    public static func shown(_ text: String) -> String {
        mightBeKey(text) ? "the value given (not shown: it looks like a secret key)" : text
    }
}
