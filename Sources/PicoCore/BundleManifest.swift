import Foundation
import PicoFiles

/// One file of a bundle as the integrity manifest lists it.
public struct BundleFile: Equatable, Sendable, Codable {
    public var path: String
    public var size: Int
    public var sha256: String
    public var type: String

    public init(path: String, size: Int, sha256: String, type: String) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.type = type
    }

    private enum CodingKeys: String, CodingKey { case path, size, sha256, type }

    /// Sizes come from untrusted manifests: a negative or absurd one is refused here, so that
    /// no reader's arithmetic on them can overflow.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        size = try container.decode(Int.self, forKey: .size)
        sha256 = try container.decode(String.self, forKey: .sha256)
        type = try container.decode(String.self, forKey: .type)
        guard (0...BundleManifest.maximumSize).contains(size) else {
            throw DecodingError.dataCorruptedError(forKey: .size, in: container,
                debugDescription: "the size \(size) is \(size < 0 ? "negative" : "larger than any bundle pico reads (1 PiB)")")
        }
    }
}

extension Int {
    /// `self + other`, or `Int.max` where that would overflow: for counting bytes that come
    /// from untrusted places (listings, headers), where a trap would be a crash.
    public func addingSaturating(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other < 0 ? Int.min : Int.max) : sum
    }
}

/// The author's BIP-340 signature over the 32 bytes of the bundle id.
public struct BundleSignature: Equatable, Sendable, Codable {
    public var pubkey: String
    public var sig: String

    public init(pubkey: String, sig: String) {
        self.pubkey = pubkey
        self.sig = sig
    }
}

/// `pico-manifest.json`: what lets a bundle check its own integrity (DESIGN.md, "A bundle").
public struct BundleManifest: Equatable, Sendable, Codable {
    public static let format = "pico-bundle/1"
    public static let fileName = "pico-manifest.json"
    public static let checksumsFileName = "SHA256SUMS"
    /// The two files that describe the bundle and so are not listed in it.
    public static let describingFiles: Set<String> = [fileName, checksumsFileName]

    public var format: String
    public var name: String
    public var entry: String
    public var files: [BundleFile]
    public var id: String
    public var signature: BundleSignature?
    /// When the content was made, `2024-03-01T00:00:00Z`: from SOURCE_DATE_EPOCH or the newest
    /// page date, never the clock, so it does not break reproducibility. Optional; archives
    /// take their entries' time from it.
    public var created: String?

    public init(name: String, entry: String, files: [BundleFile], id: String, signature: BundleSignature? = nil,
                created: String? = nil) {
        self.format = Self.format
        self.name = name
        self.entry = entry
        self.files = files
        self.id = id
        self.signature = signature
        self.created = created
    }

    /// `created` as seconds since 1970, when it is a valid UTC time.
    public var createdEpoch: Int? {
        guard let created else { return nil }
        return Self.epoch(fromUTC: created)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for seconds since 1970 (UTC, no leap seconds).
    public static func utcString(epoch: Int) -> String {
        let days = epoch >= 0 ? epoch / 86_400 : (epoch - 86_399) / 86_400
        let seconds = epoch - days * 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, day,
                      seconds / 3600, seconds % 3600 / 60, seconds % 60)
    }

