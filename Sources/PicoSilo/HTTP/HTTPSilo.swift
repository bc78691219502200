import Foundation
import NIOCore
import PicoCore
import PicoFiles
import PicoRetry
import Synchronization
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// A bundle served as plain files by any web server (GitHub Pages, S3 website hosting, nginx,
/// `python3 -m http.server`): `<base>pico-manifest.json`, `<base>SHA256SUMS` and `<base><path>`
/// for every listed file. Read only: pico reads it, checks it as every silo is checked
/// (SHA256SUMS hashes to the signed id, the signature, each file's size and SHA-256), and a site
/// owner's `pico verify https://example.org/` says whether the host serves what they published.
public struct HTTPSilo: Silo {
    /// The bundle's root; always ends in `/`.
    public let base: URL
    public let address: String
    /// Files downloaded at once.
    public var connections = 8
    public var retry = RetryPolicy.httpMirror
    /// How long the server may send nothing before a try is given up (then retried).
    public var readTimeout: Double = 30

    /// `base` as given; a path without its final `/` gets one (the bundle is the folder).
    public init(base: URL) throws(HTTPSiloError) {
        try self.init(address: base.absoluteString)
    }

    /// Parses `http(s)://host[:port]/path/`: no user or password (they would be printed in
    /// messages), no query or fragment (they would not name the files under it).
    public init(address: String) throws(HTTPSiloError) {
        guard let url = URL(string: address), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw HTTPSiloError(.badAddress, url: address, "\(address) is not an http:// or https:// address of a bundle (write https://host/path/)")
        }
        guard url.user == nil, url.password == nil else {
            throw HTTPSiloError(.badAddress, url: address, "\(scheme)://…@\(host): pico does not take a user or password in the address")
        }
        guard url.query == nil, url.fragment == nil else {
            throw HTTPSiloError(.badAddress, url: address, "\(address): a bundle's address has no ?query or #fragment; give the folder the files are under")
        }
        var text = url.absoluteString
        if !text.hasSuffix("/") { text += "/" }
        guard let normalized = URL(string: text) else {
            throw HTTPSiloError(.badAddress, url: address, "\(address) is not a valid URL")
        }
        base = normalized
        self.address = text
    }

    static func isAddress(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
    }

    func makeClient() -> HTTPMirrorClient {
        HTTPMirrorClient(base: base, connections: connections, retry: retry, readTimeout: .milliseconds(Int64(readTimeout * 1000)))
    }

    public func publish(bundle: URL, options: PublishOptions) async throws -> PublishResult {
        throw SiloError("\(address) is a web server pico reads from, not a silo it publishes to: copy the bundle folder to the host "
                        + "(or publish to s3:// and serve the bucket), then check it with pico verify \(address)")
    }

    // MARK: The describing files

    /// The manifest and SHA256SUMS (nil when the server has none), each bounded, or a clear
    /// error when the base serves no bundle.
    func describingFiles(client: HTTPMirrorClient) async throws -> (manifest: Data, checksums: Data?) {
        let limit = BundleManifest.maxDescribingFileBytes
        guard let manifest = try await SiloError.during("reading \(client.url(of: BundleManifest.fileName))", {
            try await Self.whole(BundleManifest.fileName, limit: limit, client: client)
        }) else {
            throw SiloError("no \(BundleManifest.fileName) at \(address) (HTTP 404): is this the bundle's root? "
                            + "Give the folder that holds \(BundleManifest.fileName), ending in /")
        }
        if manifest.first.map({ $0 == UInt8(ascii: "<") }) == true {
            throw SiloError("\(client.url(of: BundleManifest.fileName)) is HTML, not a pico manifest: the host answers a page "
                            + "for files it does not have; is this the bundle's root?")
        }
        let checksums = try await SiloError.during("reading \(client.url(of: BundleManifest.checksumsFileName))") {
            try await Self.whole(BundleManifest.checksumsFileName, limit: limit, client: client)
        }
        return (manifest, checksums)
    }

    static func whole(_ path: String, limit: Int, client: HTTPMirrorClient) async throws(HTTPSiloError) -> Data? {
        var data = Data()
        let found = try await client.stream(path, limit: limit, restart: { data.removeAll(keepingCapacity: true) }) { data.append(contentsOf: $0) }
        return found ? data : nil
    }

    /// The describing files, checked before any file is read: a manifest whose SHA256SUMS does not
    /// hash to its id, whose signature is bad or whose paths are unsafe stops here.
    private func checkedDescription(client: HTTPMirrorClient, verifier: BundleVerifier) async throws
        -> (manifestData: Data, checksums: Data?, report: VerificationReport) {
        let (manifestData, checksums) = try await describingFiles(client: client)
        return (manifestData, checksums, verifier.checkDescription(target: address, manifestData: manifestData, checksumsData: checksums))
    }

    /// `body` with a client that is shut down after it, whatever it throws.
    private func withClient<T>(_ body: (HTTPMirrorClient) async throws -> T) async throws -> T {
        let client = makeClient()
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    // MARK: Fetch and verify

    public func fetch(to destination: URL, verifier: BundleVerifier) async throws -> VerificationReport {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path), !((try? fm.contentsOfDirectory(atPath: destination.path)) ?? []).isEmpty {
            throw SiloError("\(destination.path) already exists and is not empty; fetch into a new folder")
        }
        return try await withClient { client in try await fetch(to: destination, verifier: verifier, client: client) }
    }

    private func fetch(to destination: URL, verifier: BundleVerifier, client: HTTPMirrorClient) async throws -> VerificationReport {
        let (manifestData, checksums, described) = try await checkedDescription(client: client, verifier: verifier)
        guard described.isValid, let manifest = described.manifest else { throw SiloError.doesNotVerify(address, described) }
        let staging = try StagingFolder(replacing: destination)
        do {
            let found = FoundFiles()
            let problems = SiloProblems()
            try await Parallel.forEach(manifest.safeFiles, limit: connections) { file in
                let target = staging.url.path + "/" + file.path.string
                try FileTree.makeFolders((target as NSString).deletingLastPathComponent)
                let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
                guard output >= 0 else { throw POSIXFailure(operation: "create", path: target, code: errno) }
                defer { close(output) }
                var hasher = IncrementalSHA256()
                var size = 0
                let exists: Bool
                do throws(HTTPSiloError) {
                    exists = try await client.stream(file.path.string, limit: file.listed.size, restart: {
                        hasher = IncrementalSHA256()
                        size = 0
                        guard ftruncate(output, 0) == 0, lseek(output, 0, SEEK_SET) == 0 else {
                            throw POSIXFailure(operation: "truncate", path: target, code: errno)
                        }
                    }) { chunk in
                        hasher.update(chunk)
                        try FileTree.writeAll(chunk, to: output, path: target)
                        size += chunk.count
                    }
                } catch {
                    // Never more than the manifest says: a hostile server cannot fill the disk.
                    guard error.kind == .tooLarge else { throw SiloError("downloading \(file.path.string) from \(address)", cause: error) }
                    problems.add(VerificationProblem(.changed, path: file.path.string,
                                                     "the server sends more than the \(file.listed.size) bytes its manifest says"))
                    return
                }
                if exists { found.set(file.path.string, PresentFile(isRegularFile: true, size: size, sha256: hasher.finalize())) }
            }
            let report = Self.report(target: address, manifestData: manifestData, checksums: checksums, present: found.all,
                                     siloProblems: problems.all, manifest: manifest, verifier: verifier)
            guard report.isValid else { throw SiloError.doesNotVerify(address, report) }
            return try FetchedBundle.finish(staging, from: address, manifestData: manifestData, checksums: checksums,
                                            present: found.all, verifier: verifier)
        } catch {
            staging.discard()
            throw error
        }
    }

    /// Reads every file the manifest lists and hashes it in memory: nothing is written to disk.
    /// The server cannot be listed, so files it serves that the manifest does not list are not seen.
    public func verify(with verifier: BundleVerifier) async throws -> [VerificationReport] {
        try await withClient { client in try await verify(with: verifier, client: client) }
    }

    private func verify(with verifier: BundleVerifier, client: HTTPMirrorClient) async throws -> [VerificationReport] {
        let (manifestData, checksums, described) = try await checkedDescription(client: client, verifier: verifier)
        guard described.isValid, let manifest = described.manifest else { return [described] }
        let found = FoundFiles()
        let problems = SiloProblems()
        try await Parallel.forEach(manifest.safeFiles, limit: connections) { file in
            var hasher = IncrementalSHA256()
            var size = 0
            let exists: Bool
            do throws(HTTPSiloError) {
                exists = try await client.stream(file.path.string, limit: file.listed.size,
                                                 restart: { hasher = IncrementalSHA256(); size = 0 }) { chunk in
                    hasher.update(chunk)
                    size += chunk.count
                }
            } catch {
                guard error.kind == .tooLarge else { throw SiloError("reading \(file.path.string) from \(address)", cause: error) }
                problems.add(VerificationProblem(.changed, path: file.path.string,
                                                 "the server sends more than the \(file.listed.size) bytes its manifest says"))
                return
            }
            if exists { found.set(file.path.string, PresentFile(isRegularFile: true, size: size, sha256: hasher.finalize())) }
        }
        return [Self.report(target: address, manifestData: manifestData, checksums: checksums, present: found.all,
                            siloProblems: problems.all, manifest: manifest, verifier: verifier)]
    }

    /// The verifier's report with what the silo found itself: a file the server sent too much of
    /// is "changed" (not also "missing"), and the problems come in the manifest's order, the
    /// first bad file first.
    static func report(target: String, manifestData: Data, checksums: Data?, present: [String: PresentFile],
                       siloProblems: [VerificationProblem], manifest: BundleManifest, verifier: BundleVerifier) -> VerificationReport {
        var report = FetchedBundle.report(target: target, manifestData: manifestData, checksums: checksums, present: present,
                                          siloProblems: siloProblems, verifier: verifier)
        let foundBySilo = Set(siloProblems.compactMap(\.path))
        report.problems.removeAll { $0.kind == .missing && $0.path.map(foundBySilo.contains) == true }
        let order = Dictionary(manifest.files.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { first, _ in first })
        let ranked = report.problems.enumerated().sorted { a, b in
            let (x, y) = (order[a.element.path ?? ""] ?? -1, order[b.element.path ?? ""] ?? -1)
            return x != y ? x < y : a.offset < b.offset
        }
        report.problems = ranked.map(\.element)
        return report
    }

    // MARK: Serving and reading

    public func reader() throws -> any BundleReader {
        HTTPBundleReader(description: address, client: makeClient())
    }
}

/// Reads single files of a bundle on a web server (`pico serve`, and fetch by name with a
/// mirror as one place): each fetched whole, and never more than `limit` bytes; nil on 404.
/// The bytes are not checked here: the caller checks them against the manifest.
public struct HTTPBundleReader: BundleReader {
    public let description: String
    let client: HTTPMirrorClient

    public func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)? {
        let data: Data?
        do { data = try await HTTPSilo.whole(path, limit: limit, client: client) } catch {
            throw SiloError("reading \(path) from \(description)", cause: error)
        }
        return data.map { InMemoryFileReader(data: $0) }
    }

    /// Closes the connections; whoever made the reader calls it when done.
    public func close() async { await client.shutdown() }
}

/// What the silo itself found while reading files, filled from concurrent tasks.
final class SiloProblems: Sendable {
    private let problems = Mutex<[VerificationProblem]>([])
    func add(_ problem: VerificationProblem) { problems.withLock { $0.append(problem) } }
    var all: [VerificationProblem] { problems.withLock { $0 } }
}

extension RetryPolicy {
    /// A web server's numbers: a few quick tries (a stalled server costs a read time-out each).
    public static let httpMirror = RetryPolicy(attempts: 4, baseDelay: 0.1, maxDelay: 2)
}
