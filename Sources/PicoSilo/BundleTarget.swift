import Foundation
import PicoArchive
import PicoCore
#if canImport(Glibc)
import Glibc
#endif

/// What `pico verify`, `serve` and `fetch` are pointed at, parsed once for all three: a bundle
/// folder, a bundle archive, a library (a folder of bundle folders), a pico site, or the
/// address of a silo (s3://, nostr:, ws://). `file:///path` is a path written as an address,
/// so it means exactly what the path means.
public struct BundleTarget: Sendable {
    public enum Form: Sendable {
        /// A folder with pico.toml: `serve` builds it; `verify` and `fetch` read it as the folder it is.
        case site(URL)
        /// A bundle folder, or a folder that is neither a bundle nor a library (verify says what is missing).
        case folder(URL)
        /// A bundle in one file (.zip, .tar, .tar.gz, .tar.zst).
        case archive(URL)
        /// A folder whose sub-folders are bundles.
        case library(URL)
        /// A bucket or relays.
        case silo(any Silo)
    }

    /// The target as the user wrote it, for messages.
    public let address: String
    public let form: Form

    /// Reads `text` as a path (relative to `currentDirectory`) or an address; paths are looked
    /// at on disk to tell folders, libraries, sites and archives apart. `environment` is where
    /// S3 credentials and settings come from.
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws(BundleTargetError) {
        address = text
        guard !text.isEmpty else { throw BundleTargetError(.empty, text, "no target given: name a bundle folder, an archive or a silo address") }
        if text.hasPrefix("file:") {
            form = try Self.form(ofPath: try Self.path(ofFileAddress: text), address: text)
        } else if SiloAddress.isNetworkAddress(text) {
            do { form = .silo(try SiloAddress.silo(for: text, environment: environment)) } catch {
                throw BundleTargetError(.badSiloAddress, text, String(describing: error))
            }
        } else {
            let url = URL(fileURLWithPath: text, relativeTo: URL(fileURLWithPath: currentDirectory.path, isDirectory: true)).standardizedFileURL
            if !FileManager.default.fileExists(atPath: url.path), let scheme = Self.scheme(of: text) {
                throw BundleTargetError(.unknownScheme, text,
                                        "\(text): unknown kind of address \"\(scheme):\" (a path, file://, s3://, ws://, wss:// or nostr:)")
            }
            form = try Self.form(ofPath: url, address: text)
        }
    }

    /// The path a `file:` address names: `file:///absolute/path` (or `file://localhost/…`).
    static func path(ofFileAddress text: String) throws(BundleTargetError) -> URL {
        guard let url = URL(string: text), url.isFileURL, text.hasPrefix("file://"),
              url.host == nil || url.host == "" || url.host == "localhost", url.path.hasPrefix("/") else {
            throw BundleTargetError(.badFileAddress, text, "\(text) is not a file:// address; write file:///absolute/path")
        }
        return url.standardizedFileURL
    }

    /// `ftp` of `ftp://x` or `http` of `http:…`: letters first, two at least (so `C:` is not one).
    static func scheme(of text: String) -> String? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let name = text[..<colon]
        guard name.count > 1, name.first!.isASCII, name.first!.isLetter,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else { return nil }
        return String(name)
    }

    static func form(ofPath url: URL, address: String) throws(BundleTargetError) -> Form {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            throw BundleTargetError(.doesNotExist, address, "\(url.path) does not exist")
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("pico.toml").path) { return .site(url) }
            return folderForm(url)
        case S_IFREG:
            return .archive(url)
        default:
            throw BundleTargetError(.notAFolderOrArchive, address,
                                    "\(url.path) is a special file (a device, socket or pipe), not a bundle folder or an archive")
        }
    }

    /// A folder that is no bundle itself but holds bundle folders is a library.
    static func folderForm(_ url: URL) -> Form {
        FilesystemSilo(url: url, address: url.path).isLibrary ? .library(url) : .folder(url)
    }

    /// The folder a site is, for the commands that read rather than build it.
    private var readForm: Form {
        if case .site(let url) = form { return Self.folderForm(url) }
        return form
    }

    // MARK: What the commands do with a target

    /// `pico verify`: one report per bundle (a library has several).
    public func verify(with verifier: BundleVerifier) async throws -> [VerificationReport] {
        switch readForm {
        case .folder(let url), .site(let url): return [FilesystemSilo.verifyBundle(at: url, with: verifier)]
        case .archive(let url): return [ArchiveVerifier(verifier).verify(archive: url)]
        case .library(let url): return try await FilesystemSilo(url: url, address: address).verify(with: verifier)
        case .silo(let silo): return try await silo.verify(with: verifier)
        }
    }

    /// `pico serve`: the one bundle at the target, read file by file. A site is built first
    /// (by the command line, which knows the build), so it is refused here.
    public func reader() throws -> any BundleReader {
        switch form {
        case .site(let url):
            throw SiloError("\(url.path) is a pico site (it has pico.toml); build it with pico build, or serve it, which builds it")
        case .folder(let url): return FolderBundleReader(root: url)
        case .archive(let url):
            // Once, before serving: no archive at all, or one other readers see differently, is refused.
            try ArchiveReader.checkLayout(of: url)
            return ArchiveBundleReader(archive: url)
        case .library(let url): return try FilesystemSilo(url: url, address: address).reader()
        case .silo(let silo): return try silo.reader()
        }
    }

    /// `pico fetch`: the one bundle at the target, copied to `destination` and verified.
    public func fetch(to destination: URL, verifier: BundleVerifier) async throws -> VerificationReport {
        switch readForm {
        case .folder(let url), .library(let url), .site(let url):
            return try await FilesystemSilo(url: url, address: address).fetch(to: destination, verifier: verifier)
        case .archive(let url):
            throw SiloError("\(url.path) is a bundle archive; copy it out with pico unpack \(url.path) -o \(destination.path)")
        case .silo(let silo):
            return try await silo.fetch(to: destination, verifier: verifier)
        }
    }
}

/// A target that names nothing pico can read, and why.
public struct BundleTargetError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case empty, doesNotExist, notAFolderOrArchive, badFileAddress, unknownScheme, badSiloAddress
    }

    public let kind: Kind
    /// The target as written.
    public let target: String
    public let description: String

    init(_ kind: Kind, _ target: String, _ description: String) {
        (self.kind, self.target, self.description) = (kind, target, description)
    }
}
