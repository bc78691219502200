import Foundation
import Mustache
import PicoCore
import PicoNostr
import PicoSearch

/// `index.html` at the top of a library folder: every bundle with its title, size, id, signer
/// and build date, and its name (naddr) and author (npub) when its record is kept beside it,
/// linked so that it opens from file://.
struct LibraryIndex {
    let library: URL

    func write() throws {
        let silo = FilesystemSilo(url: library, address: library.path)
        var entries: [[String: Any]] = []
        var total = 0
        for folder in silo.bundles() where folder != library {
            guard let data = Durable.readSmallFile(folder.path + "/" + BundleManifest.fileName),
                  let manifest = try? BundleManifest.decode(data) else { continue }
            let size = manifest.totalSize
            total = total.addingSaturating(size)
            var entry: [String: Any] = [
                "title": manifest.name, "folder": folder.lastPathComponent,
                "href": TextFormats.urlSegment(folder.lastPathComponent) + "/" + manifest.entry,
                "size": TextFormats.bytes(size), "files": manifest.files.count,
                "id": manifest.id, "id_short": String(manifest.id.prefix(12)),
                "verified_note": "Check it with pico verify \(folder.lastPathComponent), or sha256sum -c SHA256SUMS inside the folder.",
            ]
            // "Signed" only for a signature that checks out against the id; never for one merely present.
            switch BundleVerifier.standard().signatureStatus(of: manifest).status {
            case .valid(let key): entry["signer"] = key
            case .invalid(let key), .unchecked(let key): entry["bad_signer"] = key
            case .absent: break
            }
            if let created = manifest.created { entry["built"] = LibraryText.longDate(created) }
            // The bundle's name (issue 16): the record kept beside it, when it is a signed site event of this bundle.
            if let record = SiteRecordFile.read(in: folder, bundleID: manifest.id), let author = [UInt8](hex: record.event.pubkey) {
                entry["naddr"] = NostrSiteAddress.naddr(author: author, site: record.site.site, relays: record.site.relays)
                entry["npub"] = NIP19Entity.npub(publicKey: author).encoded
            }
            entries.append(entry)
        }
        // The search box only when the library's merged index is there (LibrarySearch wrote it).
        let search = Durable.exists(library.path + "/" + SearchIndexBuilder.indexPath)
        let context: [String: Any] = [
            "title": "Library", "count": entries.count, "total_size": TextFormats.bytes(total), "bundles": entries,
            "search": search, "search_runtime": SearchIndexBuilder.runtimePath,
        ]
        let template = try MustacheTemplate(string: LibraryIndexTemplate.mustache)
        try Durable.writeAtomically(Data(template.render(context).utf8), to: library.path + "/index.html")
    }
}
