import Foundation

/// `BundleSeal` for a bundle that changes a few files at a time (`pico serve --watch`): each
/// file's SHA256SUMS line and manifest entry are encoded once and kept, in path order, so a
/// re-seal re-encodes only the files that changed and joins the rest. The bytes are exactly
/// `BundleSeal`'s (the same encoders per entry; the rest of the manifest is encoded with the
/// entries left out and the kept ones put back in between the brackets), which the tests check.
public struct IncrementalSeal: Sendable {
    /// One re-seal, as `pico serve --watch` hands it from the rebuild (PicoBuild) to the server
    /// (PicoServer): the manifest and both describing files' bytes, the id it was made from and
    /// the entries it changed from it (nil: removed).
    public struct Version: Sendable {
        public var manifest: BundleManifest
        public var manifestData: Data
        public var checksums: Data
        public var previousID: String
        public var changed: [String: BundleFile?]

        public init(manifest: BundleManifest, manifestData: Data, checksums: Data, previousID: String,
                    changed: [String: BundleFile?]) {
            (self.manifest, self.manifestData, self.checksums) = (manifest, manifestData, checksums)
            (self.previousID, self.changed) = (previousID, changed)
        }
    }

    /// Sorted by path bytes, as `BundleSeal` sorts.
    public private(set) var files: [BundleFile] = []
    private var lines: [[UInt8]] = []
    private var entries: [[UInt8]] = []
    private var index: [String: Int] = [:]

    public init(files: [BundleFile]) {
        let sorted = files.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        self.files = sorted
        lines = sorted.map(Self.line)
        entries = sorted.map(Self.entry)
        reindex(from: 0)
    }

    public func file(at path: String) -> BundleFile? { index[path].map { files[$0] } }

    /// Sets (or adds) the entry of `file.path`.
    public mutating func update(_ file: BundleFile) {
        if let at = index[file.path] {
            guard files[at] != file else { return }
            files[at] = file
            lines[at] = Self.line(file)
            entries[at] = Self.entry(file)
            return
        }
        // A new path: in its sorted place (a binary search; the shift is a memory move).
        var low = 0, high = files.count
        while low < high {
            let middle = (low + high) / 2
            if files[middle].path.utf8.lexicographicallyPrecedes(file.path.utf8) { low = middle + 1 } else { high = middle }
        }
        files.insert(file, at: low)
        lines.insert(Self.line(file), at: low)
        entries.insert(Self.entry(file), at: low)
        reindex(from: low)
    }

    public mutating func remove(_ path: String) {
        guard let at = index[path] else { return }
        files.remove(at: at)
        lines.remove(at: at)
        entries.remove(at: at)
        index.removeValue(forKey: path)
        reindex(from: at)
    }

    private mutating func reindex(from start: Int) {
        for position in start..<files.count { index[files[position].path] = position }
    }

    /// SHA256SUMS, the id, the signature and the manifest's canonical bytes, as `BundleSeal` and
    /// `BundleManifest.canonicalJSON` make them.
    public func seal(name: String, entry: String, signer: (any BundleSigner)?, created: String?) throws
        -> (manifest: BundleManifest, manifestData: Data, checksums: Data) {
        var sums = [UInt8]()
        sums.reserveCapacity(lines.reduce(0) { $0 + $1.count })
        for line in lines { sums += line }
        let checksums = Data(sums)
        let id = Checksums.bundleID(of: checksums)
        let manifest = BundleManifest(name: name, entry: entry, files: files, id: id, signature: try signer?.sign(bundleID: id),
                                      created: created)
        // The manifest without its entries, then the entries put back inside `"files":[]`.
        var bare = manifest
        bare.files = []
        let outer = [UInt8](bare.canonicalJSON)
        let marker = Array(#""files":[]"#.utf8)
        guard let at = Self.firstOffset(of: marker, in: outer) else { throw SealMismatch() }
        var out = [UInt8]()
        out.reserveCapacity(outer.count + entries.reduce(entries.count) { $0 + $1.count })
        out += outer[..<(at + marker.count - 1)]
        for (position, encoded) in entries.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out += encoded
        }
        out += outer[(at + marker.count - 1)...]
        return (manifest, Data(out), checksums)
    }

    /// The marker was not where the encoder puts it (it cannot be: it is a key, and string
    /// values escape their quotes).
    public struct SealMismatch: Error, CustomStringConvertible {
        public var description: String { "the manifest could not be sealed incrementally" }
    }

    static func line(_ file: BundleFile) -> [UInt8] {
        [UInt8](Checksums.render([file]))
    }

    static func entry(_ file: BundleFile) -> [UInt8] {
        [UInt8](JSONValue.object([
            "path": .string(file.path), "size": .int(file.size), "sha256": .string(file.sha256), "type": .string(file.type),
        ]).canonicalData)
    }

    private static func firstOffset(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}
