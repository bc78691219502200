import Foundation
import PicoFiles
import PicoParallel

/// One thing wrong with a bundle.
public struct VerificationProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case manifest, checksums, id, signature, signer
        case unsafePath = "unsafe-path", duplicate, missing, changed, unlisted
        case notRegularFile = "not-a-regular-file"
    }

    public var kind: Kind
    public var path: String?
    public var message: String

    public init(_ kind: Kind, path: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// One line, whatever the path and message hold (they quote untrusted names and keys).
    public var description: String {
        let message = TextFormats.escapingControls(message)
        return path.map { "\(kind.rawValue): \(TextFormats.escapingControls($0)): \(message)" } ?? "\(kind.rawValue): \(message)"
    }
}

public enum SignatureStatus: Sendable, Equatable {
    case absent
    case valid(pubkey: String)
    case invalid(pubkey: String)
    /// A signature is there but nothing was given to check it with.
    case unchecked(pubkey: String)
}

/// What `pico verify` found.
public struct VerificationReport: Sendable {
    public var target: String
    public var manifest: BundleManifest?
    public var signature: SignatureStatus = .absent
    public var problems: [VerificationProblem] = []
    public var checkedFiles = 0
    public var checkedBytes = 0
    /// Something the reader should know although it is no problem (an interrupted publish).
    public var note: String?

    public var isValid: Bool { problems.isEmpty && manifest != nil }

    public init(target: String, problems: [VerificationProblem] = []) {
        self.target = target
        self.problems = problems
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "target": .string(target),
            "ok": .bool(isValid),
            "files": .int(checkedFiles),
            "bytes": .int(checkedBytes),
            "problems": .array(problems.map { problem in
                var item: [String: JSONValue] = ["kind": .string(problem.kind.rawValue), "message": .string(problem.message)]
                if let path = problem.path { item["path"] = .string(path) }
                return .object(item)
            }),
        ]
        if let note { members["note"] = .string(note) }
        if let manifest {
            members["id"] = .string(manifest.id)
            members["name"] = .string(manifest.name)
        }
        switch signature {
        case .absent: members["signature"] = .string("absent")
        case .valid(let key): members["signature"] = .string("valid"); members["signer"] = .string(key)
        case .invalid(let key): members["signature"] = .string("invalid"); members["signer"] = .string(key)
        case .unchecked(let key): members["signature"] = .string("unchecked"); members["signer"] = .string(key)
        }
        return .object(members)
    }
}

/// A file as it was found in the thing being verified (folder, archive, silo).
public struct PresentFile: Sendable {
    public var isRegularFile: Bool
    public var size: Int
    /// Nil when the file was not hashed (not regular, or its size already disagrees).
    public var sha256: String?

    public init(isRegularFile: Bool, size: Int, sha256: String?) {
        self.isRegularFile = isRegularFile
        self.size = size
        self.sha256 = sha256
    }
}

/// Checks a bundle against its own manifest. The checking is separate from the reading so
/// that folders, archives and silos all go through the same rules.
///
/// Every command and silo that reads a bundle takes one of these, made by
/// `BundleVerifier.standard(expectedSigner:)` (PicoSilo), which checks signatures with
/// secp256k1. A verifier made without a signature checker refuses every signed bundle
/// rather than pass an unchecked signature: forgetting the checker fails closed.
public struct BundleVerifier: Sendable {
    public var signatureChecker: (any BundleSignatureChecker)?
    /// Hex x-only public key the signature must be by (`--signer`).
    public var expectedSigner: String?

    public init(signatureChecker: (any BundleSignatureChecker)? = nil, expectedSigner: String? = nil) {
        self.signatureChecker = signatureChecker
        self.expectedSigner = expectedSigner
    }

