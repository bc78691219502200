import Foundation
import PicoCore
import PicoFiles
import PicoRetry
import PicoS3
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// A bundle in an S3-compatible bucket: one object per bundle file, keyed by its path under
/// the prefix, with the Content-Type and Cache-Control a web server would send, so S3 website
/// hosting (or a CDN in front) serves the bundle as it is.
///
/// Publishing compares with the bucket's own `pico-manifest.json` and sends only new and
/// changed files, `SHA256SUMS` and `pico-manifest.json` last; `--prune` deletes what the new
/// manifest no longer lists only once that manifest is in place.
public struct S3Silo: Silo {
    public let location: S3Location
    public var address: String { location.description }
    /// Requests in flight at once.
    public var connections = 16
    /// Files above this size go up in parts of `partSize`.
    public var multipartThreshold = 16 << 20
    public var partSize = 8 << 20

    /// How often a failed request is tried again (network failures, S3's 5xx and SlowDown).
    public var retry = RetryPolicy()
    public init(location: S3Location) { self.location = location }

    // MARK: Publish

    public func publish(bundle: URL, options: PublishOptions) async throws -> PublishResult {
        let (manifest, manifestData, checksums) = try LocalBundle.readForPublishing(bundle)

        let client = S3Client(location: location, connections: connections, retry: retry)
        do {
            let result = try await publish(bundle: bundle, manifest: manifest, manifestData: manifestData,
                                           checksums: checksums, options: options, client: client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private func publish(bundle: URL, manifest: BundleManifest, manifestData: Data, checksums: Data,
                         options: PublishOptions, client: S3Client) async throws -> PublishResult {
        // What the bucket holds now, by its manifest: files with the same hash and type cost nothing.
        let remoteData = try await SiloError.during("reading the \(BundleManifest.fileName) \(address) holds now") {
            try await client.getObject(key: BundleManifest.fileName, limit: BundleManifest.maxDescribingFileBytes)
        }
        let remote = remoteData.flatMap { try? BundleManifest.decode(Data($0)) }
        let held = Dictionary((remote?.files ?? []).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let toSend = manifest.files.filter { file in
            held[file.path].map { $0.sha256 != file.sha256 || $0.type != file.type } ?? true
        }
        let manifestUnchanged = remoteData.map { Data($0) == manifestData } ?? false

        let progress = TransferCounter(totalFiles: toSend.count, totalBytes: toSend.reduce(0) { $0 + $1.size },
                                       report: options.progress)
        try await Parallel.forEach(toSend, limit: connections) { file in
            try await SiloError.during("uploading \(file.path) to \(address)") {
                try await upload(file, from: bundle.path + "/" + file.path, client: client)
            }
            progress.add(bytes: file.size)
        }
        if !manifestUnchanged || !toSend.isEmpty {
            // The manifests last: a reader never sees a new manifest over old files.
            try await SiloError.during("committing \(address) (uploading its \(BundleManifest.fileName))") {
                try await client.putObject(key: BundleManifest.checksumsFileName, body: checksums,
                                           headers: headers(path: BundleManifest.checksumsFileName, type: "text/plain"))
                try await client.putObject(key: BundleManifest.fileName, body: manifestData,
                                           headers: headers(path: BundleManifest.fileName, type: "application/json"))
            }
        }

        var removed = 0
        var warnings = client.bodyChecksum.usesMD5
            ? ["\(address) does not take x-amz-checksum-sha256; uploads were checked with Content-MD5 instead"] : []
        if options.prune {
            let unlisted = try await SiloError.during("listing \(address)") {
                try await unlistedObjects(client: client, listed: manifest.files.map(\.path))
            }
            let removable = unlisted.filter(\.isValidUTF8)
            try await Parallel.forEach(removable, limit: connections) { object in
                try await SiloError.during("removing \(object.shown) from \(address)") {
                    try await client.deleteObject(key: object.relativePath)
                }
            }
            removed = removable.count
            // S3 itself takes only UTF-8 keys; another server's other keys cannot be named in a request pico signs.
            for object in unlisted where !object.isValidUTF8 {
                warnings.append("\(address): the object \(object.shown) is not in the manifest, but its key is not UTF-8 "
                                + "and pico cannot delete it; remove it with the server's own tools")
            }
        }
        let sent = toSend.count + (manifestUnchanged && toSend.isEmpty ? 0 : 2)
        return PublishResult(address: address, manifest: manifest, written: sent,
                             unchanged: manifest.files.count - toSend.count, removed: removed,
                             bytesWritten: toSend.reduce(0) { $0 + $1.size },
                             warnings: warnings,
                             requests: client.counts.snapshot.byMethod, retries: client.counts.snapshot.retries)
    }

    /// `localFile`: where the file is read from, so that a page gets the charset it declares.
    private func headers(path: String, type: String, localFile: String? = nil) -> S3Client.ObjectHeaders {
        S3Client.ObjectHeaders(contentType: localFile.map { WebHeaders.contentType(type, ofFileAt: $0) } ?? WebHeaders.contentType(type),
                               cacheControl: WebHeaders.cacheControl(for: path))
    }

    /// One file up: whole when small, in parts when large; either way its SHA-256 is checked
    /// against the manifest before the upload is finished, and the server checks every body.
    private func upload(_ file: BundleFile, from path: String, client: S3Client) async throws {
        let objectHeaders = headers(path: file.path, type: file.type, localFile: path)
        if file.size <= multipartThreshold {
            let data = try FileTree.read(atPath: path)
            guard data.count == file.size else {
                throw SiloError("\(file.path) is \(data.count) bytes, its manifest says \(file.size); nothing more was published. Run pico verify")
            }
            try await client.putObject(key: file.path, body: data, headers: objectHeaders, expectedSHA256: file.sha256)
            return
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw POSIXFailure(operation: "open", path: path, code: errno) }
        defer { close(descriptor) }
        let uploadID = try await client.createMultipartUpload(key: file.path, headers: objectHeaders)
        do {
            var hasher = IncrementalSHA256()
            var parts: [S3Client.UploadedPart] = []
            var offset = 0
            while offset < file.size {
                let count = min(partSize, file.size - offset)
                var part = Data(count: count)
                let got = part.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
                guard got == count else { throw SiloError("\(file.path) is shorter than its manifest says") }
                part.withUnsafeBytes { hasher.update($0) }
                parts.append(try await client.uploadPart(key: file.path, uploadID: uploadID, number: parts.count + 1, body: part))
                offset += count
            }
            guard hasher.finalize() == file.sha256 else {
                throw SiloError("\(file.path) changed since the bundle was verified; nothing more was published")
            }
            try await client.completeMultipartUpload(key: file.path, uploadID: uploadID, parts: parts)
        } catch {
            await client.abortMultipartUpload(key: file.path, uploadID: uploadID)
            throw error
        }
    }

    /// An object under the prefix that the manifest does not list.
    struct UnlistedObject: Sendable {
        /// The key's bytes after the prefix and its `/`.
        var relativeBytes: [UInt8]
        var size: Int
        var isValidUTF8: Bool { String(validating: relativeBytes, as: UTF8.self) != nil }
        var relativePath: String { String(decoding: relativeBytes, as: UTF8.self) }
        /// The name for messages: control characters and bytes that are not UTF-8 escaped.
        var shown: String { S3KeyText.visible(relativeBytes) }
    }

    /// Every object under the prefix whose key is not, byte for byte, the key of a listed file
    /// or a describing file. Bytes, not Swift strings: `==` on strings ignores Unicode
    /// normalisation, so `café` written decomposed would pass for the listed `café`.
    func unlistedObjects(client: S3Client, listed: [String]) async throws -> [UnlistedObject] {
        try await listedObjects(client: client).unlisted(besides: listed)
    }

    /// The objects under the prefix, keyed by their bytes after it.
    func listedObjects(client: S3Client) async throws -> ObjectsUnderPrefix {
        let prefixBytes = location.prefix.isEmpty ? [] : Array((location.prefix + "/").utf8)
        let objects = try await client.listObjects(prefix: location.prefix.isEmpty ? "" : location.prefix + "/")
        var found = ObjectsUnderPrefix()
        for object in objects where object.keyBytes.starts(with: prefixBytes) {
            let relative = Array(object.keyBytes.dropFirst(prefixBytes.count))
            if found.sizes[relative] == nil { found.order.append(relative) }
            found.sizes[relative] = object.size
        }
        return found
    }

    struct ObjectsUnderPrefix {
        var sizes: [[UInt8]: Int] = [:]
        var order: [[UInt8]] = []

        func size(of path: String) -> Int? { sizes[Array(path.utf8)] }

        func unlisted(besides listed: [String]) -> [UnlistedObject] {
            let known = Set((listed + BundleManifest.describingFiles).map { Array($0.utf8) })
            return order.filter { !known.contains($0) }.map { UnlistedObject(relativeBytes: $0, size: sizes[$0] ?? 0) }
        }
    }

    // MARK: Fetch and verify

    /// The bundle's two describing files, or a clear error when there is no bundle here.
    private func describingFiles(client: S3Client) async throws -> (manifest: Data, checksums: Data?) {
        let stage = "reading the \(BundleManifest.fileName) of \(address)"
        guard let manifest = try await SiloError.during(stage, {
            try await client.getObject(key: BundleManifest.fileName, limit: BundleManifest.maxDescribingFileBytes)
        }) else {
            throw SiloError("there is no pico bundle at \(address): it has no \(BundleManifest.fileName) "
                            + "(publish one with pico publish BUNDLE --to \(address))")
        }
        let checksums = try await SiloError.during("reading the \(BundleManifest.checksumsFileName) of \(address)") {
            try await client.getObject(key: BundleManifest.checksumsFileName, limit: BundleManifest.maxDescribingFileBytes)
        }
        return (Data(manifest), checksums.map { Data($0) })
    }

    public func fetch(to destination: URL, verifier: BundleVerifier) async throws -> VerificationReport {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path), !((try? fm.contentsOfDirectory(atPath: destination.path)) ?? []).isEmpty {
            throw SiloError("\(destination.path) already exists and is not empty; fetch into a new folder")
        }
        let client = S3Client(location: location, connections: connections, retry: retry)
        let staging = try StagingFolder(replacing: destination)
        do {
            let (manifestData, checksums) = try await describingFiles(client: client)
            let manifest = try BundleManifest.decode(manifestData)
            // Only paths that keep the rules become files or keys.
            let safe = manifest.safeFiles
            let found = FoundFiles()
            try await Parallel.forEach(safe, limit: connections) { file in
                let target = staging.url.path + "/" + file.path.string
                try FileTree.makeFolders((target as NSString).deletingLastPathComponent)
                let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
                guard output >= 0 else { throw POSIXFailure(operation: "create", path: target, code: errno) }
                defer { close(output) }
                var hasher = IncrementalSHA256()
                var size = 0
                let exists = try await SiloError.during("downloading \(file.path) from \(address)") {
                    try await client.streamObject(key: file.path.string, restart: {
                        hasher = IncrementalSHA256()
                        size = 0
                        guard ftruncate(output, 0) == 0, lseek(output, 0, SEEK_SET) == 0 else {
                            throw POSIXFailure(operation: "truncate", path: target, code: errno)
                        }
                    }) { chunk in
                        // Never more than the manifest says: a hostile server cannot fill the disk.
                        guard size + chunk.count <= file.size else { throw SiloError("\(file.path) is larger than its manifest says") }
                        hasher.update(chunk)
                        try FileTree.writeAll(chunk, to: output, path: target)
                        size += chunk.count
                    }
                }
                if exists { found.set(file.path.string, PresentFile(isRegularFile: true, size: size, sha256: hasher.finalize())) }
            }
            let report = try FetchedBundle.finish(staging, from: address, manifestData: manifestData, checksums: checksums,
                                                  present: found.all, verifier: verifier)
            await client.shutdown()
            return report
        } catch {
            staging.discard()
            await client.shutdown()
            throw error
        }
    }

    /// Reads every object of the bundle and hashes it in memory: nothing is written to disk.
    public func verify(with verifier: BundleVerifier) async throws -> [VerificationReport] {
        let client = S3Client(location: location, connections: connections, retry: retry)
        do {
            let (manifestData, checksums) = try await describingFiles(client: client)
            let objects = try await SiloError.during("listing \(address)") { try await listedObjects(client: client) }
            let manifest = try? BundleManifest.decode(manifestData)
            let files = manifest?.files ?? []
            let found = FoundFiles()
            // Objects of the wrong size are already a finding; only the others are read.
            let toRead = (manifest?.safeFiles ?? []).map(\.listed).filter { objects.size(of: $0.path) == $0.size }
            for file in files {
                if let size = objects.size(of: file.path), size != file.size {
                    found.set(file.path, PresentFile(isRegularFile: true, size: size, sha256: nil))
                }
            }
            try await Parallel.forEach(toRead, limit: connections) { file in
                var hasher = IncrementalSHA256()
                var size = 0
                let exists = try await SiloError.during("reading \(file.path) from \(address)") {
                    try await client.streamObject(key: file.path, restart: { hasher = IncrementalSHA256(); size = 0 }) { chunk in
                        hasher.update(chunk)
                        size += chunk.count
                    }
                }
                if exists { found.set(file.path, PresentFile(isRegularFile: true, size: size, sha256: hasher.finalize())) }
            }
            var report = verifier.check(target: address, manifestData: manifestData, checksumsData: checksums, present: found.all)
            // Every object under the prefix is served as part of the site: one the manifest
            // does not list fails the bundle, whatever its name looks like.
            let listedPaths = files.map(\.path)
            for object in objects.unlisted(besides: listedPaths) {
                let twin = listedPaths.first { $0 == object.relativePath && Array($0.utf8) != object.relativeBytes }
                let why = !object.isValidUTF8 ? " (its key is not valid UTF-8)"
                    : twin.map { " (its name differs from the listed \(S3KeyText.visible(Array($0.utf8))) only in Unicode normalisation)" } ?? ""
                report.problems.append(VerificationProblem(.unlisted, path: object.shown,
                    "an object under \(address) that the manifest does not list\(why); pico publish --prune removes it"))
            }
            await client.shutdown()
            return [report]
        } catch {
            await client.shutdown()
            throw error
        }
    }

    // MARK: Serving

    public func reader() throws -> any BundleReader {
        S3BundleReader(description: address, client: S3Client(location: location, connections: connections, retry: retry))
    }
}

/// Reads single files of an S3 bundle for `pico serve`, over one pool of connections. Objects
/// are fetched whole, and no larger than the manifest says (the client stops reading there).
struct S3BundleReader: BundleReader {
    let description: String
    let client: S3Client

    func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)? {
        try await client.getObject(key: path, limit: limit).map { InMemoryFileReader(data: Data($0)) }
    }

    func close() async { await client.shutdown() }
}

/// An S3 key as a message shows it: control and format characters (bidi overrides among them),
/// a leading combining mark and bytes that are not UTF-8 as `\u{…}` and `\x..` escapes, so a
/// key cannot draw on the terminal or hide in a name.
enum S3KeyText {
    static func visible(_ bytes: [UInt8]) -> String {
        var out = ""
        var rest = bytes[...]
        while !rest.isEmpty {
            // The longest valid UTF-8 run, then one byte that is not.
            var end = rest.startIndex
            var decoder = UTF8()
            var iterator = rest.makeIterator()
            var scalars: [Unicode.Scalar] = []
            var consumed = 0
            loop: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar):
                    scalars.append(scalar)
                    consumed += UTF8.width(scalar)
                case .emptyInput, .error: break loop
                }
            }
            end = rest.startIndex + consumed
            for scalar in scalars {
                let category = scalar.properties.generalCategory
                // A combining mark that starts the name would join what is printed before it.
                let leadingMark = out.isEmpty && [.nonspacingMark, .spacingMark, .enclosingMark].contains(category)
                if category == .control || category == .format || leadingMark {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            rest = rest[end...]
            if let byte = rest.first {
                out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
                rest = rest.dropFirst()
            }
        }
        return out
    }
}