    static func epoch(fromUTC text: String) -> Int? {
        let b = Array(text.utf8)
        guard b.count >= 10 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            return Int(String(decoding: b[range], as: UTF8.self))
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        let hour = number(11..<13) ?? 0, minute = number(14..<16) ?? 0, second = number(17..<19) ?? 0
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Canonical JSON: sorted keys, no insignificant whitespace, UTF-8.
    public var canonicalJSON: Data {
        var members: [String: JSONValue] = [
            "format": .string(format),
            "name": .string(name),
            "entry": .string(entry),
            "id": .string(id),
            "files": .array(files.map { file in
                .object([
                    "path": .string(file.path), "size": .int(file.size),
                    "sha256": .string(file.sha256), "type": .string(file.type),
                ])
            }),
        ]
        if let signature {
            members["signature"] = .object(["pubkey": .string(signature.pubkey), "sig": .string(signature.sig)])
        }
        if let created { members["created"] = .string(created) }
        return JSONValue.object(members).canonicalData
    }

    public static func decode(_ data: Data) throws -> BundleManifest {
        try JSONDecoder().decode(BundleManifest.self, from: data)
    }

    /// The largest file, and the largest whole bundle, a manifest may declare (1 PiB). Decoding
    /// refuses more, so sums over a decoded manifest's sizes cannot overflow.
    public static let maximumSize = 1 << 50

    /// The bytes of every listed file (never more than `maximumSize` for a decoded manifest).
    public var totalSize: Int { files.reduce(0) { $0.addingSaturating($1.size) } }

    private enum CodingKeys: String, CodingKey { case format, name, entry, files, id, signature, created }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(String.self, forKey: .format)
        name = try container.decode(String.self, forKey: .name)
        entry = try container.decode(String.self, forKey: .entry)
        files = try container.decode([BundleFile].self, forKey: .files)
        id = try container.decode(String.self, forKey: .id)
        signature = try container.decodeIfPresent(BundleSignature.self, forKey: .signature)
        created = try container.decodeIfPresent(String.self, forKey: .created)
        var total = 0
        for file in files {
            let (sum, overflow) = total.addingReportingOverflow(file.size)
            guard !overflow, sum <= Self.maximumSize else {
                throw DecodingError.dataCorruptedError(forKey: .files, in: container,
                    debugDescription: "the files add up to more than any bundle pico reads (1 PiB)")
            }
            total = sum
        }
    }
}

/// `SHA256SUMS`: `<hex>  <path>` lines sorted by path bytes, the format `sha256sum -c` reads.
/// The bundle id is the SHA-256 of exactly these bytes.
public enum Checksums {
    public static func render(_ files: [BundleFile]) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(files.count * 100)
        for file in files.sorted(by: { $0.path.utf8Precedes($1.path) }) {
            out += Array(file.sha256.utf8)
            out += [0x20, 0x20]
            out += Array(file.path.utf8)
            out.append(0x0A)
        }
        return Data(out)
    }

    public static func bundleID(of checksums: Data) -> String { SHA256Hex.of(checksums) }
}

/// Turns a list of hashed files into the sealed manifest: sorted entries, SHA256SUMS, the id,
/// and the signature when a signer is given.
public struct BundleSeal: Sendable {
    public let manifest: BundleManifest
    public let checksums: Data

    public init(name: String, entry: String, files: [BundleFile], signer: (any BundleSigner)? = nil,
                created: String? = nil) throws {
        let sorted = files.sorted { $0.path.utf8Precedes($1.path) }
        let checksums = Checksums.render(sorted)
        let id = Checksums.bundleID(of: checksums)
        let signature = try signer?.sign(bundleID: id)
        self.checksums = checksums
        self.manifest = BundleManifest(name: name, entry: entry, files: sorted, id: id, signature: signature, created: created)
    }
}

/// Signs and checks bundle ids. The secp256k1 implementation lives in PicoNostr so that the
/// core stays free of C libraries.
public protocol BundleSigner: Sendable {
    func sign(bundleID: String) throws -> BundleSignature
}

public protocol BundleSignatureChecker: Sendable {
    func isValid(_ signature: BundleSignature, bundleID: String) -> Bool
}

/// A bundle folder's two describing files, read as they are on disk (what pack and publish
/// start from; hashing the files is up to them).
public struct DescribedBundle: Sendable {
    public var manifest: BundleManifest
    /// `pico-manifest.json` and `SHA256SUMS`, byte for byte.
    public var manifestData: Data
    public var checksums: Data

    public init(folder root: String) throws {
        do {
            manifestData = try FileTree.read(atPath: root + "/" + BundleManifest.fileName)
            checksums = try FileTree.read(atPath: root + "/" + BundleManifest.checksumsFileName)
        } catch {
            throw NotABundle(folder: root)
        }
        manifest = try BundleManifest.decode(manifestData)
    }

    public struct NotABundle: Error, CustomStringConvertible {
        public let folder: String
        public var description: String {
            "\(folder) is not a pico bundle (no \(BundleManifest.fileName) or \(BundleManifest.checksumsFileName)); build one with `pico build`"
        }
    }
}
