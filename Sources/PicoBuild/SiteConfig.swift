import Foundation
import PicoCore
import PicoFiles
import PicoTOML
#if canImport(Glibc)
import Glibc
#endif

/// `pico.toml`: the site's title and language, `[params]` for templates, `[app]` for the
/// web app manifest, `[build]` include/exclude patterns.
public struct SiteConfig: Sendable {
    public static let fileName = "pico.toml"

    public var title = "Untitled site"
    public var description = ""
    public var language = "en"
    public var author = ""
    public var params: [String: MetaValue] = [:]
    public var app: [String: MetaValue] = [:]
    /// Paths (globs, relative to `content/` or `static/`) to take although hidden by default.
    public var include: [String] = []
    /// Paths (globs) to leave out.
    public var exclude: [String] = []
    /// Bounds on each source file; `[build] max_page_mib` raises or lowers the page size.
    public var limits = InputLimits()
    /// `[app] offline`: what the service worker caches when it installs.
    public var offline: OfflineMode = .auto
    /// `template = "blog"`: the starter site (pico's own copy, as `pico init` writes it) whose
    /// `templates/` and `static/` lie under the site's own; a file the site has wins.
    public var template: StarterTemplate?
    /// `base_url`: the address the site is served from; feeds and `sitemap.xml` then use absolute URLs.
    public var baseURL: String?
    /// `[feed]`: Atom feeds (Site/Feeds.swift).
    public var feed = FeedSettings()
    /// `paginate`: list pages shown this many pages at a time (0: all on one), unless a
    /// section's `_index.md` says otherwise (Site/Pagination.swift).
    public var paginate = 0
    /// `[images]`: widths images are resized to, with `srcset` (Images/ResizedImages.swift).
    public var images = ImageSettings()
    /// `[search]`: the bundle's search index (SearchFiles.swift).
    public var search = SearchSettings()
    /// Where each `[app]` setting is written, for errors about the web app manifest.
    var appPlaces = SettingPlaces(file: fileName)

    public init() {}

    public static func load(siteFolder: URL) throws(FileError) -> SiteConfig {
        try load(siteFolder: siteFolder, links: SiteLinks(siteFolder: siteFolder))
    }

