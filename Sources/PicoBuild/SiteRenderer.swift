import Foundation
import PicoCore
import PicoParallel

/// Render: turns a loaded `Site` into the list of files the bundle will hold. Pages are
/// rendered lazily, inside the parallel write pass, so no rendered page waits in memory.
struct SiteRenderer: Sendable {
    let site: Site
    let templates: TemplateSet
    /// Given what the plan renders with (`pico serve --watch` keeps it: IncrementalBuild): the
    /// contexts, and each file a template renders with its template and context.
    var keepContexts: (@Sendable (PlanContexts) -> Void)? = nil
    /// Whether the bundle has search: then a `search.mustache` renders `search/index.html`.
    var searchPage = false

    func plan() throws(FileErrors) -> [PlannedFile] {
        var clock = StageClock()
        let feeds = FeedPlan(site: site, hasTagPages: templates.has("tag"))
        let contexts = SiteContexts(site: site, hasTagPages: templates.has("tag"), feeds: feeds, hasSearch: searchPage)
        clock.lap("  contexts")
        let templates = self.templates
        var planned: [PlannedFile] = []
        var errors: [FileError] = []
        var renders: [String: TemplatedRender] = [:]
        let keepsRenders = keepContexts != nil
        /// A file rendered by template `name` from `context`; `shown` names it in errors.
        func templated(_ path: String, from source: String, shown: String? = nil, with name: String,
                       _ context: @escaping @Sendable () -> [String: Any]) {
            let render = TemplatedRender(template: name, context: context)
            if keepsRenders { renders[path] = render }
            let shown = shown ?? source
            planned.append(PlannedFile(path: path, origin: .generated(from: source)) { () throws(FileError) -> Data in
                try templates.render(render.context(), with: name, for: shown)
            })
        }

        for (index, page) in site.pages.enumerated() {
            let name = page.template ?? "page"
            if name != "none", !templates.has(name), !(name == "page") {
                errors.append(FileError("the template \"\(name)\" does not exist (looked for templates/\(name).mustache)",
                                        at: page.templateAt ?? SourceLocation(file: page.source)))
                continue
            }
            if name == "none" {
                let html = page.html
                planned.append(PlannedFile(path: page.outputPath, origin: .generated(from: page.source)) { Data(html.utf8) })
                continue
            }
            let root = Self.root(of: page.outputPath)
            templated(page.outputPath, from: page.source, with: name) { contexts.context(root: root, page: contexts.fullPage(index)) }
        }

        for section in site.sections.values.sorted(by: { $0.key < $1.key }) {
            let name = section.index?.template ?? (section.key.isEmpty && templates.has("index") ? "index" : "section")
            if name != "section", !templates.has(name) {
                errors.append(FileError("the template \"\(name)\" does not exist (looked for templates/\(name).mustache)",
                                        at: section.index?.templateAt ?? SourceLocation(file: section.index?.source ?? "content/\(section.key)")))
                continue
            }
            let key = section.key
            let source = section.index?.source ?? "content/\(key)"
            // One file, or one per page of the list when it is paged (Pagination).
            for pager in contexts.pagers(ofSection: key) {
                let root = Self.root(of: pager.outputPath)
                templated(pager.outputPath, from: source, with: name) { contexts.sectionContext(key, root: root, pager: pager) }
            }
        }

        if templates.has("tags") {
            templated("tags/index.html", from: "templates/tags.mustache", shown: "tags/index.html", with: "tags") {
                contexts.tagsIndexContext(root: "../")
            }
        }
        if templates.has("tag") {
            for tag in contexts.tagNames {
                for pager in contexts.pagers(ofTag: tag) {
                    let root = Self.root(of: pager.outputPath)
                    templated(pager.outputPath, from: "templates/tag.mustache", shown: pager.outputPath, with: "tag") {
                        contexts.tagContext(tag, root: root, pager: pager)
                    }
                }
            }
        }
        if templates.has("404") {
            templated("404.html", from: "templates/404.mustache", shown: "404.html", with: "404") {
                contexts.context(root: "./", page: ["title": "Not found", "url": ""])
            }
        }

        // The search page (issue 17), unless a page of the site is written there.
        if searchPage, templates.has("search"), !planned.contains(where: { $0.path == "search/index.html" }) {
            templated("search/index.html", from: "templates/search.mustache", shown: "search/index.html", with: "search") {
                contexts.context(root: "../", page: ["title": "Search", "url": "search/"])
            }
        }

        // Atom feeds ([feed]) and sitemap.xml (base_url): Site/Feeds.swift.
        let listPages = site.sections.values.map(\.url) + (templates.has("tags") ? ["tags/"] : [])
            + (templates.has("tag") ? contexts.tagNames.map { "tags/\(Site.slug($0))/" } : [])
        planned += feeds.planned(for: site, listPages: listPages)

        for (path, url) in site.assets.sorted(by: { $0.key < $1.key }) {
            planned.append(PlannedFile(path: path, file: url, origin: .copied(from: Self.shownPath(of: url, in: site))))
        }
        let starter = site.config.template?.rawValue ?? ""
        for (path, text) in site.starterAssets.sorted(by: { $0.key < $1.key }) {
            planned.append(PlannedFile(path: path, origin: .copied(from: "static/\(path) (of the \(starter) starter site)")) { Data(text.utf8) })
        }
        if !errors.isEmpty { throw FileErrors(errors) }
        keepContexts?(PlanContexts(values: contexts, renders: renders))
        return planned
    }

