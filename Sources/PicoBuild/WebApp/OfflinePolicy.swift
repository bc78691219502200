import Foundation
import PicoCore
import PicoFiles
import PicoHTML

/// How much of a site the service worker keeps for offline use, as `[app] offline` in
/// pico.toml or `pico build --offline` says.
public enum OfflineMode: String, Sendable, CaseIterable {
    /// Every file, downloaded and checked when the worker installs.
    case all
    /// The app shell when the worker installs; every other file when a page needs it.
    case visited
    /// `all` for a bundle of at most `OfflinePolicy.autoLimitBytes`, else `visited`.
    case auto
}

/// `pico-offline.json`: what the service worker caches when it installs, decided at build time
/// and carried in the bundle like any file (listed in SHA256SUMS, so a host cannot change it).
///
///     {"auto_limit_bytes":10485760,"format":"pico-offline/1","mode":"visited","requested":"auto",
///      "shell":["404.html","css/site.css","index.html",...]}
///
/// The bundle's size is not written: the file then changes only when the mode or the shell
/// does, so republishing a one-page change sends one page, not this file too.
///
/// The shell is what any page needs to open offline at the top: index.html, 404.html, the web
/// app manifest and its icons, pico-app.js, and the subresources (style sheets, scripts,
/// images, fonts) of index.html and 404.html and of the style sheets they load.
struct OfflinePolicy: Equatable, Sendable {
    static let fileName = "pico-offline.json"
    static let format = "pico-offline/1"
    /// `auto` caches everything up to this many bytes of bundle (10 MiB): a first visit then
    /// costs about what a few pages of a media-rich site do.
    static let autoLimitBytes = 10 << 20

    var mode: OfflineMode
    var requested: OfflineMode
    var totalBytes: Int
    var shell: [String]

    /// The policy for a bundle whose files (but for this one) are `files`, written in `folder`.
    static func decide(_ requested: OfflineMode, files: [BundleFile], folder: URL) -> OfflinePolicy {
        let total = files.reduce(0) { $0.addingSaturating($1.size) }
        let mode: OfflineMode = requested == .auto ? (total <= autoLimitBytes ? .all : .visited) : requested
        let paths = Set(files.map(\.path))
        var shell: Set<String> = [WebAppFiles.pageScriptPath, WebAppFiles.manifestPath, "index.html", "404.html"]
        shell.formUnion(manifestIcons(in: folder.appendingPathComponent(WebAppFiles.manifestPath)))
        var styleSheets: [String] = []
        for page in ["index.html", "404.html"] {
            for path in subresources(ofPage: page, in: folder, files: paths) where !shell.contains(path) {
                shell.insert(path)
                if PortableURLRewriter.kind(of: path) == .css { styleSheets.append(path) }
            }
        }
        // What those style sheets load, and the style sheets they @import in turn.
        while let sheet = styleSheets.popLast() {
            for path in subresources(ofStyleSheet: sheet, in: folder, files: paths) where !shell.contains(path) {
                shell.insert(path)
                if PortableURLRewriter.kind(of: path) == .css { styleSheets.append(path) }
            }
        }
        return OfflinePolicy(mode: mode, requested: requested, totalBytes: total, shell: shell.filter(paths.contains).sorted())
    }

    var json: Data {
        var data = JSONValue.object([
            "format": .string(Self.format), "mode": .string(mode.rawValue), "requested": .string(requested.rawValue),
            "auto_limit_bytes": .int(Self.autoLimitBytes),
            "shell": .array(shell.map(JSONValue.string)),
        ]).canonicalData
        data.append(0x0A)
        return data
    }

    /// Writes the policy into the bundle folder and returns its entry for the manifest.
    func write(into folder: URL) throws -> BundleFile {
        let data = json
        try FileTree.write(data, to: Self.fileName, under: folder)
        return BundleFile(path: Self.fileName, size: data.count, sha256: SHA256Hex.of(data), type: MediaType.of(path: Self.fileName))
    }

    /// What the user is told after the build, when not every file is kept offline at once.
    var note: String? {
        guard mode == .visited else { return nil }
        let size = String(format: "%.1f MB", Double(totalBytes) / 1_000_000)
        return "offline: the service worker caches the app shell (\(shell.count) files) when it installs, and other files as pages "
            + "are visited" + (requested == .auto ? " (auto: \(size) is over 10 MiB; [app] offline = \"all\" or --offline all caches everything)" : "")
    }

    // MARK: What a page or style sheet loads

    /// Bundle paths of the files `page` loads to render (not the pages it links to).
    /// The kinds of file the shell takes: what a page needs to render (not media or downloads,
    /// which may be large and are fetched when played or opened).
    static let shellExtensions: Set<String> = ["css", "js", "mjs", "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico",
                                               "woff", "woff2", "ttf", "otf", "eot"]

    static func isShellKind(_ path: String) -> Bool {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return false }
        return shellExtensions.contains(path[path.index(after: dot)...].lowercased())
    }

    static func subresources(ofPage page: String, in folder: URL, files: Set<String>) -> [String] {
        guard let data = try? FileTree.read(atPath: folder.appendingPathComponent(page).path) else { return [] }
        let references = data.withUnsafeBytes { HTMLReferenceScanner.references(in: $0.bindMemory(to: UInt8.self)) }
        // Pages are visited, not loaded with this one (a link rel=next to a page is one too).
        let followed: Set<String> = ["a href", "area href", "form action", "meta refresh", "iframe src", "frame src"]
        return references.compactMap { reference in
            guard !followed.contains(reference.context),
                  let path = resolve(reference.value, from: page, files: files), isShellKind(path) else { return nil }
            return path
        }
    }

    static func subresources(ofStyleSheet sheet: String, in folder: URL, files: Set<String>) -> [String] {
        guard let data = try? FileTree.read(atPath: folder.appendingPathComponent(sheet).path) else { return [] }
        let references = data.withUnsafeBytes { CSSReferenceScanner.references(in: $0.bindMemory(to: UInt8.self)) }
        return references.compactMap { resolve($0.value, from: sheet, files: files) }.filter(isShellKind)
    }

    /// The bundle path a relative or root-absolute URL written in `document` names, when the
    /// bundle holds it.
    static func resolve(_ value: String, from document: String, files: Set<String>) -> String? {
        resolvePath(value, from: document).flatMap { files.contains($0) ? $0 : nil }
    }

    /// The icons a web app manifest names, resolved against the manifest's own URL.
    static func manifestIcons(in manifest: URL) -> [String] {
        guard let data = try? Data(contentsOf: manifest),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let icons = object["icons"] as? [[String: Any]] else { return [] }
        return icons.compactMap { $0["src"] as? String }.compactMap { src in
            resolvePath(src, from: WebAppFiles.manifestPath)
        }
    }

    /// The bundle path a relative or root-absolute URL written in `document` points at (nil for
    /// another origin, a fragment, or above the top), whether or not the bundle holds it.
    static func resolvePath(_ value: String, from document: String) -> String? {
        let value = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty, !value.hasPrefix("#"), !value.hasPrefix("//"),
              !PortableURLRewriter.hasScheme(Array(value.utf8)) else { return nil }
        let pathPart = value.prefix { $0 != "?" && $0 != "#" }
        var segments = pathPart.hasPrefix("/") ? [] : document.split(separator: "/").dropLast().map(String.init)
        for segment in pathPart.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                guard !segments.isEmpty else { return nil }
                segments.removeLast()
                continue
            }
            guard let decoded = String(segment).removingPercentEncoding else { return nil }
            segments.append(decoded)
        }
        return segments.isEmpty ? nil : segments.joined(separator: "/")
    }
}
