import CLibArchive

/// The one-file forms of a bundle, chosen by the file name's ending (`pico pack`).
/// Reading and writing them through libarchive comes with the archive issue; this type and
/// the system-library target fix where that code lives.
public enum ArchiveFormat: String, CaseIterable, Sendable {
    case zip, tar, tarGzip = "tar.gz", tarZstd = "tar.zst"

    /// The endings pico packs to, for messages.
    public static let endings = ".zip, .tar, .tar.gz or .tar.zst"

    public init?(fileName: String) {
        let lower = fileName.lowercased()
        // Longest endings first: ".tar.gz" must not be taken for ".gz".
        for format in [Self.tarGzip, .tarZstd, .zip, .tar] where lower.hasSuffix("." + format.rawValue) {
            self = format
            return
        }
        return nil
    }

    /// The libarchive this build is linked against, e.g. "libarchive 3.6.2".
    public static var libraryVersion: String { String(cString: archive_version_string()) }
}