    /// `a/b/index.html` → `../../`; a file at the top → `./`.
    static func root(of outputPath: String) -> String {
        let depth = outputPath.utf8.reduce(0) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 }
        return depth == 0 ? "./" : String(repeating: "../", count: depth)
    }

    private static func shownPath(of url: URL, in site: Site) -> String {
        let components = url.pathComponents
        if let index = components.lastIndex(where: { $0 == "static" || $0 == "content" }) {
            return components[index...].joined(separator: "/")
        }
        return url.lastPathComponent
    }
}

/// A file a template renders: the template's name, and the context it renders, made when asked
/// (by the render, on the thread that renders the file; by `pico serve --watch` to compare).
struct TemplatedRender: Sendable {
    let template: String
    let context: @Sendable () -> [String: Any]
}

/// What a plan renders with: the site's contexts, and each file a template renders, by path.
struct PlanContexts: Sendable {
    let values: SiteContexts
    let renders: [String: TemplatedRender]
}

/// What templates see (docs/TEMPLATES.md), built once per build and only read afterwards:
/// every render, on any thread, reads these dictionaries and never changes them.
final class SiteContexts: @unchecked Sendable {
    private let site: [String: Any]
    /// Changed only between builds, by `updateOwnValues` (never while pages render).
    private var basePages: [[String: Any]]
    private let sections: [String: [String: Any]]
    private let pageSections: [String]
    private let tags: [String: [String: Any]]
    let tagNames: [String]
    private let neighbours: [(newer: Int?, older: Int?)]
    /// Feeds and paging (Site/Feeds.swift, Site/Pagination.swift).
    private let feeds: FeedPlan
    private let perPage: [String: Int]
    /// Each page's headings, made into template data only when that page is rendered.
    private let tocs: [[Headings.Entry]]
    private let tagPerPage: Int

