import Foundation

/// Lists shown a few pages at a time: `paginate = 10` in pico.toml (the home page, every
/// section and every tag page) or in a section's `_index.md` front matter (that section; `0`
/// turns paging off). The first page of a list stays where it was (`posts/index.html`), the
/// next ones are `posts/page/2/index.html`, `posts/page/3/index.html`, …; their links are
/// folder URLs relative to the root like every other URL templates get, so they work from
/// `file://` once the build has made them relative.
enum Pagination {
    static let wrongValue = "`paginate` must be a whole number of pages from 0 (no paging) to 100000"

    /// A valid number of pages per list page, or nil.
    static func perPage(_ value: Int?) -> Int? {
        guard let value, (0...100_000).contains(value) else { return nil }
        return value
    }

    /// `paginate` of a section's `_index.md` (checked when it was read), or nil.
    static func perPage(inFrontMatter params: [String: MetaValue]?) -> Int? {
        guard case .int(let count)? = params?["paginate"] else { return nil }
        return perPage(count)
    }

    /// One page of a list.
    struct Pager: Sendable {
        /// 1-based.
        var number: Int
        var total: Int
        /// The folder URL templates link to: the list's own for the first page.
        var url: String
        /// Which of the list's pages it shows.
        var range: Range<Int>
        /// Paging is on for the list (it may still fit on one page).
        var isOn: Bool

        var outputPath: String { url + "index.html" }
    }

    /// The pages of the list at folder URL `listURL` (`""` for the home page, `posts/`,
    /// `tags/swift/`) that shows `count` pages, `perPage` at a time (0: all on one).
    static func pagers(listURL: String, count: Int, perPage: Int) -> [Pager] {
        guard perPage > 0, count > perPage else {
            return [Pager(number: 1, total: 1, url: listURL, range: 0..<count, isOn: perPage > 0)]
        }
        let total = (count + perPage - 1) / perPage
        return (1...total).map { number in
            Pager(number: number, total: total, url: number == 1 ? listURL : listURL + "page/\(number)/",
                  range: (number - 1) * perPage..<min(count, number * perPage), isOn: true)
        }
    }

    /// What templates see as `paginator`: `pages` (this page's), `current`, `total`,
    /// `previous` and `next` (`number`, `url`; absent at the ends), `numbers` (every page's
    /// `number`, `url`, `is_current`), `first`, `last`, `has_previous`, `has_next`, `is_paged`
    /// (more than one page) and `count` (pages in the whole list).
    static func paginator(_ pager: Pager, listURL: String, perPage: Int, count: Int, pages: [Any]) -> [String: Any] {
        func url(_ number: Int) -> String { number == 1 ? listURL : listURL + "page/\(number)/" }
        func link(_ number: Int) -> [String: Any] { ["number": number, "url": url(number)] }
        var paginator: [String: Any] = [
            "pages": pages, "current": pager.number, "total": pager.total, "count": count, "per_page": perPage,
            "numbers": (1...pager.total).map { ["number": $0, "url": url($0), "is_current": $0 == pager.number] as [String: Any] },
            "first": link(1), "last": link(pager.total),
            "has_previous": pager.number > 1, "has_next": pager.number < pager.total, "is_paged": pager.total > 1,
        ]
        if pager.number > 1 { paginator["previous"] = link(pager.number - 1) }
        if pager.number < pager.total { paginator["next"] = link(pager.number + 1) }
        return paginator
    }
}
