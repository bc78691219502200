import Foundation

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

    public init(name: String, entry: String, files: [BundleFile], id: String, signature: BundleSignature? = nil) {
        self.format = Self.format
        self.name = name
        self.entry = entry
        self.files = files
        self.id = id
        self.signature = signature
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
        return JSONValue.object(members).canonicalData
    }

    public static func decode(_ data: Data) throws -> BundleManifest {
        try JSONDecoder().decode(BundleManifest.self, from: data)
    }
}

/// `SHA256SUMS`: `<hex>  <path>` lines sorted by path bytes, the format `sha256sum -c` reads.
/// The bundle id is the SHA-256 of exactly these bytes.
public enum Checksums {
    public static func render(_ files: [BundleFile]) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(files.count * 100)
        for file in files.sorted(by: { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }) {
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

    public init(name: String, entry: String, files: [BundleFile], signer: (any BundleSigner)? = nil) throws {
        let sorted = files.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        let checksums = Checksums.render(sorted)
        let id = Checksums.bundleID(of: checksums)
        let signature = try signer?.sign(bundleID: id)
        self.checksums = checksums
        self.manifest = BundleManifest(name: name, entry: entry, files: sorted, id: id, signature: signature)
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
