import PicoCore

/// A bundle's `404.html` is answered by static hosts (GitHub Pages, Netlify, nginx `error_page`)
/// at whatever path was missed, `/a/b/c/missing` or `/sub/a/b/missing`, while its links were
/// made relative to its own folder. Before the service worker runs (a first visit) nothing says
/// where the bundle's root is, so the page finds it itself: a script at the very start of its
/// head looks for `pico-manifest.json` in each folder of the address, deepest first, and puts
/// a `<base>` there before any link is read.
///
/// It does nothing on file://, nor when a `<base>` precedes it: `pico serve` and the worker
/// add one when they answer a miss. The probes are synchronous (the `<base>` must be in place
/// before the parser reaches the first link), which Chromium notes as a deprecation; they are
/// HEAD requests, one per folder level at most, and only on a page that is an error anyway.
enum NotFoundPage {
    /// A page named `404.html` (any case), in any folder. Asked for every page: bytes only.
    static func applies(to path: String) -> Bool {
        let name = Array("/404.html".utf8)
        let tail = path.utf8.suffix(name.count).map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        return tail == name || (path.utf8.count == name.count - 1 && tail == Array(name.dropFirst()))
    }

    /// `pageFolder`: the page's folder in the bundle (encoded segments); `baseFromPage`: the
    /// page's own `<base>` after it was made portable (relative to its folder), or "".
    static func rootFinder(pageFolder: [String], baseFromPage: String) -> String {
        let folder = pageFolder.map { $0 + "/" }.joined()
        let literal = { (text: String) in
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "<", with: "\\u003c") + "\""
        }
        let script = rootFinderParts.map { part in
            switch part {
            case Self.baseFromPagePlaceholder: literal(baseFromPage)
            case Self.pageFolderPlaceholder: literal(folder)
            default: part
            }
        }
        return "<script>" + script.joined() + "</script>"
    }

    /// The script, Sources/PicoBuild/Assets/not-found-root-finder.js (embedded at build time),
    /// cut at its two placeholders (JavaScript strings, so that the file itself is valid
    /// JavaScript), which are kept as parts of their own: one pass, and nothing put in is read again.
    private static let baseFromPagePlaceholder = "\"{{baseFromPage}}\"", pageFolderPlaceholder = "\"{{pageFolder}}\""
    private static let rootFinderParts: [String] = {
        var parts: [String] = []
        var rest = Substring(EmbeddedAssets.not_found_root_finder_js.replacingOccurrences(of: "{{manifest}}", with: BundleManifest.fileName))
        while let hit = [baseFromPagePlaceholder, pageFolderPlaceholder].compactMap({ rest.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            parts += [String(rest[..<hit.lowerBound]), String(rest[hit])]
            rest = rest[hit.upperBound...]
        }
        return parts + [String(rest)]
    }()
}
