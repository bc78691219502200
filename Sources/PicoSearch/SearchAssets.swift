import Mustache

/// The browser side of search, Sources/PicoSearch/Assets/ (embedded at build time): the runtime
/// every bundle's `pico-search/search.js` begins with (the index files follow it there:
/// `SearchIndexBuilder`), and the built-in search page.
public enum SearchAssets {
    public static let runtime = EmbeddedAssets.search_js + "\n"

    /// The built-in template (Mustache), for a build that renders it itself.
    public static let pageTemplate = EmbeddedAssets.search_page_mustache + "\n"

    /// The built-in search page for a bundle in `language`, `root` the way from the page's
    /// folder to the folder holding `pico-search/` ("../" for `search/index.html`).
    public static func page(language: String, title: String, root: String = "../") -> String {
        // The template is pico's own and fixed at build time: it parses.
        let template = try! MustacheTemplate(string: pageTemplate)
        return template.render(["language": language, "lang": language, "title": title, "root": root])
    }
}