    /// `hasSearch`: the bundle has a search index and page (`site.has_search`, for a search box).
    init(site model: Site, hasTagPages: Bool, feeds: FeedPlan = FeedPlan(), hasSearch: Bool = false) {
        let tagSlugs = model.tagSlugs
        let tagNames = tagSlugs.keys.sorted { NaturalSortKey($0) < NaturalSortKey($1) }
        var counting: [String: Int] = [:]
        for page in model.pages { for tag in page.tags { counting[tag, default: 0] += 1 } }
        let tagCounts = counting
        @Sendable func tagSummary(_ name: String) -> [String: Any] {
            let slug = tagSlugs[name] ?? Site.slug(name)
            return ["name": name, "slug": slug, "url": "tags/\(slug)/", "count": tagCounts[name] ?? 0]
        }

        // On every core: ten thousand pages' dictionaries were most of this serial stage.
        let basePages: [[String: Any]] = Parallel.map(model.pages) { page in
            // Absent values stay absent: swift-mustache takes "" as true, so {{#description}} would fire.
            var dict: [String: Any] = [
                "title": page.title, "url": page.url, "content": page.html,
                "tags": page.tags.map(tagSummary), "has_tags": !page.tags.isEmpty,
                "word_count": page.wordCount, "reading_time": max(1, (page.wordCount + 199) / 200),
                "params": page.params.mapValues(\.templateValue),
                "is_page": true, "is_section": false, "is_home": false, "is_tag": false, "weight": page.weight,
            ]
            if !page.description.isEmpty { dict["description"] = page.description }
            if !page.summary.isEmpty { dict["summary"] = page.summary }
            if let date = page.date {
                dict["date"] = String(date.prefix(10))
                dict["date_long"] = Self.longDate(date)
            }
            return TemplateData(dict)
        }.map(\.value)

        // Sections bottom-up, so that each holds its children.
        var sections: [String: [String: Any]] = [:]
        for key in model.sections.keys.sorted(by: { $0.count > $1.count }) {
            let section = model.sections[key]!
            let pages = section.pageIndices.map { basePages[$0] }
            let children = section.children.compactMap { sections[$0] }
            var dict: [String: Any] = [
                "title": section.title, "url": section.url,
                "pages": pages, "sections": children, "count": pages.count, "weight": section.weight,
                "has_pages": !pages.isEmpty, "has_sections": !children.isEmpty,
            ]
            if let description = section.index?.description, !description.isEmpty { dict["description"] = description }
            if let html = section.index?.html, !html.isEmpty { dict["content"] = html }
            if let params = section.index?.params { dict["params"] = params.mapValues(\.templateValue) }
            sections[key] = dict
        }

        // Each tag's pages in one pass over the pages, not one pass per tag.
        var pagesByTag: [String: [Int]] = [:]
        for (index, page) in model.pages.enumerated() { for tag in page.tags where pagesByTag[tag]?.last != index { pagesByTag[tag, default: []].append(index) } }
        var tags: [String: [String: Any]] = [:]
        for name in tagNames {
            var dict = tagSummary(name)
            let pages = (pagesByTag[name] ?? [])
                .sorted { SiteLoader.precedes(model.pages[$0], model.pages[$1], by: .date) }
                .map { basePages[$0] }
            dict["pages"] = pages
            dict["has_pages"] = !pages.isEmpty
            tags[name] = dict
        }

        var neighbours = Array(repeating: (newer: Int?.none, older: Int?.none), count: model.pages.count)
        for section in model.sections.values {
            let order = section.pageIndices
            for (position, pageIndex) in order.enumerated() {
                neighbours[pageIndex] = (position > 0 ? order[position - 1] : nil,
                                         position + 1 < order.count ? order[position + 1] : nil)
            }
        }

        let allPages = model.pages.indices.sorted { SiteLoader.precedes(model.pages[$0], model.pages[$1], by: .date) }
        let newestYear = model.pages.compactMap(\.date).max().map { String($0.prefix(4)) }
        let topSections = sections[""]?["sections"] as? [[String: Any]] ?? []
        var site: [String: Any] = [
            "title": model.config.title, "language": model.config.language,
            "params": model.config.params.mapValues(\.templateValue),
            "sections": topSections, "has_sections": !topSections.isEmpty,
            "pages": allPages.map { basePages[$0] },
            "tags": tagNames.map { tags[$0]! }, "has_tags": hasTagPages && !tagNames.isEmpty,
            "has_search": hasSearch,
        ]
        if !model.config.description.isEmpty { site["description"] = model.config.description }
        if !model.config.author.isEmpty { site["author"] = model.config.author }
        if let newestYear { site["year"] = newestYear }
        if let feed = feeds.siteFeed { site["feed_url"] = feed }
        if let base = model.config.baseURL { site["base_url"] = base }
        self.feeds = feeds
        self.perPage = model.sections.mapValues { Pagination.perPage(inFrontMatter: $0.index?.params) ?? model.config.paginate }
        self.tagPerPage = model.config.paginate
        self.tocs = model.pages.map(\.toc)
        if !model.data.isEmpty { site["data"] = model.data.mapValues(\.templateValue) }
        self.site = site
        self.basePages = basePages
        self.sections = sections
        self.pageSections = model.pages.map(\.section)
        self.tags = tags
        self.tagNames = tagNames
        self.neighbours = neighbours
    }

