import PicoCore

/// How much `pico serve` holds in memory at a time.
public enum ServeLimits {
    /// The describing files are read whole; the same bound as for archives everywhere.
    public static let maxManifestBytes = BundleManifest.maxDescribingFileBytes
    /// Files up to this size are read whole, checked and then sent; larger ones are checked in
    /// one streaming pass and sent in a second. So a request holds at most this much, however
    /// many of them there are at once.
    public static let bufferedFileBytes = 1 << 20
    /// One read of a streamed file.
    public static let chunkBytes = 256 << 10
    /// `--gateway`: the largest blob served (NIP-5A's `path` tags give no size, so every blob
    /// has this bound, the one the nostr reader puts on a content of unknown size).
    public static let maxGatewayBlobBytes = BundleManifest.maxDescribingFileBytes
    /// `--gateway`: the longest Host a request may name (DNS's limit).
    public static let maxHostBytes = 253
    /// `--gateway`: the sites held open at once (each with its relay connections).
    public static let maxOpenSites = 32
    /// `--gateway`: blobs downloaded at once (each is held in memory until it verified).
    public static let maxGatewayDownloads = 8
}

/// Something `pico serve` will not serve, said so a person can act on it.
public struct ServeRefusal: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
