import Foundation
import PicoCore

/// A page of a pico site after its front matter and Markdown have been read.
struct Page: Sendable {
    /// Path of the source relative to the site, e.g. `content/posts/a.md` (for errors).
    var source: String
    /// Where it goes in the bundle, e.g. `posts/a/index.html`.
    var outputPath: String
    /// The folder URL templates link to, e.g. `posts/a/` (empty for the home page).
    var url: String
    /// Key of the section it belongs to (`posts`, or `` for the top).
    var section: String
    var title: String
    var sortKey: NaturalSortKey
    var date: String?
    var description: String
    var tags: [String]
    var weight: Int
    var template: String?
    var params: [String: MetaValue]
    var html: String
    var summary: String
    var wordCount: Int
    /// Where the front matter names `template`, for an error about a template that is missing.
    var templateAt: SourceLocation? = nil
    /// The Markdown's headings, nested (Headings).
    var toc: [Headings.Entry] = []
}

/// A folder of `content/`, with its optional `_index.md`.
struct Section: Sendable {
    var key: String
    var index: Page?
    var pageIndices: [Int] = []
    var children: [String] = []
    var sortBy: SortOrder = .date

    enum SortOrder: String, Sendable { case date, weight, title }

    var title: String {
        if let title = index?.title, !title.isEmpty { return title }
        let last = key.split(separator: "/").last.map(String.init) ?? ""
        return last.replacingOccurrences(of: "-", with: " ").capitalized
    }
    var url: String { key.isEmpty ? "" : key + "/" }
    var outputPath: String { key.isEmpty ? "index.html" : key + "/index.html" }
    var weight: Int { index?.weight ?? 0 }
}

/// Everything loaded from a pico site: what the render stage needs.
struct Site: Sendable {
    var config: SiteConfig
    var pages: [Page]
    var sections: [String: Section]
    /// Files copied as they are: bundle path → source file.
    var assets: [String: URL]
    /// The static files of the starter site (`template = "blog"`) the site does not have:
    /// bundle path → text.
    var starterAssets: [String: String] = [:]
    /// `data/*.toml|yaml|json`, nested by folder: `site.data` (DataFiles).
    var data: [String: MetaValue] = [:]

    /// Tag name → slug, for every tag used by a page.
    var tagSlugs: [String: String] {
        var slugs: [String: String] = [:]
        for page in pages { for tag in page.tags where slugs[tag] == nil { slugs[tag] = Self.slug(tag) } }
        return slugs
    }

    /// `Offline Web!` → `offline-web`: letters and digits kept, runs of anything else one `-`;
    /// `tag` when nothing is left. A tag's folder under `tags/`.
    static func slug(_ text: String) -> String {
        var out = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber { out.append(character) }
            else if !out.isEmpty, !out.hasSuffix("-") { out.append("-") }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "tag" : out
    }
}
