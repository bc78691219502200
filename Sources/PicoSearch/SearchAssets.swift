import Mustache

/// The browser side of search, Sources/PicoSearch/Assets/ (embedded at build time): the runtime
/// every bundle carries as `pico-search/search.js`, and the built-in search page.
public enum SearchAssets {
    public static let runtime = EmbeddedAssets.search_js + "\n"

    /// The runtime followed by `index`, the bytes of an `index.js`: it delivers the index as it
    /// runs, so a cold query waits for one file less (a drive library's `pico-search/search.js`).
    public static func runtime(carrying index: [UInt8]) -> [UInt8] {
        Array(runtime.utf8) + index
    }

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
