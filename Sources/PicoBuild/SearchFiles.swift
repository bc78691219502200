import Foundation
import PicoCore
import PicoFiles
import PicoParallel
import PicoSearch
import PicoTOML

/// `[search]` in pico.toml: whether the bundle gets a search index (on unless `enabled = false`
/// or `--no-search`), and how much of each page's text it stores for snippets.
public struct SearchSettings: Sendable, Equatable {
    public var enabled = true
    public var textChars = SearchOptions().textChars

    public init() {}
}

extension SiteConfig {
    mutating func readSearch(_ document: TOMLTable, text: String) throws(FileError) {
        guard let table = try Self.table("search", in: document, text: text,
                                         hint: "write [search] on a line of its own, then enabled = true") else { return }
        func wrong(_ message: String, _ entry: TOMLTable.Entry, hint: String) -> FileError {
            Self.valueError(message, entry, text: text, hint: hint)
        }
        if let enabled = table.entry("enabled") {
            guard case .bool(let on) = enabled.value else { throw wrong("`enabled` must be true or false", enabled, hint: "write enabled = false to build without a search index") }
            search.enabled = on
        }
        if let chars = table.entry("text_chars") {
            guard case .integer(let count) = chars.value, (0...100_000).contains(count) else {
                throw wrong("`text_chars` must be a whole number of characters from 0 to 100000", chars,
                            hint: "write text_chars = 800 (the text of each page kept for result snippets)")
            }
            search.textChars = Int(count)
        }
    }
}

/// The search stage of the build: `plan` adds the runtime and the search page to the planned
/// files (before links are checked, so a search box's link to `search/index.html` resolves);
/// the per-file pass hands each page's `SearchPage` (extracted from the bytes it wrote, never
/// read again); `write` builds the index from them into the staging folder, before the seal,
/// with the runtime again, now carrying `index.js` and the hottest pages (`SearchIndexBuilder`).
struct SearchFiles: Sendable {
    var settings: SearchSettings
    /// The bundle's language: pico.toml's, or a finished site's `<html lang>` of index.html.
    var language: String

    /// The runtime, and `search/index.html` unless the site writes its own (a pico site's
    /// `search.mustache` is planned by SiteRenderer). A finished site's `pico-search/` is an
    /// earlier build's index (a bundle built again), replaced; a pico site's is refused.
    func plan(_ planned: inout [PlannedFile], title: String, isPicoSite: Bool) throws(FileErrors) {
        func inFolder(_ file: PlannedFile) -> Bool {
            file.path == SearchIndexBuilder.folder || file.path.hasPrefix(SearchIndexBuilder.folder + "/")
        }
        if !isPicoSite { planned.removeAll(where: inFolder) }
        let own = planned.filter(inFolder)
        if !own.isEmpty {
            throw FileErrors(own.map {
                FileError("writes /\($0.path), inside pico-search/, the folder pico writes the search index into", file: $0.origin.shown,
                          hint: "rename it, or build with --no-search ([search] enabled = false)")
            })
        }
        let runtime = Data(SearchAssets.runtime.utf8)
        planned.append(PlannedFile(path: SearchIndexBuilder.runtimePath, origin: .generated(from: "pico")) { runtime })
        if !planned.contains(where: { $0.path == SearchIndexBuilder.pagePath }) {
            let page = Data(SearchAssets.page(language: language, title: "Search · " + title, root: "../").utf8)
            planned.append(PlannedFile(path: SearchIndexBuilder.pagePath, origin: .generated(from: "pico")) { page })
        }
    }

    /// A page's index entry from the bytes the build made of it (nil: not a page, or not indexed).
    func page(_ content: FileContent, path: String) -> SearchPage? {
        guard SearchPage.isIndexable(path: path), let bytes = content.data else { return nil }
        return SearchPage.extract(html: bytes, path: path, defaultLanguage: language)
    }

    /// The index files and the runtime carrying its index, written into `folder` (over the
    /// plain runtime the per-file pass wrote there): made, written and hashed on every core.
    /// Their entries replace the planned runtime's (`BundleFile.replacing`).
    func write(_ pages: [SearchPage], into folder: URL) throws(FileError) -> [BundleFile] {
        var builder = SearchIndexBuilder(options: SearchOptions(textChars: settings.textChars), language: language)
        for page in pages { builder.add(page) }
        let files = builder.files()
        let root = folder.path
        let written = Parallel.map(files) { file -> Result<BundleFile, FileError> in
            let data = Data(file.bytes)
            do {
                try FileTree.write(data, to: file.path, underPath: root)
            } catch {
                return .failure(FileError("cannot write /\(file.path): \(error.localizedDescription)", file: "pico"))
            }
            return .success(BundleFile(path: file.path, size: data.count, sha256: SHA256Hex.of(data), type: MediaType.of(path: file.path)))
        }
        return try written.map { result throws(FileError) in try result.get() }
    }
}

extension [BundleFile] {
    /// These entries with those of `newer` in place of the ones at the same paths, and the rest
    /// of `newer` after them.
    func replacing(with newer: [BundleFile]) -> [BundleFile] {
        let byPath = Dictionary(newer.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
        let held = Set(map(\.path))
        return map { byPath[$0.path] ?? $0 } + newer.filter { !held.contains($0.path) }
    }
}
