import Foundation
import PicoCore

/// `aliases: [old/url/]` in a page's front matter: a small page at each old path that sends
/// the reader on (a meta refresh, and a link for when refreshes are off). Its URLs are
/// relative, so it works from `file://`, under a sub-path and on any host.
enum Aliases {
    struct Alias: Equatable {
        /// Where the redirect page goes, e.g. `old/url/index.html`.
        var path: String
        /// The page it leads to, e.g. `posts/a/index.html`.
        var target: String
    }

    /// The redirect pages of every page and section index; an alias that is no path, or that
    /// another file (or alias) of the bundle writes, is an error at the page's `aliases`.
    static func plan(_ site: Site, siteFolder: URL, planned: [PlannedFile]) throws(FileErrors) -> [PlannedFile] {
        let pages = site.pages + site.sections.values.compactMap(\.index).sorted { $0.source < $1.source }
        var written = Dictionary(planned.map { ($0.path, $0.origin.shown) }, uniquingKeysWith: { first, _ in first })
        var out: [PlannedFile] = []
        var errors: [FileError] = []
        let language = site.config.language
        for page in pages {
            guard let value = page.params["aliases"] else { continue }
            let values: [MetaValue]
            switch value {
            case .array(let items): values = items
            case .string: values = [value]
            default:
                errors.append(error("`aliases` must be a list of old paths, e.g. aliases: [old/url/]", page: page, siteFolder: siteFolder))
                continue
            }
            for item in values {
                guard let text = item.string else {
                    errors.append(error("`aliases` must be a list of old paths, e.g. aliases: [old/url/]", page: page, siteFolder: siteFolder))
                    continue
                }
                let path: String
                switch outputPath(of: text) {
                case .success(let found): path = found
                case .failure(let problem):
                    errors.append(error("the alias \"\(text)\" \(problem.reason)", page: page, siteFolder: siteFolder))
                    continue
                }
                if let other = written[path] {
                    errors.append(error("the alias \"\(text)\" would write /\(path), which \(other) writes", page: page, siteFolder: siteFolder,
                                        hint: "remove the alias, or move the other page"))
                    continue
                }
                written[path] = page.source + " (alias \(text))"
                let target = page.outputPath
                let title = page.title
                out.append(PlannedFile(path: path, origin: .generated(from: page.source)) {
                    Data(redirectPage(at: path, to: target, title: title, language: language).utf8)
                })
            }
        }
        if !errors.isEmpty { throw FileErrors(errors) }
        return out
    }

    struct Problem: Error { var reason: String }

    /// `old/url/` and `/old/url` → `old/url/index.html`; `old.html` stays a file.
    static func outputPath(of alias: String) -> Result<String, Problem> {
        var path = alias.trimmingCharacters(in: .whitespaces)
        if path.contains("://") || path.hasPrefix("//") { return .failure(Problem(reason: "is a URL; an alias is a path inside the site")) }
        if path.contains("?") || path.contains("#") { return .failure(Problem(reason: "has a query or fragment; an alias is a path")) }
        while path.hasPrefix("/") { path.removeFirst() }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        if segments.isEmpty { return .failure(Problem(reason: "is the top of the site, which is the home page")) }
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return .failure(Problem(reason: "has . or .. in it")) }
        let last = segments.last!.lowercased()
        let isFile = !path.hasSuffix("/") && (last.hasSuffix(".html") || last.hasSuffix(".htm"))
        if !path.hasSuffix("/"), last.contains("."), !isFile {
            return .failure(Problem(reason: "names a file that is not a page; an alias is a folder (old/url/) or an .html file"))
        }
        let output = segments.joined(separator: "/") + (isFile ? "" : "/index.html")
        do throws(BundlePath.Problem) { _ = try BundlePath(validating: output) } catch {
            return .failure(Problem(reason: "cannot be a path in a bundle: \(error)"))
        }
        return .success(output)
    }

    /// The page at `path` that leads to `target`, by a URL relative to itself.
    static func redirectPage(at path: String, to target: String, title: String, language: String) -> String {
        let root = SiteRenderer.root(of: path)
        let url = (root == "./" ? "" : root)
            + target.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }.joined(separator: "/")
        let href = escape(url), shown = escape(title.isEmpty ? target : title)
        return """
        <!doctype html>
        <html lang="\(escape(language))"><head><meta charset="utf-8"><title>\(shown)</title>
        <meta name="robots" content="noindex"><meta http-equiv="refresh" content="0; url=\(href)"></head>
        <body><p>This page has moved to <a href="\(href)">\(shown)</a>.</p></body></html>

        """
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// An error at the page's `aliases` value (its front matter is read again for the place).
    private static func error(_ message: String, page: Page, siteFolder: URL, hint: String? = nil) -> FileError {
        if let data = try? Data(contentsOf: siteFolder.appendingPathComponent(page.source)), let text = String(data: data, encoding: .utf8),
           let front = try? FrontMatter.parse(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text, file: page.source) {
            return front.error(message, key: "aliases", file: page.source, text: text, hint: hint)
        }
        return FileError(message, file: page.source, hint: hint)
    }
}
