/// How a bundle's files are described to HTTP clients, the same from `pico serve` and from
/// an S3 bucket: the media type with its charset, and how long a cache may keep the file.
public enum WebHeaders {
    /// Pages, manifests and the service worker must be checked again on every visit; the rest
    /// may be cached for a while (its URL does not change when it does, so not forever).
    public static func cacheControl(for path: String) -> String {
        let lower = path.lowercased()
        if lower.hasSuffix(".html") || lower.hasSuffix(".webmanifest") || lower == "sw.js"
            || BundleManifest.describingFiles.contains(path) {
            return "no-cache"
        }
        return "public, max-age=3600"
    }

    /// The manifest's media type, with `charset=utf-8` for text.
    public static func contentType(_ type: String) -> String {
        type.hasPrefix("text/") || type == "application/json" || type == "application/manifest+json" || type == "image/svg+xml"
            ? type + "; charset=utf-8" : type
    }
}
