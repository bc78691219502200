import Foundation
import PicoCore
import PicoFiles
import PicoMarkdown
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// Load and parse: reads `content/` and `static/` of a pico site into a `Site` — front matter
/// read, Markdown turned into HTML (on every core), drafts left out, sections and their order
/// worked out.
struct SiteLoader: Sendable {
    let siteFolder: URL
    let config: SiteConfig
    let filter: PathFilter
    let links: SiteLinks

    init(siteFolder: URL, config: SiteConfig, links: SiteLinks) {
        self.siteFolder = siteFolder
        self.config = config
        self.filter = PathFilter(include: config.include, exclude: config.exclude)
        self.links = links
    }

    func load() throws(FileErrors) -> Site {
        var errors: [FileError] = []

        // 1. Find the files.
        var pageSources: [PageSource] = []
        var assets: [String: URL] = [:]
        var assetOrigins: [String: String] = [:]
        for folderName in ["content", "static"] {
            let folder: URL
            do { folder = try links.folder(folderName, in: siteFolder) } catch {
                errors.append(error)
                continue
            }
            guard FileTree.isDirectory(folder) else { continue }
            let entries: [SiteLinks.Entry]
            do {
                entries = try links.walk(folder, shown: { "\(folderName)/\($0)" }, descend: filter.admits)
            } catch {
                errors.append(FileError("cannot read the folder: \(error.localizedDescription)",
                                        at: SourceLocation(file: folderName)))
                continue
            }
            for walked in entries where filter.admits(walked.entry.path) {
                let entry = walked.entry
                let shown = "\(folderName)/\(entry.path)"
                if entry.kind == .other {
                    errors.append(FileError("is a special file (a device, socket or pipe); pico copies only regular files",
                                            at: SourceLocation(file: shown), hint: "remove it from the site"))
                    continue
                }
                do throws(BundlePath.Problem) { _ = try BundlePath(validating: entry.path) } catch {
                    errors.append(FileError("this name cannot go into a bundle: \(error)",
                                            at: SourceLocation(file: shown), hint: "rename the file"))
                    continue
                }
                // A regular file, or what a link stands for (SiteLinks decides which it follows).
                let file: String
                switch walked.source {
                case .success(let path): file = path
                case .failure(let error): errors.append(error); continue
                }
                let name = entry.path.split(separator: "/").last!
                let lower = name.lowercased()
                if folderName == "content", lower == "_index.md" {
                    pageSources.append(PageSource(path: entry.path, file: file, isSectionIndex: true, mayHoldKeys: filter.namesExactly(entry.path)))
                } else if folderName == "content",
                          lower.hasSuffix(".md") || lower.hasSuffix(".markdown") || lower.hasSuffix(".html") || lower.hasSuffix(".htm") {
                    pageSources.append(PageSource(path: entry.path, file: file, isSectionIndex: false, mayHoldKeys: filter.namesExactly(entry.path)))
                } else {
                    if let other = assetOrigins[entry.path] {
                        errors.append(FileError("is also written by \(other); both would be /\(entry.path) in the bundle",
                                                at: SourceLocation(file: shown), hint: "remove or rename one of them"))
                        continue
                    }
                    assets[entry.path] = URL(fileURLWithPath: file)
                    assetOrigins[entry.path] = shown
                }
            }
        }

        var clock = StageClock()
        clock.lap("  walk")
        // 2. Parse every page on every core.
        let parser = PageParser(limits: config.limits)
        let results = Parallel.map(pageSources) { source in
            Result { () throws(FileError) -> Page? in
                try parser.parse(source)
            }
        }
        var pages: [Page] = []
        var sectionIndexes: [Page] = []
        for (source, result) in zip(pageSources, results) {
            switch result {
            case .success(let page?): source.isSectionIndex ? sectionIndexes.append(page) : pages.append(page)
            case .success(nil): continue // a draft
            case .failure(let error): errors.append(error)
            }
        }

        clock.lap("  parse")
        let site = Self.assemble(config: config, filter: filter, pages: pages, sectionIndexes: sectionIndexes, assets: assets)
        clock.lap("  sections")
        if !errors.isEmpty { throw FileErrors(errors) }
        return site
    }