    static func load(siteFolder: URL, links: SiteLinks) throws(FileError) -> SiteConfig {
        // A pico.toml linked from outside the site is never read: a parse error would show a
        // line of whatever it points to (it showed /etc/shadow's first line).
        let path = try links.file(at: siteFolder.appendingPathComponent(fileName).path, shown: fileName).get()
        let at = SourceLocation(file: fileName)
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw FileError("cannot read \(fileName): it is not a regular file", at: at)
        }
        guard Int(info.st_size) <= InputLimits.maxConfigBytes else {
            throw FileError("\(fileName) is \(info.st_size) bytes; pico reads at most \(InputLimits.maxConfigBytes >> 20) MiB of settings", at: at)
        }
        guard let data = try? FileTree.read(atPath: path), data.count <= InputLimits.maxConfigBytes else {
            throw FileError("cannot read \(fileName)", at: at)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileError("\(fileName) is not UTF-8 text", at: at)
        }
        return try parse(text)
    }

    public static func parse(_ text: String) throws(FileError) -> SiteConfig {
        if let line = TOMLNesting.firstLine(exceeding: InputLimits.maxValueDepth, in: text) {
            throw FileError("\(fileName) nests more than \(InputLimits.maxValueDepth) levels deep", file: fileName, text: text,
                            line: line, column: 1, hint: "flatten the tables and arrays (dotted keys a.b.c count as levels)")
        }
        let document: TOMLTable
        do {
            document = try TOMLDocument.parse(text, maxDepth: InputLimits.maxValueDepth)
        } catch where error.kind == .tooDeep {
            throw FileError("\(fileName) nests more than \(InputLimits.maxValueDepth) levels deep", file: fileName, text: text,
                            line: error.line, column: error.column, hint: "flatten the tables and arrays (dotted keys a.b.c count as levels)")
        } catch {
            throw FileError("could not read \(fileName): \(error.message)", file: fileName, text: text,
                            line: error.line, column: error.column)
        }
        let values = MetaValue.table(toml: document)
        var config = SiteConfig()
        /// An error about the value of `entry`, placed at that value.
        func wrong(_ message: String, _ entry: TOMLTable.Entry, hint: String) -> FileError {
            valueError(message, entry, text: text, hint: hint)
        }
        func string(_ key: String, in table: TOMLTable) throws(FileError) -> String? {
            guard let entry = table.entry(key) else { return nil }
            guard case .string(let s) = entry.value else { throw wrong("`\(key)` must be a string", entry, hint: "write \(key) = \"...\"") }
            return s
        }
        func strings(_ key: String, in table: TOMLTable) throws(FileError) -> [String] {
            guard let entry = table.entry(key) else { return [] }
            let wrongType = wrong("`\(key)` must be a list of strings", entry, hint: "write \(key) = [\"a/**\", \"b.txt\"]")
            guard case .array(let items) = entry.value else { throw wrongType }
            var found: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw wrongType }
                found.append(s)
            }
            return found
        }
        config.title = try string("title", in: document) ?? config.title
        config.description = try string("description", in: document) ?? ""
        config.language = try string("language", in: document) ?? "en"
        config.author = try string("author", in: document) ?? ""
        if let entry = document.entry("template") {
            let names = StarterTemplate.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            guard case .string(let name) = entry.value, let starter = StarterTemplate(rawValue: name) else {
                throw wrong("`template` must name one of pico's starter sites: \(names)", entry,
                            hint: "write template = \"blog\", or leave it out and keep templates/ and static/ in the site")
            }
            config.template = starter
        }
        try config.readPublishing(document, text: text)
        try config.readImages(document, text: text)
        try config.readSearch(document, text: text)
        if case .table(let params) = values["params"] { config.params = params }
        if case .table(let app) = values["app"] { config.app = app }
        if case .table(let app)? = document["app"] { config.appPlaces = SettingPlaces(file: fileName, text: text, table: app) }
        if case .table(let app)? = document["app"], let entry = app.entry("offline") {
            guard case .string(let text) = entry.value, let mode = OfflineMode(rawValue: text) else {
                throw wrong("`offline` must be \"all\", \"visited\" or \"auto\"", entry,
                            hint: "write offline = \"auto\" (all files for a bundle up to 10 MiB, else the pages visited)")
            }
            config.offline = mode
        }
        if case .table(let build)? = document["build"] {
            config.include = try strings("include", in: build)
            config.exclude = try strings("exclude", in: build)
            if let entry = build.entry("max_page_mib") {
                guard case .integer(let mib) = entry.value, (1...4096).contains(mib) else {
                    throw wrong("`max_page_mib` must be a whole number of MiB from 1 to 4096", entry, hint: "write max_page_mib = 64")
                }
                config.limits.maxPageBytes = Int(mib) << 20
            }
        }
        return config
    }
}

/// Where the settings of one table of pico.toml are written, so that an error about a setting
/// found after parsing (the web app manifest's, made later in the build) points at its line
/// and column and shows the line.
struct SettingPlaces: Sendable {
    var file: String
    var text = ""
    var table = TOMLTable()

    /// An error at the value of `key`; for an element of an array of tables (`icons[0]`), at
    /// that element's `field` (or, without it, at the element's first key). A key the table
    /// does not hold (a default was used) gives an error about the file, with no position.
    func error(_ message: String, at key: String, element: Int? = nil, field: String? = nil, hint: String? = nil) -> FileError {
        guard let entry = table.entry(key) else { return FileError(message, file: file, hint: hint) }
        var position = entry.valuePosition
        if let element, case .array(let items) = entry.value, items.indices.contains(element), case .table(let item) = items[element] {
            if let field, let inner = item.entry(field) {
                position = inner.valuePosition
            } else if let first = item.entries.first {
                position = first.keyPosition
            }
        }
        return FileError(message, file: file, text: text, line: position.line, column: position.column, hint: hint)
    }
}

extension SiteConfig {
    /// An error about the value of `entry` in pico.toml, placed at that value.
    static func valueError(_ message: String, _ entry: TOMLTable.Entry, text: String, hint: String) -> FileError {
        FileError(message, file: fileName, text: text, line: entry.valuePosition.line, column: entry.valuePosition.column, hint: hint)
    }

    /// The `[name]` table of pico.toml: nil when there is none, an error at its value when
    /// `name` is something other than a table.
    static func table(_ name: String, in document: TOMLTable, text: String, hint: String) throws(FileError) -> TOMLTable? {
        guard let entry = document.entry(name) else { return nil }
        guard case .table(let table) = entry.value else { throw valueError("`\(name)` must be a table", entry, text: text, hint: hint) }
        return table
    }
}
