import Foundation
import PicoBlossom
import PicoCore
import PicoFiles
import PicoNostr
import PicoS3
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A place bundles live: a folder or thumb drive, an S3 bucket, nostr relays. `pico publish`,
/// `fetch`, `verify` and `serve` talk to every silo through this one protocol.
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
    /// The one bundle at this address, read file by file (`pico serve`); throws when the
    /// address names no single bundle.
    func reader() throws -> any BundleReader
}

extension BundleVerifier {
    /// The one verification policy of pico: every hash, path and the id, and a present
    /// signature always checked (secp256k1, BIP-340); with `expectedSigner` (hex x-only key) the
    /// bundle must be signed by that key. Every command and silo that reads a bundle uses this.
    public static func standard(expectedSigner: String? = nil) -> BundleVerifier {
        BundleVerifier(signatureChecker: SchnorrSignatureChecker(), expectedSigner: expectedSigner)
    }
}

/// The end of every fetch: whatever of the bundle is still in memory is written beside the
/// files written as they arrived, then the two describing files, and the staging folder replaces
/// the destination only if it all verified (else it is removed and the problems are thrown).
enum FetchedBundle {
    /// `inMemory` files are written only once everything verified; `present` describes every
    /// file fetched, those included. `siloProblems` are what the silo found itself (a file whose
    /// nostr chunks were forged).
    static func finish(_ staging: StagingFolder, from target: String, manifestData: Data, checksums: Data?,
                       present: [String: PresentFile], inMemory: [BundlePath: Data] = [:], siloProblems: [VerificationProblem] = [],
                       verifier: BundleVerifier) throws -> VerificationReport {
        do {
            let report = report(target: target, manifestData: manifestData, checksums: checksums, present: present,
                                siloProblems: siloProblems, verifier: verifier)
            guard report.isValid else { throw SiloError.doesNotVerify(target, report) }
            try SiloError.during("writing the bundle into \(staging.url.path)") {
                for (path, data) in inMemory { try FileTree.write(data, to: path.string, underPath: staging.url.path) }
                try FileTree.write(manifestData, to: BundleManifest.fileName, underPath: staging.url.path)
                if let checksums { try FileTree.write(checksums, to: BundleManifest.checksumsFileName, underPath: staging.url.path) }
            }
            try SiloError.during("committing \(staging.destination.path)") { try staging.commit() }
            return report
        } catch {
            staging.discard()
            throw error
        }
    }

    /// The verifier's report, with the silo's own findings added: those about a file the
    /// verifier says nothing of, and every `changed` one (a file whose chunks were altered is
    /// refused, not merely "missing").
    static func report(target: String, manifestData: Data, checksums: Data?, present: [String: PresentFile],
                       siloProblems: [VerificationProblem], verifier: BundleVerifier) -> VerificationReport {
        var report = verifier.check(target: target, manifestData: manifestData, checksumsData: checksums, present: present)
        let named = Set(report.problems.compactMap(\.path))
        report.problems += siloProblems.filter { $0.path == nil || !named.contains($0.path!) || $0.kind == .changed }
        return report
    }
}

extension SiloError {
    /// A bundle that failed verification: nothing of it was fetched.
    static func doesNotVerify(_ target: String, _ report: VerificationReport) -> SiloError {
        .verdict("the bundle at \(target) does not verify; nothing was fetched:\n"
                  + report.problems.map { "  \($0)" }.joined(separator: "\n"))
    }
}

public struct PublishOptions: Sendable {
    /// Names that FAT32/exFAT cannot hold are errors instead of warnings.
    public var strictPortable = false
    /// Delete what the new manifest no longer lists (silos that keep old files by default).
    public var prune = false
    /// nostr: also publish the author's kind-10063 server list and kind-10002 relay list.
    public var announce = false
    /// nostr: places this publish wrote to besides the relays and Blossom servers (`mirror`
    /// tags: http(s) bases, S3 buckets' public URLs), added to the site event's record.
    public var mirrors: [String] = []
    /// nostr: places the record of the name must no longer list (`--drop`).
    public var drops: [String] = []
    /// nostr: the records of names pico has accepted; a publish that finds only an older record
    /// on the relays than this one knows is refused, and the record it publishes is remembered.
    public var history: RecordHistory?
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
    /// One line per place written to, when a silo is several (relays).
    public var details: [String] = []
    /// The address to fetch the published bundle from, when it differs from where it went.
    public var fetchAddress: String?
    /// nostr: the site event published (the name's record), as sent to the relays.
    public var siteEvent: NostrEvent?
}

