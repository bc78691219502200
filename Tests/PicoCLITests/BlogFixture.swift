import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// Examples/blog as the silo tests publish it.
enum BlogFixture {
    /// Examples/blog built into `folder/bundle` (or a changed copy of it).
    /// `search: false` builds with `--no-search`, for tests that count what one page's change
    /// sends (with the index on, the shards holding the page's words change too).
    static func build(in folder: TemporaryFolder, named name: String = "bundle", key: String? = nil, search: Bool = true,
                      change: ((URL) throws -> Void)? = nil) throws -> URL {
        let site = folder.path("site-\(name)")
        if !FileManager.default.fileExists(atPath: site.path) {
            try FileManager.default.copyItem(at: TestEnvironment.repository.appendingPathComponent("Examples/blog"), to: site)
        }
        try change?(site)
        let bundle = folder.path(name)
        let built = try TestEnvironment.run(TestEnvironment.pico.path, ["build", site.path, "-o", bundle.path, "-q"] + (key.map { ["--key", $0] } ?? []) + (search ? [] : ["--no-search"]))
        try #require(built.status == 0, "\(built.stderr)")
        return bundle
    }

    static func manifest(_ bundle: URL) throws -> BundleManifest {
        try BundleManifest.decode(Data(contentsOf: bundle.appendingPathComponent("pico-manifest.json")))
    }
}
