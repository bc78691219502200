import Foundation
import PicoCore
import PicoFiles
#if canImport(Glibc)
import Glibc
#endif

/// Limits that stop hostile archives (zip bombs, millions of entries) before they cost much.
public struct ArchiveLimits: Sendable {
    public var maxEntries = 100_000
    public var maxUnpackedBytes: Int64
    /// The manifest files are read into memory; real ones are far smaller.
    public var maxManifestBytes = BundleManifest.maxDescribingFileBytes

    /// At least 1 GiB, and 100 times the archive's own size: real bundles compress far less
    /// than 100:1, bombs far more.
    public static func forArchive(size: Int64) -> ArchiveLimits {
        ArchiveLimits(maxUnpackedBytes: max(1 << 30, size * 100))
    }
}

/// A bundle served straight out of an archive, the way kiwix-serve serves a ZIM file: each
/// file opened finds its entry (a zip's central directory makes that a walk over headers, with
/// no decompression of the entries it passes) and streams just that entry.
public struct ArchiveBundleReader: BundleReader {
    public let archive: URL
    public init(archive: URL) { self.archive = archive }
    public var description: String { archive.path }

    public func open(_ path: String, limit: Int) async throws -> (any BundleFileReader)? {
        let archive = archive
        return try await BlockingRead.run { try ArchiveEntryStream.open(path, in: archive).map(Entry.init) }
    }

    struct Entry: BundleFileReader {
        let stream: ArchiveEntryStream
        func read(upTo maxCount: Int) async throws -> [UInt8] {
            let stream = stream
            return try await BlockingRead.run { try stream.read(upTo: maxCount) }
        }
    }
}

/// Reads a bundle archive in one pass: every entry's path and kind checked, every file hashed,
/// the manifest files kept — what `pico verify` and `pico unpack` both need.
struct ArchivePass {
    var present: [String: PresentFile] = [:]
    var manifestData: Data?
    var checksumsData: Data?
    var problems: [VerificationProblem] = []

