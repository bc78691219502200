import Foundation
import PicoBlossom
import PicoCore
import PicoFiles
import PicoNostr
import PicoRetry
import Synchronization
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// The kinds of place a bundle's record lists, in the order `pico fetch NAME` tries them.
public enum PlaceKind: String, Sendable, Codable, CaseIterable {
    /// A folder library on this machine (`--from DIR`).
    case library
    /// A `mirror` tag: an http(s) base URL serving the bundle as plain files.
    case mirror
    /// A `server` tag: a Blossom server holding each file as a blob.
    case blossom
    /// The relays (`relay` tags and the name's relays), holding the files as chunk events.
    case relay
}

/// One file wanted from a place: by path (libraries, mirrors) or by hash (Blossom, relays).
struct WantedFile: Sendable {
    var path: String
    var sha256: String
    var size: Int?
}

/// What a place answered for one file. Bytes are checked by the caller, not by the place.
enum PlaceAnswer: Sendable {
    case bytes(Data)
    /// The place answered, without this file.
    case missing(String)
    /// The place answered bytes that are not the file (a Blossom server's integrity check).
    case wrong(String)
    /// The place could not be asked at all.
    case unreachable(String)
}

/// Reads files of one bundle from one place. Never throws: every file gets its own answer.
protocol PlaceReader: Sendable {
    func read(_ files: [WantedFile]) async -> [String: PlaceAnswer]
    func close() async
}

/// A place the record lists, with what reads it.
public struct BundlePlace: Sendable, CustomStringConvertible {
    public let kind: PlaceKind
    /// The folder, base URL, server or relays, as the record gives it.
    public let location: String
    let reader: any PlaceReader
    public var description: String { "\(kind.rawValue) \(location)" }

    /// The most a file of unknown size may be (the describing files).
    static let unknownSizeLimit = 64 << 20
}

// MARK: Library

/// A bundle folder in a folder library, read by path.
struct LibraryPlaceReader: PlaceReader {
    let folder: URL?
    /// Why there is no folder (the library holds no copy of this name).
    let absence: String

    func read(_ files: [WantedFile]) async -> [String: PlaceAnswer] {
        var answers: [String: PlaceAnswer] = [:]
        for file in files {
            guard let folder else { answers[file.path] = .unreachable(absence); continue }
            let path = folder.path + "/" + file.path
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                answers[file.path] = .missing("\(file.path) is not in \(folder.path)")
                continue
            }
            if Int(info.st_size) > (file.size ?? BundlePlace.unknownSizeLimit) {
                answers[file.path] = .wrong("\(file.path) in \(folder.path) is \(info.st_size) bytes, not \(file.size ?? 0)")
                continue
            }
            do { answers[file.path] = .bytes(try FileTree.read(atPath: path)) } catch {
                answers[file.path] = .missing("\(path): \(error)")
            }
        }
        return answers
    }

    func close() async {}
}

// MARK: Mirror

/// An http(s) base URL serving the bundle as plain files, read through `HTTPSilo`'s reader
/// (`GET <base><path>`, at most the file's size read; same-origin redirects only). Once the
/// host cannot be reached, the rest of the files are not asked for.
struct MirrorPlaceReader: PlaceReader {
    let base: String
    private let reader: HTTPBundleReader?
    private let badAddress: String?
    let connections = 8

    init(base: String) {
        self.base = base
        do {
            var silo = try HTTPSilo(address: base)
            // Few tries: the next place is there to take over from a host that is down.
            silo.retry = RetryPolicy(attempts: 2, baseDelay: 0.1, maxDelay: 0.5)
            reader = try silo.reader() as? HTTPBundleReader
            badAddress = nil
        } catch {
            (reader, badAddress) = (nil, "the mirror tag \(base) is not an address pico reads: \(error)")
        }
    }

    func read(_ files: [WantedFile]) async -> [String: PlaceAnswer] {
        guard let reader else { return Dictionary(files.map { ($0.path, PlaceAnswer.unreachable(badAddress ?? base)) }, uniquingKeysWith: { a, _ in a }) }
        let answers = Mutex<[String: PlaceAnswer]>([:])
        let down = Mutex<String?>(nil)
        try? await Parallel.forEach(files, limit: connections) { file in
            let answer: PlaceAnswer
            if let why = down.withLock({ $0 }) {
                answer = .unreachable(why)
            } else {
                answer = await Self.get(file, from: reader, base: base)
                if case .unreachable(let why) = answer { down.withLock { $0 = $0 ?? why } }
            }
            answers.withLock { $0[file.path] = answer }
        }
        return answers.withLock { $0 }
    }

