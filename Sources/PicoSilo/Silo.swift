import Foundation
import PicoCore
import PicoS3

/// A place bundles live: a folder or thumb drive, an S3 bucket, nostr relays. `pico publish`,
/// `fetch` and `verify` talk to every silo through this one protocol.
public protocol Silo: Sendable {
    /// The address as the user wrote it, for messages.
    var address: String { get }
    /// Puts a verified bundle on the silo: incrementally, manifest last, safe to interrupt.
    func publish(bundle: URL, options: PublishOptions) async throws -> PublishResult
    /// Copies the bundle to `destination`, verifying everything before it reports success.
    func fetch(to destination: URL) async throws -> VerificationReport
    /// Checks what the silo holds against its manifest(s) without fetching it to disk.
    func verify(with verifier: BundleVerifier) async throws -> [VerificationReport]
}

public struct PublishOptions: Sendable {
    /// Names that FAT32/exFAT cannot hold are errors instead of warnings.
    public var strictPortable = false
    /// Delete what the new manifest no longer lists (silos that keep old files by default).
    public var prune = false
    public var progress: (@Sendable (TransferProgress) -> Void)?
    public init() {}
}

/// How far a publish has come: files and bytes sent of those that need sending.
public struct TransferProgress: Sendable {
    public var files: Int
    public var totalFiles: Int
    public var bytes: Int
    public var totalBytes: Int
}

public struct PublishResult: Sendable {
    public var address: String
    public var manifest: BundleManifest
    /// Files written (new or changed), and files left alone because they were unchanged.
    public var written: Int
    public var unchanged: Int
    public var removed: Int
    public var bytesWritten: Int
    public var warnings: [String]
    /// Requests sent, by HTTP method, and how many were retries (network silos).
    public var requests: [String: Int] = [:]
    public var retries = 0
}

/// A silo that `pico serve` can read a bundle from, one file at a time.
public protocol RemoteBundle: Sendable {
    func openReader() -> any RemoteBundleReader
}

public protocol RemoteBundleReader: Sendable {
    /// The bytes of one file (or `pico-manifest.json`), nil when the silo has no such file.
    func read(_ path: String) async throws -> Data?
    func close() async
}

/// Parses a silo address (DESIGN.md, "Silos").
public enum SiloAddress {
    public static func silo(for address: String) throws -> any Silo {
        if address.hasPrefix("s3://") {
            var silo = S3Silo(location: try S3Location.resolve(address))
            if let connections = ProcessInfo.processInfo.environment["PICO_S3_CONNECTIONS"].flatMap({ Int($0) }), connections > 0 {
                silo.connections = connections
            }
            return silo
        }
        if address.hasPrefix("ws://") || address.hasPrefix("wss://") || address.hasPrefix("nostr:") {
            throw SiloError("nostr relays (\(address)) are not in this version of pico yet")
        }
        if address.hasPrefix("file://") {
            guard let url = URL(string: address), url.isFileURL, !url.path.isEmpty else {
                throw SiloError("\(address) is not a file:// address; write file:///absolute/path")
            }
            return FilesystemSilo(url: url, address: address)
        }
        if let colon = address.firstIndex(of: ":"), address[..<colon].allSatisfy({ $0.isLetter }), address[..<colon].count > 1 {
            throw SiloError("\(address): unknown kind of silo (a path, file://, s3://, ws://, wss:// or nostr:)")
        }
        return FilesystemSilo(url: URL(fileURLWithPath: address, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL,
                              address: address)
    }
}

public struct SiloError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