    /// The signature of `manifest` as this verifier sees it, and the problem with it, if any.
    /// (Also what a library index shows: "Signed" only for `.valid`.)
    public func signatureStatus(of manifest: BundleManifest) -> (status: SignatureStatus, problems: [VerificationProblem]) {
        var problems: [VerificationProblem] = []
        var status = SignatureStatus.absent
        if let signature = manifest.signature {
            if let signatureChecker {
                if signatureChecker.isValid(signature, bundleID: manifest.id) {
                    status = .valid(pubkey: signature.pubkey)
                } else {
                    status = .invalid(pubkey: signature.pubkey)
                    problems.append(.init(.signature, "the signature does not match the bundle id and key \(signature.pubkey)"))
                }
            } else {
                status = .unchecked(pubkey: signature.pubkey)
                problems.append(.init(.signature, "signed by \(signature.pubkey), but this verifier has no signature checker; "
                                      + "a signature that is not checked is not accepted"))
            }
        }
        if let expectedSigner {
            if let signature = manifest.signature {
                if signature.pubkey.lowercased() != expectedSigner.lowercased() {
                    problems.append(.init(.signer, "signed by \(signature.pubkey), not by the required \(expectedSigner)"))
                }
            } else {
                problems.append(.init(.signer, "the bundle is not signed, but a signer was required"))
            }
        }
        return (status, problems)
    }

    /// Checks only what describes the bundle: the manifest, SHA256SUMS, the id, every listed
    /// path, the signature and the signer, with no file of the bundle at hand. For readers that
    /// check each file later, as they hand it out (`pico serve`): a file is then good when its
    /// size and SHA-256 are the ones `report.manifest` lists.
    public func checkDescription(target: String, manifestData: Data?, checksumsData: Data?) -> VerificationReport {
        var report = check(target: target, manifestData: manifestData, checksumsData: checksumsData, present: [:], filesAtHand: false)
        report.checkedFiles = 0
        return report
    }

    /// Verifies a bundle folder: hashes every listed file on every core, reading each once.
    public func verify(folder: URL) -> VerificationReport {
        let walked: [FileTreeEntry]
        do {
            walked = try FileTree.walk(folder)
        } catch {
            return VerificationReport(target: folder.path,
                                      problems: [.init(.manifest, "cannot read the folder: \(error.localizedDescription)")])
        }
        // The describing files are read as the others are: never through a symlink.
        var describingProblems: [VerificationProblem] = []
        func describing(_ name: String) -> Data? {
            do {
                return try FileTree.readWithoutFollowing(name, under: folder.path)
            } catch is FileTree.NotRegular {
                describingProblems.append(.init(.notRegularFile, path: name, "is a symlink or special file, not a regular file"))
            } catch {
                describingProblems.append(.init(.manifest, path: name, "unreadable: \(error)"))
            }
            return nil
        }
        let manifestData = describing(BundleManifest.fileName)
        let checksumsData = describing(BundleManifest.checksumsFileName)
        let listed = (manifestData.flatMap { try? BundleManifest.decode($0) })
            .map { Dictionary($0.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first }) } ?? [:]