    /// Steps 3 to 5 of `load`, from the parsed pages (in the order of the walk: by path bytes)
    /// and sections' indexes: also what `pico serve --watch` does when pages come or go.
    static func assemble(config: SiteConfig, filter: PathFilter, pages: [Page], sectionIndexes: [Page],
                         assets: [String: URL]) -> Site {
        // 3. Sections: every folder that holds pages, and the folders above it.
        var sections: [String: Section] = ["": Section(key: "")]
        func ensure(_ key: String) {
            guard sections[key] == nil else { return }
            sections[key] = Section(key: key)
            let parent = key.split(separator: "/").dropLast().joined(separator: "/")
            ensure(parent)
            sections[parent]!.children.append(key)
        }
        for index in sectionIndexes {
            ensure(index.section)
            sections[index.section]!.index = index
            // An unknown order was refused where the index was parsed, at its line.
            if let order = index.params["sort_by"]?.string, let sortBy = Section.SortOrder(rawValue: order) {
                sections[index.section]!.sortBy = sortBy
            }
        }
        for (i, page) in pages.enumerated() {
            ensure(page.section)
            sections[page.section]!.pageIndices.append(i)
        }
        for key in sections.keys {
            let order = sections[key]!.sortBy
            sections[key]!.pageIndices.sort { Self.precedes(pages[$0], pages[$1], by: order) }
            let all = sections
            sections[key]!.children.sort { a, b in
                let (x, y) = (all[a]!, all[b]!)
                return x.weight != y.weight ? x.weight < y.weight : NaturalSortKey(x.title) < NaturalSortKey(y.title)
            }
        }

        // 4. What the site writes. Two things writing one file are found once, for every
        // bundle, when the build checks its outputs (BundleAssembler.checkOutputs).
        var writers: Set<String> = Set(assets.keys)
        writers.formUnion(pages.map(\.outputPath))
        writers.formUnion(sections.values.map(\.outputPath))

        // 5. The starter site's static files (`template = "blog"`), under everything of the site's own.
        var starterAssets: [String: String] = [:]
        for file in config.template?.embeddedFiles ?? [] where file.path.hasPrefix("static/") {
            let path = String(file.path.dropFirst("static/".count))
            if !writers.contains(path), filter.admits(path) { starterAssets[path] = file.text }
        }

        return Site(config: config, pages: pages, sections: sections, assets: assets, starterAssets: starterAssets)
    }

    /// Newest first (undated last), or by weight, or by title; ties by title then source.
    static func precedes(_ a: Page, _ b: Page, by order: Section.SortOrder) -> Bool {
        switch order {
        case .date:
            if a.date != b.date {
                guard let da = a.date else { return false }
                guard let db = b.date else { return true }
                return da > db
            }
        case .weight:
            if a.weight != b.weight { return a.weight < b.weight }
        case .title:
            break
        }
        if a.sortKey != b.sortKey { return a.sortKey < b.sortKey }
        return a.source < b.source
    }
}

/// A content file to parse: its path under `content/` and the file to read (the real file
/// when it is a link inside the site).
struct PageSource: Sendable {
    var path: String
    var file: String
    var isSectionIndex: Bool
    /// `[build] include` names it, so key material in it is taken as the author's choice.
    var mayHoldKeys = false
}

/// Reads one content file into a `Page`.
struct PageParser: Sendable {
    let limits: InputLimits

