import Foundation
import PicoCore

extension TemporaryFolder {
    /// Writes files plus a correct SHA256SUMS and pico-manifest.json: a bundle made by hand,
    /// not by the build, for tests of what reads bundles.
    @discardableResult
    public func makeBundle(_ files: [String: String], under folder: String = "bundle", name: String = "t",
                           created: String? = nil) throws -> URL {
        let root = url.appendingPathComponent(folder)
        try? FileManager.default.removeItem(at: root)
        write(files, under: folder)
        let entries = files.map { path, text in
            BundleFile(path: path, size: text.utf8.count, sha256: SHA256Hex.of(Data(text.utf8)), type: MediaType.of(path: path))
        }
        let seal = try BundleSeal(name: name, entry: "index.html", files: entries, created: created)
        try seal.checksums.write(to: root.appendingPathComponent("SHA256SUMS"))
        try seal.manifest.canonicalJSON.write(to: root.appendingPathComponent("pico-manifest.json"))
        return root
    }

    /// The bundle id written in a bundle folder's manifest.
    public func bundleID(_ folder: URL) -> String? {
        (try? Data(contentsOf: folder.appendingPathComponent("pico-manifest.json")))
            .flatMap { try? BundleManifest.decode($0) }?.id
    }
}