        // A name that is not valid UTF-8, or not NFC, can never be a listed file, and as a Swift
        // String it would compare equal to its NFC twin: each is reported as it is, unlisted.
        let oddNames = walked.filter { !$0.hasCanonicalName }
        let entries = walked.filter(\.hasCanonicalName)
        // Hash only what the manifest lists with the right size; anything else is already a finding.
        let toHash = entries.filter { entry in
            entry.kind == .file && listed[entry.path].map { $0.size == entry.size } == true
        }
        let hashes = Parallel.map(toHash) { entry in
            try? SHA256Hex.ofFile(at: folder.appendingPathComponent(entry.path)).hex
        }
        var present: [String: PresentFile] = [:]
        for entry in entries {
            present[entry.path] = PresentFile(isRegularFile: entry.kind == .file, size: entry.size, sha256: nil)
        }
        for (entry, hash) in zip(toHash, hashes) { present[entry.path]?.sha256 = hash }
        var report = check(target: folder.path, manifestData: manifestData, checksumsData: checksumsData, present: present)
        report.problems = describingProblems + report.problems
        if report.manifest != nil, !oddNames.isEmpty {
            report.problems += oddNames.map { entry in
                VerificationProblem(entry.kind == .file ? .unlisted : .notRegularFile, path: entry.path,
                    "in the bundle but not listed in the manifest (the name is not valid UTF-8 in NFC, so no manifest can list it)")
            }
            report.problems.sort { ($0.path ?? "").utf8.lexicographicallyPrecedes(($1.path ?? "").utf8) }
        }
        return report
    }

    /// The rules, applied to what was found.
    public func check(target: String, manifestData: Data?, checksumsData: Data?,
                      present: [String: PresentFile]) -> VerificationReport {
        check(target: target, manifestData: manifestData, checksumsData: checksumsData, present: present, filesAtHand: true)
    }

    private func check(target: String, manifestData: Data?, checksumsData: Data?,
                       present: [String: PresentFile], filesAtHand: Bool) -> VerificationReport {
        var report = VerificationReport(target: target)
        guard let manifestData else {
            report.problems.append(.init(.manifest, path: BundleManifest.fileName,
                "missing: this is not a pico bundle (make one with `pico build`)"))
            return report
        }
        let manifest: BundleManifest
        do {
            manifest = try BundleManifest.decode(manifestData)
        } catch {
            report.problems.append(.init(.manifest, path: BundleManifest.fileName, "unreadable: \(describe(error))"))
            return report
        }
        report.manifest = manifest
        var problems: [VerificationProblem] = []

        if manifest.format != BundleManifest.format {
            problems.append(.init(.manifest, path: BundleManifest.fileName,
                "format is \"\(manifest.format)\", this pico reads \"\(BundleManifest.format)\""))
        }
        if manifest.canonicalJSON != manifestData {
            problems.append(.init(.manifest, path: BundleManifest.fileName,
                "not in canonical form (sorted keys, no whitespace): it was edited or written by another tool"))
        }

        var seen = Set<String>()
        for file in manifest.files {
            do throws(BundlePath.Problem) {
                _ = try BundlePath(validating: file.path)
            } catch {
                problems.append(.init(.unsafePath, path: file.path, error.description))
                continue
            }
            if BundleManifest.describingFiles.contains(file.path) {
                problems.append(.init(.unsafePath, path: file.path, "the manifest must not list itself or SHA256SUMS"))
                continue
            }
            if !seen.insert(file.path).inserted {
                problems.append(.init(.duplicate, path: file.path, "listed more than once"))
                continue
            }
            guard filesAtHand else { continue }
            guard let found = present[file.path] else {
                problems.append(.init(.missing, path: file.path, "listed in the manifest but not in the bundle"))
                continue
            }
            guard found.isRegularFile else {
                problems.append(.init(.notRegularFile, path: file.path, "is a symlink or special file, not a regular file"))
                continue
            }
            report.checkedFiles += 1
            report.checkedBytes = report.checkedBytes.addingSaturating(found.size)
            if found.size != file.size {
                problems.append(.init(.changed, path: file.path, "size is \(found.size) bytes, the manifest says \(file.size)"))
            } else if found.sha256 != file.sha256.lowercased() {
                problems.append(.init(.changed, path: file.path,
                    "SHA-256 is \(found.sha256 ?? "unreadable"), the manifest says \(file.sha256)"))
            }
        }
        // Paths that are each safe but cannot all exist on one disk.
        for conflict in BundlePath.conflicts(among: seen) {
            problems.append(.init(.unsafePath, path: conflict.second, conflict.description))
        }
        if !seen.contains(manifest.entry) {
            problems.append(.init(.manifest, path: manifest.entry, "the entry page is not a file of the bundle"))
        }
        for (path, found) in present where !seen.contains(path) && !BundleManifest.describingFiles.contains(path) {
            problems.append(.init(found.isRegularFile ? .unlisted : .notRegularFile, path: path,
                "in the bundle but not listed in the manifest"))
        }

        let expectedChecksums = Checksums.render(manifest.files)
        if let checksumsData {
            if checksumsData != expectedChecksums {
                problems.append(.init(.checksums, path: BundleManifest.checksumsFileName,
                    "does not list exactly the manifest's files and hashes"))
            }
            let actualID = Checksums.bundleID(of: checksumsData)
            if actualID != manifest.id {
                problems.append(.init(.id, "the bundle id is \(manifest.id) but SHA256SUMS hashes to \(actualID)"))
            }
        } else {
            problems.append(.init(.checksums, path: BundleManifest.checksumsFileName, "missing"))
            if Checksums.bundleID(of: expectedChecksums) != manifest.id {
                problems.append(.init(.id, "the bundle id does not match the manifest's files"))
            }
        }

        let signature = signatureStatus(of: manifest)
        report.signature = signature.status
        problems += signature.problems

        report.problems = problems.sorted { ($0.path ?? "").utf8.lexicographicallyPrecedes(($1.path ?? "").utf8) }
        return report
    }

    private func describe(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .keyNotFound(let key, _): return "the key \"\(key.stringValue)\" is missing"
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
            @unknown default: return "\(decoding)"
            }
        }
        return "\(error)"
    }
}
