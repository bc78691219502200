import Foundation
import PicoCore
import PicoNostr
import PicoS3
#if canImport(Glibc)
import Glibc
#endif

/// A place bundles live: a folder or thumb drive, an S3 bucket, nostr relays. `pico publish`,
/// `fetch` and `verify` talk to every silo through this one protocol.
public protocol Silo: Sendable {
    /// The address as the user wrote it, for messages.
    var address: String { get }
    /// Puts a verified bundle on the silo: incrementally, manifest last, safe to interrupt.
    func publish(bundle: URL, options: PublishOptions) async throws -> PublishResult
    /// Copies the bundle to `destination`, verifying everything with `verifier` (signature
    /// included) before it reports success; nothing is left at `destination` otherwise.
    func fetch(to destination: URL, verifier: BundleVerifier) async throws -> VerificationReport
    /// Checks what the silo holds against its manifest(s) without fetching it to disk.
    func verify(with verifier: BundleVerifier) async throws -> [VerificationReport]
}

extension BundleVerifier {
    /// The one verification policy of pico: every hash, path and the id, and a present
    /// signature always checked (secp256k1, BIP-340); with `expectedSigner` (hex x-only key) the
    /// bundle must be signed by that key. Every command and silo that reads a bundle uses this.
    public static func standard(expectedSigner: String? = nil) -> BundleVerifier {
        BundleVerifier(signatureChecker: SchnorrSignatureChecker(), expectedSigner: expectedSigner)
    }
}

/// The end of every fetch that writes files as they arrive: the two describing files are
/// written beside them, everything is checked, and the staging folder replaces the destination
/// only if it all verified (else it is removed and the problems are thrown).
enum FetchedBundle {
    static func finish(_ staging: StagingFolder, from target: String, manifestData: Data, checksums: Data?,
                       present: [String: PresentFile], verifier: BundleVerifier) throws -> VerificationReport {
        do {
            let report = verifier.check(target: target, manifestData: manifestData, checksumsData: checksums, present: present)
            guard report.isValid else { throw SiloError.doesNotVerify(target, report) }
            try FileTree.write(manifestData, to: BundleManifest.fileName, underPath: staging.url.path)
            if let checksums { try FileTree.write(checksums, to: BundleManifest.checksumsFileName, underPath: staging.url.path) }
            try staging.commit()
            return report
        } catch {
            staging.discard()
            throw error
        }
    }
}

extension SiloError {
    /// A bundle that failed verification: nothing of it was fetched.
    static func doesNotVerify(_ target: String, _ report: VerificationReport) -> SiloError {
        SiloError("the bundle at \(target) does not verify; nothing was fetched:\n"
                  + report.problems.map { "  \($0)" }.joined(separator: "\n"))
    }
}

public struct PublishOptions: Sendable {
    /// Names that FAT32/exFAT cannot hold are errors instead of warnings.
    public var strictPortable = false
    /// Delete what the new manifest no longer lists (silos that keep old files by default).
    public var prune = false
    public var progress: (@Sendable (TransferProgress) -> Void)?
    /// The author's key: nostr relays need it to sign the events.
    public var authorKey: AuthorKey?
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
    /// One line per place written to, when a silo is several (relays).
    public var details: [String] = []
    /// The address to fetch the published bundle from, when it differs from where it went.
    public var fetchAddress: String?
}

/// A silo that `pico serve` can read a bundle from, one file at a time.
public protocol RemoteBundle: Sendable {
    func openReader() -> any RemoteBundleReader
}

public protocol RemoteBundleReader: Sendable {
    /// The bytes of one file (or `pico-manifest.json`), nil when the silo has no such file.
    func read(_ path: String) async throws -> Data?
    /// The same, refusing a file larger than `limit` bytes; a silo that can stop reading there
    /// (S3) does, so a hostile object costs no more than the limit.
    func read(_ path: String, limit: Int) async throws -> Data?
    func close() async
}

extension RemoteBundleReader {
    public func read(_ path: String, limit: Int) async throws -> Data? {
        guard let data = try await read(path) else { return nil }
        guard data.count <= limit else { throw SiloError("\(path) is larger than \(limit) bytes") }
        return data
    }
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
        if address.hasPrefix("ws://") || address.hasPrefix("wss://") {
            return NostrSilo(publishingTo: [try RelayTarget(parsing: address)], address: address)
        }
        if address.hasPrefix("nostr:") {
            return NostrSilo(reading: try NostrSiteAddress(parsing: address))
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

/// A bundle folder about to be published.
enum LocalBundle {
    /// The bundle to publish, checked as far as that costs no hashing of its files: the
    /// manifest, SHA256SUMS and the id agree, every path is safe, every file is there with its
    /// size. Each file that is sent is hashed as it is read, and not sent if it does not match;
    /// files the silo already holds are not read at all.
    static func readForPublishing(_ bundle: URL) throws -> (BundleManifest, Data, Data) {
        let root = bundle.path
        let described = try DescribedBundle(folder: root)
        let (manifest, checksums) = (described.manifest, described.checksums)
        var problems: [String] = []
        if Checksums.render(manifest.files) != checksums || Checksums.bundleID(of: checksums) != manifest.id {
            problems.append("\(BundleManifest.checksumsFileName) and \(BundleManifest.fileName) disagree")
        }
        // The one policy here too: a present signature must be valid, the paths must fit on a disk.
        problems += BundleVerifier.standard().signatureStatus(of: manifest).problems.map(\.description)
        problems += BundlePath.conflicts(among: manifest.files.map(\.path)).map(\.description)
        for file in manifest.files {
            if let problem = BundlePath.problem(in: file.path) {
                problems.append("\(file.path): \(problem)")
                continue
            }
            var info = stat()
            if lstat(root + "/" + file.path, &info) != 0 || info.st_mode & S_IFMT != S_IFREG || Int(info.st_size) != file.size {
                problems.append("\(file.path) is missing, not a regular file, or not the size its manifest says")
            }
        }
        guard problems.isEmpty else {
            throw SiloError("the bundle at \(root) does not verify; nothing was published (run pico verify \(root)):\n"
                            + problems.prefix(20).map { "  \($0)" }.joined(separator: "\n"))
        }
        return (manifest, described.manifestData, checksums)
    }

}

/// Files found while fetching or verifying, filled from concurrent tasks.
final class FoundFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var files: [String: PresentFile] = [:]
    func set(_ path: String, _ file: PresentFile) { lock.withLock { files[path] = file } }
    var all: [String: PresentFile] { lock.withLock { files } }
}

/// Files and bytes done, reported to the publish progress callback from concurrent uploads.
final class TransferCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var progress: TransferProgress
    private let report: (@Sendable (TransferProgress) -> Void)?

    init(totalFiles: Int, totalBytes: Int, report: (@Sendable (TransferProgress) -> Void)?) {
        progress = TransferProgress(files: 0, totalFiles: totalFiles, bytes: 0, totalBytes: totalBytes)
        self.report = report
        report?(progress)
    }

    /// More to do, learnt on the way (each relay finds out what it lacks).
    func addWork(files: Int, bytes: Int) {
        let now = lock.withLock {
            progress.totalFiles += files
            progress.totalBytes += bytes
            return progress
        }
        report?(now)
    }

    func add(bytes: Int) {
        let now = lock.withLock {
            progress.files += 1
            progress.bytes += bytes
            return progress
        }
        report?(now)
    }
}
