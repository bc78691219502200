import Foundation
import PicoCore
import PicoTOML

/// `[feed]` in pico.toml: an Atom feed for the site, one per section and one per tag.
/// Without the table no feed is written (sites built before feeds existed keep their files).
public struct FeedSettings: Sendable, Equatable {
    public var enabled = false
    /// The newest pages each feed holds.
    public var limit = 20
    /// Each entry carries the whole page, not its summary.
    public var fullContent = false

    public init() {}

    /// The file name of every feed: `atom.xml` at the top, `SECTION/atom.xml`, `tags/SLUG/atom.xml`.
    static let fileName = "atom.xml"
}

extension SiteConfig {
    /// `base_url`, `[feed]` and `paginate`, each refused at its value when it is not what it must be.
    mutating func readPublishing(_ document: TOMLTable, text: String) throws(FileError) {
        func wrong(_ message: String, _ entry: TOMLTable.Entry, hint: String) -> FileError {
            Self.valueError(message, entry, text: text, hint: hint)
        }
        if let entry = document.entry("base_url") {
            let hint = "write base_url = \"https://example.com/\" (the address the site is served from), or leave it out for a bundle that works anywhere"
            guard case .string(var url) = entry.value, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                  parsed.host?.isEmpty == false, parsed.query == nil, parsed.fragment == nil else {
                throw wrong("`base_url` must be an http:// or https:// address with no query or fragment", entry, hint: hint)
            }
            if !url.hasSuffix("/") { url += "/" }
            baseURL = url
        }
        if let entry = document.entry("paginate") {
            guard case .integer(let count) = entry.value, let perPage = Pagination.perPage(Int(exactly: count)) else {
                throw wrong(Pagination.wrongValue, entry, hint: "write paginate = 10")
            }
            paginate = perPage
        }
        guard let table = try Self.table("feed", in: document, text: text,
                                         hint: "write [feed] on a line of its own, then enabled = true") else { return }
        feed.enabled = true
        if let enabled = table.entry("enabled") {
            guard case .bool(let on) = enabled.value else { throw wrong("`enabled` must be true or false", enabled, hint: "write enabled = true") }
            feed.enabled = on
        }
        if let limit = table.entry("limit") {
            guard case .integer(let count) = limit.value, (1...100_000).contains(count) else {
                throw wrong("`limit` must be a whole number of entries from 1 to 100000", limit, hint: "write limit = 20")
            }
            feed.limit = Int(count)
        }
        if let full = table.entry("full_content") {
            guard case .bool(let on) = full.value else { throw wrong("`full_content` must be true or false", full, hint: "write full_content = true") }
            feed.fullContent = on
        }
    }
}

/// Which feeds a site has, and their files. A feed lists the newest dated pages (undated
/// pages are in no feed: an Atom entry must say when it was updated, and pico never makes a
/// date up), so a list with no dated page has no feed. Everything comes from the pages, never
/// from the clock: the same site gives the same bytes.
struct FeedPlan: Sendable {
    /// Bundle path of the site's feed, or nil.
    var siteFeed: String?
    /// Section key → bundle path of its feed (sections other than the top).
    var sectionFeeds: [String: String] = [:]
    /// Tag name → bundle path of its feed.
    var tagFeeds: [String: String] = [:]
    /// Feed path → the pages it lists, newest first.
    private var entries: [String: [Int]] = [:]
    private var titles: [String: String] = [:]
    /// Feed path → the page it is the feed of (its folder URL).
    private var alternates: [String: String] = [:]

    /// No feeds.
    init() {}

    init(site: Site, hasTagPages: Bool) {
        let settings = site.config.feed
        guard settings.enabled else { return }
        let pages = site.pages
        func newest(_ indices: [Int]) -> [Int] {
            Array(indices.filter { pages[$0].date != nil }
                .sorted { SiteLoader.precedes(pages[$0], pages[$1], by: .date) }
                .prefix(settings.limit))
        }
        func add(_ path: String, _ indices: [Int], title: String, alternate: String) -> Bool {
            let listed = newest(indices)
            guard !listed.isEmpty else { return false }
            entries[path] = listed
            titles[path] = title
            alternates[path] = alternate
            return true
        }
        if add(FeedSettings.fileName, Array(pages.indices), title: site.config.title, alternate: "") { siteFeed = FeedSettings.fileName }
        for (key, section) in site.sections where !key.isEmpty {
            // A section's feed holds its pages and those of the sections below it.
            var indices = section.pageIndices
            var below = section.children
            while let child = below.popLast() {
                indices += site.sections[child]?.pageIndices ?? []
                below += site.sections[child]?.children ?? []
            }
            let path = key + "/" + FeedSettings.fileName
            if add(path, indices, title: "\(section.title) · \(site.config.title)", alternate: section.url) { sectionFeeds[key] = path }
        }
        if hasTagPages {
            for (tag, slug) in site.tagSlugs {
                let path = "tags/\(slug)/" + FeedSettings.fileName
                let tagged = pages.indices.filter { pages[$0].tags.contains(tag) }
                if add(path, tagged, title: "#\(tag) · \(site.config.title)", alternate: "tags/\(slug)/") { tagFeeds[tag] = path }
            }
        }
    }

