import Foundation
import Mustache
import PicoCore

/// `index.html` at the top of a library folder: every bundle with its title, size, id, signer
/// and build date, linked so that it opens from file://.
struct LibraryIndex {
    let library: URL

    func write() throws {
        let silo = FilesystemSilo(url: library, address: library.path)
        var entries: [[String: Any]] = []
        var total = 0
        for folder in silo.bundles() where folder != library {
            guard let data = try? FileTree.read(atPath: folder.path + "/" + BundleManifest.fileName),
                  let manifest = try? BundleManifest.decode(data) else { continue }
            let size = manifest.files.reduce(0) { $0 + $1.size }
            total += size
            var entry: [String: Any] = [
                "title": manifest.name, "folder": folder.lastPathComponent,
                "href": Self.encode(folder.lastPathComponent) + "/" + manifest.entry,
                "size": Self.bytes(size), "files": manifest.files.count,
                "id": manifest.id, "id_short": String(manifest.id.prefix(12)),
                "verified_note": "Check it with pico verify \(folder.lastPathComponent), or sha256sum -c SHA256SUMS inside the folder.",
            ]
            if let signer = manifest.signature?.pubkey { entry["signer"] = signer }
            if let created = manifest.created { entry["built"] = Self.longDate(created) }
            entries.append(entry)
        }
        let context: [String: Any] = [
            "title": "Library", "count": entries.count, "total_size": Self.bytes(total), "bundles": entries,
        ]
        let template = try MustacheTemplate(string: LibraryIndexTemplate.mustache)
        try Durable.writeAtomically(Data(template.render(context).utf8), to: library.path + "/index.html")
    }

    static func encode(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#;")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func longDate(_ utc: String) -> String {
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"]
        let parts = utc.prefix(10).split(separator: "-")
        guard parts.count == 3, let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month) else {
            return String(utc.prefix(10))
        }
        return "\(day) \(months[month - 1]) \(parts[0])"
    }
}
