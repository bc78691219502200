import Foundation

extension BundleTarget {
    /// A name read through a folder library first (`--from DIR`): the record is looked for on
    /// the relays and in the library, and the library is the first place tried.
    public init(name text: String, library: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard SiteName.isName(text) else {
            throw SiloError("--from reads a bundle by its name: nostr:naddr1…, nostr:npub1…/NAME or did:nostr:<hex>/NAME, not \(text)")
        }
        address = text
        form = .silo(NamedBundle(name: try SiteName(parsing: text), library: library.standardizedFileURL))
    }
}