    /// `pico serve --watch`: a page's own values after an edit that changed nothing the other
    /// pages show of it (IncrementalBuild checks that); its copies in lists stay as they are.
    func updateOwnValues(ofPage index: Int, _ change: (inout [String: Any]) -> Void) {
        change(&basePages[index])
    }

    func fullPage(_ index: Int) -> [String: Any] {
        var page = basePages[index]
        page["toc"] = tocs[index].map(\.templateValue)
        page["has_toc"] = !tocs[index].isEmpty
        // Pages at the top belong to the home page, which is no section to show.
        if !pageSections[index].isEmpty { page["section"] = sections[pageSections[index]] }
        if let newer = neighbours[index].newer { page["newer"] = basePages[newer] }
        if let older = neighbours[index].older { page["older"] = basePages[older] }
        return page
    }

    func context(root: String, page: [String: Any], pages: [Any] = [], sections: [Any] = []) -> [String: Any] {
        ["site": site, "page": page, "root": root, "pages": pages, "sections": sections,
         "has_pages": !pages.isEmpty, "has_sections": !sections.isEmpty]
    }

    /// The pages of a section's list page (one unless it is paged).
    func pagers(ofSection key: String) -> [Pagination.Pager] {
        Pagination.pagers(listURL: key.isEmpty ? "" : key + "/", count: (sections[key]?["pages"] as? [Any])?.count ?? 0,
                          perPage: perPage[key] ?? 0)
    }

    func pagers(ofTag name: String) -> [Pagination.Pager] {
        Pagination.pagers(listURL: tags[name]?["url"] as? String ?? "", count: (tags[name]?["pages"] as? [Any])?.count ?? 0,
                          perPage: tagPerPage)
    }

    func sectionContext(_ key: String, root: String, pager: Pagination.Pager? = nil) -> [String: Any] {
        var section = sections[key] ?? [:]
        if let feed = feeds.sectionFeeds[key] { section["feed_url"] = feed }
        section["is_page"] = false
        section["is_section"] = true
        section["is_home"] = key.isEmpty
        section["is_tag"] = false
        let all = section["pages"] as? [Any] ?? []
        guard let pager, pager.isOn else { return context(root: root, page: section, pages: all, sections: section["sections"] as? [Any] ?? []) }
        // A paged list shows its slice as `pages`; `page.pages` keeps them all.
        let shown = Array(all[pager.range])
        var paged = context(root: root, page: section, pages: shown, sections: section["sections"] as? [Any] ?? [])
        paged["paginator"] = Pagination.paginator(pager, listURL: section["url"] as? String ?? "", perPage: perPage[key] ?? 0,
                                                  count: all.count, pages: shown)
        return paged
    }

    func tagsIndexContext(root: String) -> [String: Any] {
        context(root: root, page: ["title": "Tags", "url": "tags/", "is_tag": false, "is_section": true])
    }

    func tagContext(_ name: String, root: String, pager: Pagination.Pager? = nil) -> [String: Any] {
        var tag = tags[name] ?? [:]
        if let feed = feeds.tagFeeds[name] { tag["feed_url"] = feed }
        var page: [String: Any] = ["title": name, "url": tag["url"] ?? "", "is_tag": true, "is_section": false]
        page["feed_url"] = tag["feed_url"]
        let all = tag["pages"] as? [Any] ?? []
        let shown = pager.map { $0.isOn ? Array(all[$0.range]) : all } ?? all
        var context = self.context(root: root, page: page, pages: shown)
        if let pager, pager.isOn {
            context["paginator"] = Pagination.paginator(pager, listURL: tag["url"] as? String ?? "", perPage: tagPerPage,
                                                        count: all.count, pages: shown)
        }
        context["tag"] = tag
        return context
    }

    /// One page's template data, handed from the thread that made it (it is only read after).
    private struct TemplateData: @unchecked Sendable {
        let value: [String: Any]
        init(_ value: [String: Any]) { self.value = value }
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]

    /// A page's date for people: `2024-03-01…` → `1 March 2024`; anything else is given back
    /// cut to its date part.
    static func longDate(_ date: String) -> String {
        let parts = date.prefix(10).split(separator: "-")
        guard parts.count == 3, let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month) else {
            return String(date.prefix(10))
        }
        return "\(day) \(monthNames[month - 1]) \(parts[0])"
    }
}