    /// What the feeds and the sitemap are made from, as errors name it (a file of the site that
    /// writes the same path is refused). Not `pico.toml` alone: these files show pages' text.
    static let feedOrigin = "pico.toml [feed]"
    static let sitemapOrigin = "pico.toml base_url"

    /// The feeds' files, and `sitemap.xml` when `base_url` is set.
    func planned(for site: Site, listPages: [String]) -> [PlannedFile] {
        var files: [PlannedFile] = []
        for path in entries.keys.sorted() {
            let writer = AtomWriter(site: site, path: path, title: titles[path]!, alternate: alternates[path]!, pages: entries[path]!)
            files.append(PlannedFile(path: path, origin: .generated(from: Self.feedOrigin)) { Data(writer.xml().utf8) })
        }
        if let base = site.config.baseURL {
            let sitemap = Sitemap(site: site, baseURL: base, listPages: listPages)
            files.append(PlannedFile(path: "sitemap.xml", origin: .generated(from: Self.sitemapOrigin)) { Data(sitemap.xml().utf8) })
        }
        return files
    }
}

/// One Atom 1.0 feed (RFC 4287). Its links are relative to the feed's own URL, so it works
/// wherever the bundle is opened; with `base_url` they are absolute, as feed readers that copy
/// entries out of their feed prefer.
struct AtomWriter: Sendable {
    let site: Site
    /// Bundle path of the feed.
    let path: String
    let title: String
    /// Folder URL of the page the feed is the feed of ("" for the home page).
    let alternate: String
    let pages: [Int]

