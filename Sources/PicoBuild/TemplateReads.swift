import Foundation

/// What a site's templates can show of pages other than the one they render, read from their
/// text: `pico serve --watch` re-renders only the edited page when no template shows another
/// page's text (its content, summary, word count, …), which is what an edit of the text changes.
///
/// Other pages reach a template only through lists and links between pages (`pages`,
/// `sections`, `section`, `newer`, `older`, `tags`, `tag`, or any name not known to be a plain
/// value). Inside such a name, every name must be one that an edit of the text cannot change
/// (title, url, date, …); anything else, a partial or block whose text could land there, `{{.}}`,
/// or a list rendered whole, makes the answer "it may show them", and the watcher rebuilds all.
enum TemplateReads {
    /// Values of a page that stay the same when only its Markdown text changes (the watcher
    /// checks that the front matter and headings did not change).
    static let unchangedByText: Set<String> = [
        "title", "url", "date", "date_long", "description", "tags", "has_tags", "name", "slug", "count", "weight",
        "params", "is_page", "is_section", "is_home", "is_tag", "root", "site", "page", "has_pages", "has_sections",
        "language", "author", "year", "feed_url", "toc", "has_toc", "id", "level", "children", "has_children",
        "has_search",
    ]
    /// Names that lead to other pages.
    static let toOtherPages: Set<String> = ["pages", "sections", "section", "newer", "older", "tags", "tag"]
    /// Names of plain values or of the rendered page itself, safe to open as a section.
    static let plainSections: Set<String> = [
        "page", "site", "params", "data", "description", "summary", "date", "date_long", "title", "url", "root",
        "has_pages", "has_sections", "has_tags", "has_toc", "is_page", "is_section", "is_home", "is_tag", "year",
        "author", "language", "weight", "count", "feed_url", "toc", "children", "has_children", "content",
        "has_search",
    ]

    /// Whether no template in `texts` (every template by name, partials included) can show
    /// another page's text.
    static func showOnlyTheirOwnText(_ texts: [String: String]) -> Bool {
        texts.values.allSatisfy { isSafe($0) }
    }

    /// One template on its own: a partial or parent it names inside a list is refused, since
    /// its names would be read there (partials named outside lists are checked as templates).
    static func isSafe(_ text: String) -> Bool {
        let (tags, complete) = TemplateTags.scan(text)
        guard complete else { return false }
        // For each open section: whether it is inside a list of other pages.
        var scopes: [Bool] = []
        for tag in tags {
            let inList = scopes.last ?? false
            let name = tag.name
            switch tag.sigil {
            case "!", "%": continue
            case "=":
                guard name.dropLast(name.hasSuffix("=") ? 1 : 0).split(separator: " ", omittingEmptySubsequences: true).count == 2 else { return false }
            case ">", "<":
                if inList { return false }
                if tag.sigil == "<" { scopes.append(inList) }
            case "$":
                // A block's text may be rendered inside a list of the parent's.
                scopes.append(true)
            case "/":
                if !scopes.isEmpty { scopes.removeLast() }
            case "#", "^":
                guard let leads = check(name, inList: inList, asSection: true) else { return false }
                scopes.append(inList || leads)
            default:
                if name.isEmpty { continue }
                guard check(name, inList: inList, asSection: false) != nil else { return false }
            }
        }
        return true
    }

    /// For a name: nil when it may show another page's text; else whether it opens a list of
    /// other pages (for a section).
    private static func check(_ name: String, inList: Bool, asSection: Bool) -> Bool? {
        if name == "." { return inList ? nil : false }
        let parts = name.split(separator: ".").map(String.init)
        guard !parts.isEmpty else { return nil }
        var leads = inList
        for (index, part) in parts.enumerated() {
            let isLast = index == parts.count - 1
            if toOtherPages.contains(part) {
                // A list shown as a variable would print the pages whole.
                if isLast, !asSection { return nil }
                leads = true
                continue
            }
            if leads, !unchangedByText.contains(part) { return nil }
            if asSection, isLast, !leads, !plainSections.contains(part) {
                // A section of a name we do not know could be a list of other pages.
                return nil
            }
        }
        return leads
    }
}