/// Parses a silo address: where `pico publish` puts a bundle, and the network silos that
/// `BundleTarget` hands on.
public enum SiloAddress {
    /// s3://, ws://, wss://, nostr:, blossom+http(s):// and http(s):// name silos that are not on this machine.
    public static func isNetworkAddress(_ address: String) -> Bool {
        ["s3://", "ws://", "wss://", "nostr:", "did:nostr:", BlossomServer.scheme].contains { address.hasPrefix($0) } || HTTPSilo.isAddress(address)
    }

    public static func silo(for address: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any Silo {
        if address.hasPrefix("s3://") {
            var silo = S3Silo(location: try S3Location.resolve(address, environment: environment))
            if let connections = environment["PICO_S3_CONNECTIONS"].flatMap({ Int($0) }), connections > 0 {
                silo.connections = connections
            }
            return silo
        }
        if address.hasPrefix("ws://") || address.hasPrefix("wss://") {
            return NostrSilo(publishingTo: [try RelayTarget(parsing: address)], address: address)
        }
        // A name (issue 16): its record, then the places it lists; a plain naddr whose record
        // lists no mirror is read as before, from the relays and the Blossom servers.
        if address.hasPrefix("did:nostr:") || (address.hasPrefix("nostr:") && SiteName.isName(address)) {
            return try NamedBundle(address: address)
        }
        if address.hasPrefix("nostr:") {
            return NostrSilo(reading: try NostrSiteAddress(parsing: address))
        }
        if BlossomServer.isAddress(address) {
            _ = try BlossomServer(parsing: address)
            throw SiloError("\(address) is a Blossom server: it holds a site's files, not the site. Publish with --to \(address) --to wss://RELAY "
                            + "(the relays carry the site event); read the site with nostr:npub1…?relay=wss://RELAY or the naddr pico publish printed")
        }
        if HTTPSilo.isAddress(address) {
            // A bundle a web server serves as plain files; read only.
            var silo: HTTPSilo
            do { silo = try HTTPSilo(address: address) } catch { throw SiloError(error.description) }
            if let seconds = environment["PICO_HTTP_TIMEOUT"].flatMap({ Double($0) }), seconds > 0 { silo.readTimeout = seconds }
            if let connections = environment["PICO_HTTP_CONNECTIONS"].flatMap({ Int($0) }), connections > 0 { silo.connections = connections }
            return silo
        }
        if address.hasPrefix("file:") {
            return FilesystemSilo(url: try BundleTarget.path(ofFileAddress: address), address: address)
        }
        if BundleTarget.scheme(of: address) != nil, !FileManager.default.fileExists(atPath: address) {
            throw SiloError("\(address): unknown kind of silo (a path, file://, s3://, http(s)://, ws://, wss:// or nostr:)")
        }
        return FilesystemSilo(url: URL(fileURLWithPath: address, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL,
                              address: address)
    }
}

extension SiloAddress {
    /// Where `pico publish --to …` puts a bundle, with the address as written for messages: one
    /// silo per address, except that every relay address together is one nostr silo (they are
    /// published to at once); nostr silos get the author's key. `authorKey` is asked only when
    /// there are nostr silos, so a key that cannot be read does not stop a publish to a folder or bucket.
    public static func publishDestinations(_ addresses: [String], authorKey: () throws -> AuthorKey?) throws -> [(address: String, silo: any Silo)] {
        let relays = addresses.filter { $0.hasPrefix("ws://") || $0.hasPrefix("wss://") }
        // Blossom servers hold the files of the site the relays carry: one silo with them.
        let blossom = addresses.filter(BlossomServer.isAddress)
        var servers: [BlossomServer] = []
        for address in blossom {
            let server: BlossomServer
            do { server = try BlossomServer(parsing: address) } catch { throw SiloError(error.description) }
            if !servers.contains(server) { servers.append(server) }
        }
        if !servers.isEmpty && relays.isEmpty {
            throw SiloError("\(servers.map(\.url).joined(separator: ", ")): a Blossom server holds a site's files, not the site; "
                            + "add the relays that carry its site event (--to wss://RELAY)")
        }
        var destinations: [(address: String, silo: any Silo)] = []
        for address in addresses where !blossom.contains(address) && (!relays.contains(address) || address == relays.first) {
            if relays.contains(address) {
                let joined = (relays + blossom).joined(separator: ", ")
                destinations.append((joined, NostrSilo(publishingTo: try relays.map(RelayTarget.init(parsing:)), blossom: servers, address: joined)))
            } else {
                destinations.append((address, try silo(for: address)))
            }
        }
        // Relays sign what they are sent: the nostr silos get the author's key.
        guard destinations.contains(where: { $0.silo is NostrSilo }), let key = try authorKey() else { return destinations }
        return destinations.map { destination in
            guard var nostr = destination.silo as? NostrSilo else { return destination }
            nostr.authorKey = key
            return (destination.address, nostr)
        }
    }
}

/// A silo's failure: what went wrong, what the silo was doing (`stage`: "downloading
/// css/site.css from s3://b/p", "committing /x") and the error underneath (`cause`: an
/// `S3Error`, a `RelayError`, a `POSIXFailure`), kept as the error it is, not only its words.
public struct SiloError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let stage: String?
    public let cause: (any Error)?

    public init(_ description: String) {
        message = description
        stage = nil
        cause = nil
    }

    /// `cause`, met while doing `stage`.
    public init(_ stage: String, cause: any Error) {
        message = String(describing: cause)
        self.stage = stage
        self.cause = cause
    }

    public var description: String { stage.map { "\($0): \(message)" } ?? message }

    /// What `body` throws, as an error that names `stage`; one that names a stage already
    /// keeps it (the nearer one says more).
    public static func during<T>(_ stage: @autoclosure () -> String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw naming(stage(), error) }
    }