    /// `store`, when given, is called for each safe regular file before its bytes are read, and
    /// returns a sink for them (unpack writes them to disk).
    static func run(_ path: String, limits: ArchiveLimits, stopAtFirstProblem: Bool,
                    store: ((BundlePath) throws -> (UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> ArchivePass {
        try UTF8Locale.run { try read(path, limits: limits, stopAtFirstProblem: stopAtFirstProblem, store: store) }
    }

    private static func read(_ path: String, limits: ArchiveLimits, stopAtFirstProblem: Bool,
                             store: ((BundlePath) throws -> (UnsafeRawBufferPointer) throws -> Void)?) throws -> ArchivePass {
        let reader = try ArchiveReader(path: path)
        var pass = ArchivePass()
        var entries = 0
        var unpacked: Int64 = 0
        func problem(_ p: VerificationProblem) throws {
            if stopAtFirstProblem { throw ArchiveError("refusing \(path): \(p.path ?? "") \(p.message)") }
            pass.problems.append(p)
        }
        while let entry = try reader.next() {
            entries += 1
            guard entries <= limits.maxEntries else {
                throw ArchiveError("\(path) has more than \(limits.maxEntries) entries; refusing it as a likely archive bomb")
            }
            var name = entry.path
            while name.hasPrefix("./") { name.removeFirst(2) }
            if entry.kind == .directory {
                while name.hasSuffix("/") { name.removeLast() }
                if name.isEmpty || name == "." { continue }
            }
            let entryPath: BundlePath
            do throws(BundlePath.Problem) { entryPath = try BundlePath(validating: name) } catch {
                try problem(.init(.unsafePath, path: entry.path, "\(error); an archive entry must stay inside the bundle"))
                continue
            }
            switch entry.kind {
            case .directory:
                continue
            case .symlink(let target):
                try problem(.init(.notRegularFile, path: name, "is a symbolic link to \(target); bundles hold only regular files"))
                continue
            case .hardlink(let target):
                try problem(.init(.notRegularFile, path: name, "is a hard link to \(target); bundles hold only regular files"))
                continue
            case .special:
                try problem(.init(.notRegularFile, path: name, "is a device, fifo or socket; bundles hold only regular files"))
                continue
            case .file:
                break
            }
            if pass.present[name] != nil {
                try problem(.init(.duplicate, path: name, "appears more than once in the archive"))
                continue
            }
            let isManifestFile = BundleManifest.describingFiles.contains(name)
            var kept = Data()
            var hasher = IncrementalSHA256()
            let sink = try store?(entryPath)
            let size = try reader.readData { chunk in
                unpacked += Int64(chunk.count)
                guard unpacked <= limits.maxUnpackedBytes else {
                    throw ArchiveError("\(path) unpacks to more than \(limits.maxUnpackedBytes >> 20) MiB; refusing it as a likely zip bomb")
                }
                hasher.update(chunk)
                if isManifestFile {
                    guard kept.count + chunk.count <= limits.maxManifestBytes else {
                        throw ArchiveError("\(name) in \(path) is larger than any real manifest; refusing it")
                    }
                    kept.append(contentsOf: chunk)
                }
                try sink?(chunk)
            }
            if name == BundleManifest.fileName { pass.manifestData = kept }
            if name == BundleManifest.checksumsFileName { pass.checksumsData = kept }
            pass.present[name] = PresentFile(isRegularFile: true, size: size, sha256: hasher.finalize())
        }
        return pass
    }
}

/// `pico verify FILE`: the archive checked as thoroughly as a folder, in one streaming pass,
/// with nothing written to disk.
public struct ArchiveVerifier: Sendable {
    public var verifier: BundleVerifier

    public init(_ verifier: BundleVerifier) { self.verifier = verifier }

    public func verify(archive: URL) -> VerificationReport {
        let size = (try? FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? Int64) ?? 0
        do {
            let pass = try ArchivePass.run(archive.path, limits: .forArchive(size: size), stopAtFirstProblem: false)
            var report = verifier.check(target: archive.path, manifestData: pass.manifestData,
                                        checksumsData: pass.checksumsData, present: pass.present)
            report.problems = (pass.problems + report.problems)
                .sorted { ($0.path ?? "").utf8.lexicographicallyPrecedes(($1.path ?? "").utf8) }
            return report
        } catch {
            return VerificationReport(target: archive.path, problems: [VerificationProblem(.manifest, "\(error)")])
        }
    }
}

/// `pico unpack FILE -o DIR`: refuses any hostile entry, writes into a temporary folder beside
/// DIR, verifies what it wrote, and only then moves it into DIR.
public struct BundleUnpacker: Sendable {
    public var verifier: BundleVerifier

    public init(_ verifier: BundleVerifier) { self.verifier = verifier }

    public func unpack(archive: URL, to destination: URL) throws -> VerificationReport {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path) {
            guard FileTree.isDirectory(destination), (try? fm.contentsOfDirectory(atPath: destination.path))?.isEmpty == true else {
                throw ArchiveError("\(destination.path) already exists and is not an empty folder; unpack into a new folder")
            }
        }
        let parent = destination.deletingLastPathComponent()
        try FileTree.makeFolders(parent.path)
        // mkdtemp creates a new folder of its own or fails: a name planted beside DIR (a
        // symlink in a shared /tmp) is never followed or reused.
        var template = Array((parent.path + "/.\(destination.lastPathComponent).pico-unpack-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXFailure(operation: "create a staging folder in", path: parent.path, code: errno)
        }
        let staging = URL(fileURLWithPath: String(cString: made), isDirectory: true)
        do {
            let size = (try fm.attributesOfItem(atPath: archive.path)[.size] as? Int64) ?? 0
            let root = staging.path
            var open: Int32 = -1
            defer { if open >= 0 { close(open) } }
            let pass = try ArchivePass.run(archive.path, limits: .forArchive(size: size), stopAtFirstProblem: true) { name in
                if open >= 0 { close(open); open = -1 }
                let path = root + "/" + name.string
                try FileTree.makeFolders(String(path[..<path.lastIndex(of: "/")!]))
                // O_EXCL and O_NOFOLLOW: never write through anything already there.
                open = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                guard open >= 0 else { throw POSIXFailure(operation: "create", path: path, code: errno) }
                let descriptor = open
                return { chunk in try FileTree.writeAll(chunk, to: descriptor, path: path) }
            }
            if open >= 0 { close(open); open = -1 }
            let report = verifier.check(target: archive.path, manifestData: pass.manifestData,
                                        checksumsData: pass.checksumsData, present: pass.present)
            guard report.isValid else {
                throw ArchiveError("refusing \(archive.path): it is not an intact bundle\n"
                                   + report.problems.map { "  \($0)" }.joined(separator: "\n"))
            }
            // mkdtemp made it 0700; the unpacked folder is an ordinary one.
            guard chmod(staging.path, 0o755) == 0 else { throw POSIXFailure(operation: "set the mode of", path: staging.path, code: errno) }
            // rename(2) replaces an empty folder at DIR in one step, and fails on anything else.
            try fm.moveItemReplacing(staging, to: destination)
            return report
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
    }
}