    private static func get(_ file: WantedFile, from reader: HTTPBundleReader, base: String) async -> PlaceAnswer {
        do {
            guard let data = try await reader.readWhole(file.path, limit: file.size ?? BundlePlace.unknownSizeLimit) else {
                return .missing("\(base) does not have \(file.path) (HTTP 404)")
            }
            return .bytes(data)
        } catch {
            let cause = ((error as? SiloError)?.cause as? HTTPSiloError) ?? (error as? HTTPSiloError)
            switch cause?.kind {
            case .tooLarge?: return .wrong(cause!.description)
            case .unreachable?, .tls?, .timeout?: return .unreachable(cause!.description)
            default: return .missing("\(error)")
            }
        }
    }

    func close() async { await reader?.close() }
}

// MARK: Blossom

/// A `server` tag: `GET <server>/<sha256>`.
struct BlossomPlaceReader: PlaceReader {
    let tag: String
    private let client: BlossomClient?
    private let badAddress: String?

    init(tag: String) {
        self.tag = tag
        do {
            client = BlossomClient(server: try BlossomServer(parsing: BlossomServer.scheme + tag), key: nil, connections: 8,
                                   retry: RetryPolicy(attempts: 2, baseDelay: 0.1, maxDelay: 0.5))
            badAddress = nil
        } catch {
            (client, badAddress) = (nil, "the server tag \(tag) is not a Blossom server pico reads: \(error)")
        }
    }

    func read(_ files: [WantedFile]) async -> [String: PlaceAnswer] {
        guard let client else { return Dictionary(files.map { ($0.path, PlaceAnswer.unreachable(badAddress ?? tag)) }, uniquingKeysWith: { a, _ in a }) }
        let answers = Mutex<[String: PlaceAnswer]>([:])
        try? await Parallel.forEach(files, limit: 8) { file in
            let answer: PlaceAnswer
            do throws(BlossomError) {
                if let data = try await client.download(file.sha256, limit: file.size ?? BundlePlace.unknownSizeLimit, file: file.path) {
                    answer = .bytes(data)
                } else {
                    answer = .missing("\(tag) does not have blob \(file.sha256) (\(file.path), HTTP 404)")
                }
            } catch {
                switch error.kind {
                case .integrity: answer = .wrong(error.description)
                case .network: answer = .unreachable(error.description)
                default: answer = .missing(error.description)
                }
            }
            answers.withLock { $0[file.path] = answer }
        }
        return answers.withLock { $0 }
    }

    func close() async { await client?.shutdown() }
}

// MARK: Relay chunks

/// The relays, holding each content as pico's chunk events.
struct RelayPlaceReader: PlaceReader {
    let reader: NostrSiteReader?
    let warnings: WarningList

    init(address: NostrSiteAddress?) {
        let warnings = WarningList()
        self.warnings = warnings
        reader = address.map { NostrSiteReader(address: $0, warn: { warnings.add($0) }, blobSources: { _ in [] }, tell: { _ in }) }
    }

    func read(_ files: [WantedFile]) async -> [String: PlaceAnswer] {
        guard let reader else { return Dictionary(files.map { ($0.path, PlaceAnswer.unreachable("no relay to ask")) }, uniquingKeysWith: { a, _ in a }) }
        var unique: [String: Int?] = [:]
        for file in files { unique[file.sha256] = file.size }
        let got: [String: Result<Data, FileChunks.Problem>]
        do { got = try await reader.contents(unique.map { StoredContent(sha256: $0.key, size: $0.value) }) } catch {
            return Dictionary(files.map { ($0.path, PlaceAnswer.unreachable("\(error)")) }, uniquingKeysWith: { a, _ in a })
        }
        var answers: [String: PlaceAnswer] = [:]
        for file in files {
            switch got[file.sha256] {
            case .success(let data)?: answers[file.path] = .bytes(data)
            case .failure(let problem)?: answers[file.path] = problem.forged ? .wrong(problem.description) : .missing(problem.description)
            case nil: answers[file.path] = .missing("no relay holds \(file.path) as chunk events")
            }
        }
        return answers
    }

    func close() async { await reader?.close() }
}

/// Warnings gathered from concurrent work.
final class WarningList: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ warning: String) { list.withLock { if !$0.contains(warning) { $0.append(warning) } } }
    var all: [String] { list.withLock { $0 } }
}
