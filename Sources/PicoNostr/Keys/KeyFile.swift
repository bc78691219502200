import Foundation
import PicoCore
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

    /// Reads a key file, refusing one that others may read.
    public static func read(_ path: String) throws -> AuthorKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw KeyFileError(description: "cannot read the key file \(path): \(String(cString: strerror(errno))) (make one with pico key new -o \(path))")
        }
        if info.st_mode & 0o077 != 0 {
            throw KeyFileError(description: String(format: "%@ can be read by others (mode %03o); run chmod 600 %@", path, info.st_mode & 0o777, path))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyFileError(description: "cannot read the key file \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// The key in a key file's text (or in PICO_KEY when it holds the key itself).
    public static func parse(_ text: String, source: String) throws -> AuthorKey {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.count == 1, let line = lines.first else {
            throw KeyFileError(description: "\(source): expected one line with an nsec1… key")
        }
        let secret: [UInt8]
        if line.hasPrefix("nsec1") {
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

    /// `--key FILE`, else `PICO_KEY` (a key file's path, or an nsec itself).
    public static func resolve(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AuthorKey? {
        if let option { return try read(option) }
        guard let value = environment["PICO_KEY"], !value.isEmpty else { return nil }
        return value.hasPrefix("nsec1") ? try parse(value, source: "PICO_KEY") : try read(value)
    }
}