    func parse(_ page: PageSource) throws(FileError) -> Page? {
        let (contentPath, source, isSectionIndex) = (page.path, page.file, page.isSectionIndex)
        let file = "content/" + contentPath
        // Bounded before it is read: a 200 MB page took more than 8 GB through cmark and the rewriter.
        var info = stat()
        guard stat(source, &info) == 0 else {
            throw FileError("cannot read the file", at: SourceLocation(file: file))
        }
        if let tooLarge = limits.pageTooLarge(Int(info.st_size), file: file) { throw tooLarge }
        guard let data = try? FileTree.read(atPath: source) else {
            throw FileError("cannot read the file", at: SourceLocation(file: file))
        }
        if let tooLarge = limits.pageTooLarge(data.count, file: file) { throw tooLarge }
        // The page is in memory already, so all of it is scanned, not only its start.
        if !page.mayHoldKeys, let key = KeyMaterialScanner.find(in: data, path: file) {
            throw KeyMaterialScanner.error(key, file: file, in: data)
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw FileError("is not UTF-8 text", at: SourceLocation(file: file),
                            hint: "save the file as UTF-8")
        }
        // Some editors start UTF-8 files with a byte order mark, which would hide the front matter.
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let front = try FrontMatter.parse(text, file: file)
        let values = front.values

        switch values["draft"] {
        case .bool(true)?: return nil
        case .bool(false)?, nil: break
        default: throw front.error("`draft` must be true or false", key: "draft", file: file, text: text)
        }

        let segments = contentPath.split(separator: "/").map(String.init)
        let folder = segments.dropLast().joined(separator: "/")
        let fileName = segments.last!
        let baseName = fileName.contains(".") ? String(fileName[..<fileName.lastIndex(of: ".")!]) : fileName

        var date: String?
        if let value = values["date"] {
            guard let text = value.string, Self.isDate(text) else {
                throw front.error("`date` must be a date like 2024-03-01 or 2024-03-01T10:00:00Z", key: "date", file: file, text: text)
            }
            date = text
        }
        var tags: [String] = []
        switch values["tags"] {
        case nil: break
        case .array(let items)?:
            for item in items {
                guard let tag = item.string, !tag.isEmpty else {
                    throw front.error("`tags` must be a list of words", key: "tags", file: file, text: text,
                                      hint: "write tags: [offline, web]")
                }
                if !tags.contains(tag) { tags.append(tag) }
            }
        case .string(let single)?: tags = [single]
        default: throw front.error("`tags` must be a list of words", key: "tags", file: file, text: text,
                                   hint: "write tags: [offline, web]")
        }
        var weight = 0
        if let value = values["weight"] {
            guard case .int(let w) = value else {
                throw front.error("`weight` must be a whole number", key: "weight", file: file, text: text)
            }
            weight = w
        }
        for key in ["title", "description", "template", "slug"] {
            if let value = values[key], value.string == nil {
                throw front.error("`\(key)` must be text", key: key, file: file, text: text)
            }
        }
        if isSectionIndex, let order = values["sort_by"]?.string, Section.SortOrder(rawValue: order) == nil {
            throw front.error("sort_by must be date, weight or title, not \"\(order)\"", key: "sort_by", file: file, text: text)
        }
        if isSectionIndex, let value = values["paginate"] {
            guard case .int(let count) = value, Pagination.perPage(count) != nil else {
                throw front.error(Pagination.wrongValue, key: "paginate", file: file, text: text, hint: "write paginate: 10")
            }
        }
        if let slug = values["slug"]?.string {
            if slug.isEmpty || slug.contains("/") || slug.hasPrefix(".") {
                throw front.error("`slug` must be one path segment, not empty and not starting with '.'", key: "slug", file: file, text: text)
            }
            // The slug becomes a folder name in the bundle: the bundle's own path rules decide,
            // so a build never writes what its verify would refuse (`a\b`, NFD, `C:`, NUL).
            if slug.contains(":") {
                throw front.error("`slug` cannot be a folder name in a bundle: a ':' makes it a drive or stream name on Windows",
                                  key: "slug", file: file, text: text, hint: "use letters, digits and '-' (e.g. slug: my-page)")
            }
            let path = (folder.isEmpty ? "" : folder + "/") + slug + "/index.html"
            do throws(BundlePath.Problem) { _ = try BundlePath(validating: path) } catch {
                throw front.error("`slug` cannot be a folder name in a bundle: \(String(describing: error).replacingOccurrences(of: "the path", with: "it"))",
                                  key: "slug", file: file, text: text, hint: "use letters, digits and '-' (e.g. slug: my-page)")
            }
        }

        // Where it goes.
        let url: String
        let section: String
        if isSectionIndex {
            section = folder
            url = folder.isEmpty ? "" : folder + "/"
        } else if baseName.lowercased() == "index" {
            // A page bundle: content/a/b/index.md, with its images beside it.
            url = folder.isEmpty ? "" : folder + "/"
            section = folder.split(separator: "/").dropLast().joined(separator: "/")
        } else {
            let name = values["slug"]?.string ?? baseName
            url = (folder.isEmpty ? "" : folder + "/") + name + "/"
            section = folder
        }

        let body = String(Substring(front.body))
        let isMarkdown = !(fileName.lowercased().hasSuffix(".html") || fileName.lowercased().hasSuffix(".htm"))
        if isMarkdown, let line = MarkdownRenderer.firstLine(nestingDeeperThan: InputLimits.maxMarkdownNesting, in: body) {
            throw FileError("block quotes and lists nest more than \(InputLimits.maxMarkdownNesting) levels deep here",
                            file: file, text: text, line: front.bodyFirstLine + line - 1, column: 1,
                            hint: "nest less deeply (text indented by more than \(InputLimits.maxMarkdownNesting * 2) columns counts as nested)")
        }
        let renderer = MarkdownRenderer(highlightsCode: true)
        let (html, toc) = isMarkdown ? Headings.anchor(renderer.html(from: body)) : (body, [])
        let summary: String
        if let before = body.prefix(beforeFirst: "<!--more-->") {
            summary = isMarkdown ? renderer.html(from: before) : before
        } else {
            summary = Self.firstParagraph(of: html)
        }

        let title = values["title"]?.string
            ?? (isSectionIndex ? "" : Self.title(fromFileName: baseName == "index" ? (segments.dropLast().last ?? "Home") : baseName))
        return Page(
            source: file, outputPath: url + "index.html", url: url, section: section,
            title: title, sortKey: NaturalSortKey(title), date: date, description: values["description"]?.string ?? "",
            tags: tags, weight: weight, template: values["template"]?.string, params: values,
            html: html, summary: summary, wordCount: Self.wordCount(body),
            templateAt: front.positions["template"].map { SourceLocation(file: file, line: $0.line, column: $0.column) },
            toc: toc)
    }