    public static func during<T>(_ stage: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw naming(stage(), error) }
    }

    static func naming(_ stage: String, _ error: any Error) -> any Error {
        if error is CancellationError { return error }
        if let silo = error as? SiloError, silo.stage != nil || silo.isVerdict { return silo }
        return SiloError(stage, cause: error)
    }

    /// A verdict on the bundle (it does not verify) rather than a failure to reach it: it says
    /// all there is to say itself, and no stage is added to it.
    var isVerdict = false

    static func verdict(_ message: String) -> SiloError {
        var error = SiloError(message)
        error.isVerdict = true
        return error
    }
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
            let path: BundlePath
            do throws(BundlePath.Problem) { path = try BundlePath(validating: file.path) } catch {
                problems.append("\(file.path): \(error)")
                continue
            }
            var info = stat()
            if lstat(root + "/" + path.string, &info) != 0 || info.st_mode & S_IFMT != S_IFREG || Int(info.st_size) != file.size {
                problems.append("\(file.path) is missing, not a regular file, or not the size its manifest says")
            }
        }
        guard problems.isEmpty else {
            throw SiloError.verdict("the bundle at \(root) does not verify; nothing was published (run pico verify \(root)):\n"
                            + problems.prefix(20).map { "  \($0)" }.joined(separator: "\n"))
        }
        return (manifest, described.manifestData, checksums)
    }

}

/// Files found while fetching or verifying, filled from concurrent tasks.
final class FoundFiles: Sendable {
    private let files = Mutex<[String: PresentFile]>([:])
    func set(_ path: String, _ file: PresentFile) { files.withLock { $0[path] = file } }
    var all: [String: PresentFile] { files.withLock { $0 } }
}

/// Files and bytes done, reported to the publish progress callback from concurrent uploads.
final class TransferCounter: Sendable {
    private let progress: Mutex<TransferProgress>
    private let report: (@Sendable (TransferProgress) -> Void)?

    init(totalFiles: Int, totalBytes: Int, report: (@Sendable (TransferProgress) -> Void)?) {
        let start = TransferProgress(files: 0, totalFiles: totalFiles, bytes: 0, totalBytes: totalBytes)
        progress = Mutex(start)
        self.report = report
        report?(start)
    }

    /// More to do, learnt on the way (each relay finds out what it lacks).
    func addWork(files: Int, bytes: Int) {
        let now = progress.withLock { progress in
            progress.totalFiles += files
            progress.totalBytes += bytes
            return progress
        }
        report?(now)
    }

    func add(bytes: Int) {
        let now = progress.withLock { progress in
            progress.files += 1
            progress.bytes += bytes
            return progress
        }
        report?(now)
    }
}