    func xml() -> String {
        let config = site.config
        let feedFolder = path.split(separator: "/").dropLast().map { PortableURLRewriter.encodeSegment(String($0)) }
        /// A page of the bundle by its folder URL, as this feed links it.
        func link(toFolder url: String) -> String {
            let segments = url.split(separator: "/").map { PortableURLRewriter.encodeSegment(String($0)) }
            if let base = config.baseURL { return base + segments.map { $0 + "/" }.joined() }
            return PortableURLRewriter.relativePath(from: feedFolder, to: segments + ["index.html"])
        }
        let selfLink = config.baseURL.map { $0 + path } ?? (path.split(separator: "/").last.map(String.init) ?? path)
        let updated = pages.compactMap { site.pages[$0].date.map(Self.atomDate) }.max() ?? "1970-01-01T00:00:00Z"
        var out = #"<?xml version="1.0" encoding="utf-8"?>"# + "\n"
        out += #"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="\#(Self.escape(config.language))">"# + "\n"
        out += "  <title>\(Self.escape(title))</title>\n"
        if !config.description.isEmpty { out += "  <subtitle>\(Self.escape(config.description))</subtitle>\n" }
        out += #"  <link rel="self" type="application/atom+xml" href="\#(Self.escape(selfLink))"/>"# + "\n"
        out += #"  <link rel="alternate" type="text/html" href="\#(Self.escape(link(toFolder: alternate)))"/>"# + "\n"
        out += "  <id>\(Self.escape(id(for: "feed:" + path, url: selfLink)))</id>\n"
        out += "  <updated>\(updated)</updated>\n"
        out += "  <author><name>\(Self.escape(config.author.isEmpty ? config.title : config.author))</name></author>\n"
        out += "  <generator>pico</generator>\n"
        for index in pages {
            let page = site.pages[index]
            let href = link(toFolder: page.url)
            let date = page.date.map(Self.atomDate) ?? updated
            out += "  <entry>\n"
            out += "    <title>\(Self.escape(page.title))</title>\n"
            out += #"    <link rel="alternate" type="text/html" href="\#(Self.escape(href))"/>"# + "\n"
            out += "    <id>\(Self.escape(id(for: "page:" + page.url, url: href)))</id>\n"
            out += "    <published>\(date)</published>\n"
            out += "    <updated>\(date)</updated>\n"
            for tag in page.tags { out += #"    <category term="\#(Self.escape(tag))"/>"# + "\n" }
            // The page's own relative links resolve against the page, so the content says where it is.
            let text = config.feed.fullContent ? page.html : (page.summary.isEmpty ? page.description : page.summary)
            let body = Self.rootAbsoluteMadeRelative(text, root: SiteRenderer.root(of: page.outputPath))
            let element = config.feed.fullContent ? "content" : "summary"
            if !body.isEmpty {
                out += #"    <\#(element) type="html" xml:base="\#(Self.escape(href))">\#(Self.escape(body))</\#(element)>"# + "\n"
            }
            out += "  </entry>\n"
        }
        out += "</feed>\n"
        return out
    }

    /// The page's root-absolute `href="/…"` and `src="/…"` (as cmark writes them) made relative
    /// to the page (`../../posts/a/`), so that against the entry's `xml:base` they lead into the
    /// bundle wherever it is opened, as the page's own links do once the build rewrites them.
    static func rootAbsoluteMadeRelative(_ html: String, root: String) -> String {
        var text = html
        for attribute in [#" href="/"#, #" src="/"#] where text.contains(attribute) {
            let parts = text.components(separatedBy: attribute)
            var out = parts[0]
            for part in parts.dropFirst() {
                // `//host/…` is another host's; `/x` is the bundle's root.
                out += part.hasPrefix("/") ? attribute + part : String(attribute.dropLast()) + root + part
            }
            text = out
        }
        return text
    }

    /// An entry's or feed's id: its absolute URL with `base_url`, else a name-based UUID from
    /// the site's title and the page's URL (an Atom id must be an absolute IRI, never relative).
    func id(for name: String, url: String) -> String {
        if site.config.baseURL != nil { return url }
        return Self.uuidURN(site.config.title + "\n" + name)
    }

    static func uuidURN(_ name: String) -> String {
        var hex = Array(SHA256Hex.of(Data(name.utf8)).prefix(32))
        hex[12] = "8" // version 8: a name-based UUID of pico's own making
        hex[16] = "a"
        let text = String(hex)
        let parts = [text.prefix(8), text.dropFirst(8).prefix(4), text.dropFirst(12).prefix(4), text.dropFirst(16).prefix(4), text.dropFirst(20)]
        return "urn:uuid:" + parts.joined(separator: "-")
    }

    /// A front-matter date as RFC 3339: `2024-03-01` → `2024-03-01T00:00:00Z`; a time without a
    /// zone is taken as UTC; seconds added when missing.
    static func atomDate(_ date: String) -> String {
        let day = String(date.prefix(10))
        let rest = Array(date.utf8.dropFirst(11))
        func digits(_ range: Range<Int>) -> Bool {
            range.upperBound <= rest.count && rest[range].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        guard date.utf8.count > 10, digits(0..<2), rest.count >= 5, rest[2] == UInt8(ascii: ":"), digits(3..<5) else {
            return day + "T00:00:00Z"
        }
        var time = String(decoding: rest[0..<5], as: UTF8.self)
        var i = 5
        if i < rest.count, rest[i] == UInt8(ascii: ":"), digits(i + 1..<i + 3) {
            time += String(decoding: rest[i..<i + 3], as: UTF8.self)
            i += 3
            if i < rest.count, rest[i] == UInt8(ascii: ".") {
                var j = i + 1
                while j < rest.count, rest[j] >= 0x30, rest[j] <= 0x39 { j += 1 }
                if j > i + 1 { time += String(decoding: rest[i..<j], as: UTF8.self) }
                i = j
            }
        } else {
            time += ":00"
        }
        var zone = "Z"
        if i < rest.count, rest[i] == UInt8(ascii: "+") || rest[i] == UInt8(ascii: "-"), digits(i + 1..<i + 3),
           rest.count >= i + 6, rest[i + 3] == UInt8(ascii: ":"), digits(i + 4..<i + 6) {
            zone = String(decoding: rest[i..<i + 6], as: UTF8.self)
        }
        return day + "T" + time + zone
    }

    /// Text and attribute values for XML: the five specials escaped, and the characters XML 1.0
    /// cannot hold at all (controls but tab and line ends) left out.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// `sitemap.xml` (sitemaps.org 0.9), written only with `base_url`: a sitemap must list absolute
/// URLs, and a bundle that can be opened anywhere has none of its own.
struct Sitemap: Sendable {
    let site: Site
    let baseURL: String
    /// Folder URLs of the list pages (sections, tags) besides the site's pages.
    let listPages: [String]

    func xml() -> String {
        var rows: [(url: String, date: String?)] = site.pages.map { ($0.url, $0.date) }
        rows += listPages.map { ($0, nil) }
        rows.sort { $0.url.utf8.lexicographicallyPrecedes($1.url.utf8) }
        var out = #"<?xml version="1.0" encoding="utf-8"?>"# + "\n"
        out += #"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"# + "\n"
        var seen = Set<String>()
        for row in rows where seen.insert(row.url).inserted {
            let segments = row.url.split(separator: "/").map { PortableURLRewriter.encodeSegment(String($0)) + "/" }
            out += "  <url><loc>\(AtomWriter.escape(baseURL + segments.joined()))</loc>"
            if let date = row.date { out += "<lastmod>\(AtomWriter.atomDate(date))</lastmod>" }
            out += "</url>\n"
        }
        out += "</urlset>\n"
        return out
    }
}