    static func isDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10 else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9]
        guard digits.allSatisfy({ bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }),
              bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        let month = Int(text.dropFirst(5).prefix(2))!, day = Int(text.dropFirst(8).prefix(2))!
        guard (1...12).contains(month), (1...31).contains(day) else { return false }
        return bytes.count == 10 || bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ")
    }

    static func title(fromFileName name: String) -> String {
        name.replacingOccurrences(of: "-", with: " ").replacingOccurrences(of: "_", with: " ").capitalized
    }

    static func firstParagraph(of html: String) -> String {
        guard let start = ByteSearch.firstOffset(of: "<p>", in: html) else { return "" }
        let rest = String(decoding: html.utf8.dropFirst(start), as: UTF8.self)
        guard let end = ByteSearch.firstOffset(of: "</p>", in: rest) else { return "" }
        return String(decoding: rest.utf8.prefix(end + 4), as: UTF8.self)
    }

    /// Runs of bytes other than space, tab, CR and LF. Eight bytes at a time (a word starts
    /// where a non-space byte follows a space or the start), since every page's body goes
    /// through here and a byte-at-a-time loop was 1% of a build.
    static func wordCount(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = UnsafeRawPointer(bytes.baseAddress) else { return 0 }
            let high: UInt64 = 0x8080_8080_8080_8080, low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            // 0x80 in each byte of `v` that is zero, and nowhere else (no carries between bytes).
            func zeroBytes(_ v: UInt64) -> UInt64 { ~(((v & low7) &+ low7) | v | low7) }
            var count = 0
            // 0x80 in byte 0 when the byte before the eight being read is not a space.
            var carry: UInt64 = 0
            var i = 0
            while i + 8 <= bytes.count {
                let v = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let space = zeroBytes(v ^ 0x2020_2020_2020_2020) | zeroBytes(v ^ 0x0A0A_0A0A_0A0A_0A0A)
                    | zeroBytes(v ^ 0x0909_0909_0909_0909) | zeroBytes(v ^ 0x0D0D_0D0D_0D0D_0D0D)
                let word = ~space & high
                count += (word & ~((word << 8) | carry)).nonzeroBitCount
                carry = word >> 56
                i += 8
            }
            var inWord = carry != 0
            while i < bytes.count {
                let byte = bytes[i]
                let space = byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
                if !space, !inWord { count += 1 }
                inWord = !space
                i += 1
            }
            return count
        }
    }
}
