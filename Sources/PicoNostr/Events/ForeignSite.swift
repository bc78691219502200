import Foundation
import PicoCore

/// A NIP-5A site that names no pico bundle: published by another tool (nsyte, nsite-cli, …),
/// whose site event has `path` tags and no bundle id, bundle signature, SHA256SUMS or
/// pico-manifest.json. pico reads it as an unsigned bundle: the author's signature on the site
/// event is what vouches for the list, and pico writes the bundle's `SHA256SUMS` and
/// `pico-manifest.json` itself from the `path` tags, once every blob has been checked against
/// its tag's hash (`bundle(sizes:)`).
///
/// The tags are untrusted names pico will write files at, so they are held to the bundle path
/// rules here, before anything is downloaded: a path that is not one, a duplicate, two paths
/// that cannot both exist on a disk, or more than `maxFiles` end the read with a `Refusal`.
public struct ForeignSite: Sendable {
    public struct File: Sendable, Equatable {
        public let path: BundlePath
        public let sha256: String
    }

    /// The files, in the event's order.
    public let files: [File]
    /// The event's `client` tag (`nsyte`), when it has one.
    public let publisher: String?
    /// The bundle's name: the `title` tag, else the named site's `d`, else "nsite by npub1…".
    public let name: String
    /// `created` of the manifest pico writes: the event's `created_at`, so the same event
    /// always gives the same bytes.
    public let created: String
    public let eventID: String
    public let author: String

    /// More `path` tags than any site pico reads (a 50,000-file site event is about 5 MB).
    public static let maxFiles = 50_000

    /// Why a site event's `path` tags cannot become a bundle.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The site of `event` (a valid kind 15128 or 35128 event: the caller checked its id and
    /// signature), or the first thing wrong with its `path` tags.
    public init(event: NostrEvent) throws(Refusal) {
        let tags = event.tags("path")
        let event12 = "the site event \(event.id.prefix(12))…"
        func refuse(_ index: Int?, _ why: String) -> Refusal {
            guard let index else { return Refusal(description: "\(event12) \(why); nothing was fetched") }
            let shown = TextFormats.escapingControls(String(describing: tags[index].prefix(2).map { String($0.prefix(120)) }))
            return Refusal(description: "\(event12) has a path tag pico will not use (path tag \(index + 1) of \(tags.count), \(shown)): \(why); nothing was fetched")
        }
        guard !tags.isEmpty else { throw refuse(nil, "has no path tags: it names no file") }
        guard tags.count <= Self.maxFiles else {
            throw refuse(nil, "has \(tags.count) path tags, more than the \(Self.maxFiles) files pico reads of one site")
        }
        var files: [File] = []
        var firstIndex: [String: Int] = [:]
        for (index, tag) in tags.enumerated() {
            guard tag.count >= 2 else { throw refuse(index, "it has no SHA-256") }
            guard tag[0].hasPrefix("/") else { throw refuse(index, "its path does not start with / (NIP-5A paths are absolute from the site's root)") }
            guard tag[1].utf8.count == 64, [UInt8](hex: tag[1]) != nil else { throw refuse(index, "its SHA-256 is not 64 hex digits") }
            let relative = String(tag[0].dropFirst())
            let path: BundlePath
            do throws(BundlePath.Problem) { path = try BundlePath(validating: relative) } catch {
                throw refuse(index, relative.isEmpty ? "it names the site's root, not a file" : error.description)
            }
            if BundleManifest.describingFiles.contains(path.string) {
                throw refuse(index, "\(path) is a file pico writes itself for a site with no pico bundle tag, and the event lists only one of SHA256SUMS and pico-manifest.json")
            }
            if let earlier = firstIndex[path.string] {
                throw refuse(index, "path tag \(earlier + 1) names the same path"
                             + (files[earlier].sha256 == tag[1].lowercased() ? "" : " with another SHA-256"))
            }
            firstIndex[path.string] = index
            files.append(File(path: path, sha256: tag[1].lowercased()))
        }
        if let conflict = BundlePath.conflicts(among: files.map(\.path.string)).first {
            throw refuse(firstIndex[conflict.second], conflict.description)
        }
        self.files = files
        publisher = event.tag("client")?.first.map { TextFormats.escapingControls(String($0.prefix(60))) }
        let npub = [UInt8](hex: event.pubkey).map { NIP19Entity.npub(publicKey: $0).encoded } ?? event.pubkey
        let title = event.tag("title")?.first?.trimmingCharacters(in: .whitespacesAndNewlines)
        let site = event.kind == SiteEventKind.namedSite ? event.tag("d")?.first : nil
        name = [title, site].compactMap { $0 }.first { !$0.isEmpty }.map { String($0.prefix(200)) } ?? "nsite by \(npub)"
        created = BundleManifest.utcString(epoch: max(0, event.createdAt))
        (eventID, author) = (event.id, event.pubkey)
    }

    /// Each distinct content once, for downloading; its size is not known until it is here.
    public var contents: [StoredContent] {
        var seen: Set<String> = []
        return files.filter { seen.insert($0.sha256).inserted }.map { StoredContent(sha256: $0.sha256, size: nil) }
    }

    /// What the reader should be told: who published the site and what was checked.
    public var note: String {
        let npub = [UInt8](hex: author).map { NIP19Entity.npub(publicKey: $0).encoded } ?? author
        return "published by \(publisher ?? "a tool other than pico (no client tag)"); the site event's signature by \(npub) checked, "
            + "no bundle signature: pico wrote SHA256SUMS and an unsigned \(BundleManifest.fileName) from its path tags"
    }

    /// The unsigned bundle of the files whose contents are in `sizes` (by SHA-256: the contents
    /// that were downloaded and matched their hash), each with its media type from its path.
    /// The entry page is `index.html`, else the first HTML page, else the first file.
    public func bundle(sizes: [String: Int]) throws -> (manifest: BundleManifest, manifestData: Data, checksums: Data) {
        let listed = files.compactMap { file in
            sizes[file.sha256].map { BundleFile(path: file.path.string, size: $0, sha256: file.sha256, type: MediaType.of(path: file.path.string)) }
        }
        let sorted = listed.map(\.path).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let entry = sorted.first { $0 == "index.html" } ?? sorted.first { $0.hasSuffix(".html") || $0.hasSuffix(".htm") } ?? sorted.first ?? "index.html"
        let seal = try BundleSeal(name: name, entry: entry, files: listed, signer: nil, created: created)
        return (seal.manifest, seal.manifest.canonicalJSON, seal.checksums)
    }
}
