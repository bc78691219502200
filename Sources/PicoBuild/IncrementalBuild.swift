import Foundation
import PicoCore
import PicoFiles
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a build of a pico site made, kept by `pico serve --watch` to rebuild from.
struct RetainedBuild: @unchecked Sendable {
    struct Model: @unchecked Sendable {
        var config: SiteConfig
        var site: Site
        var templates: TemplateSet
        /// The contexts the planned pages render with (patched in place by an edit of a page's text).
        var contexts: SiteContexts
    }

    var model: Model
    var input: URL
    var output: URL
    var planned: [PlannedFile]
    var files: [BundleFile]
    var name: String
    var created: String?
    var render: FileRendering
    var rewriteLinks: LinkRewriting
    var addsPageScript: Bool
    var offline: OfflineMode?
    /// Whether the bundle has a search index (which every page's text is in).
    var searches = false
}

/// The contexts a plan made, handed out of `SiteRenderer.plan`.
final class KeptContexts: Sendable {
    private let contexts = Mutex<SiteContexts?>(nil)
    func set(_ made: SiteContexts) { contexts.withLock { $0 = made } }
    func get() -> SiteContexts? { contexts.withLock { $0 } }
}

/// `pico serve --watch`'s builds. The first is `pico build`'s; after a change, an edit of the
/// text of pages (front matter and headings unchanged) re-renders those pages alone when no
/// template shows another page's text (`TemplateReads`), rewrites the offline policy and
/// re-seals the manifest in place; anything else, or anything unsure, is a full build. Either
/// way the folder ends byte for byte as `pico build` would leave it.
///
/// Used from one thread at a time (the watcher's).
public final class WatchBuilder: @unchecked Sendable {
    public struct Outcome: Sendable {
        public var manifest: BundleManifest
        /// The bundle paths whose bytes changed (nil: a full build, not compared).
        public var changed: [String]?
        /// The pages re-rendered by an edit of their text (empty for a full build).
        public var rerendered: [String]
        public var fileCount: Int
        /// Why the site was built whole (nil when pages were re-rendered alone).
        public var wholeBecause: String? = nil
    }

    public let options: BundleBuilder.Options
    private var last: RetainedBuild?
    /// Whether the templates show only their own page's text (worked out once per full build).
    private var templatesAreSafe = false
    /// Worked out once per full build: where things are, and whether every generated file is
    /// a page or pico's own (a feed or sitemap shows pages' text outside any template).
    private var pageIndex: [String: Int] = [:]
    private var plannedByPath: [String: PlannedFile] = [:]
    private var copiedSources: Set<String> = []
    private var onlyPagesAreGenerated = false

    public init(_ options: BundleBuilder.Options) {
        self.options = options
    }

    /// Builds after `changes` (site-relative paths; nil or unknown: everything).
    public func build(after changes: Set<String>?) throws -> Outcome {
        var reason = "the change is not known"
        if let changes, let last {
            do { return try textEdit(changes, last) } catch { reason = "\(error)" }
        } else if last == nil {
            reason = "the first build, or the last one failed"
        }
        var outcome = try fullBuild()
        outcome.wholeBecause = reason
        return outcome
    }

    private func fullBuild() throws -> Outcome {
        last = nil
        let kept = Mutex<RetainedBuild?>(nil)
        var options = self.options
        options.retain = { retained in kept.withLock { $0 = retained } }
        let result = try BundleBuilder(options).build()
        last = kept.withLock { $0 }
        if let last {
            templatesAreSafe = TemplateReads.showOnlyTheirOwnText(Self.templateTexts(of: last))
            let pages = last.model.site.pages
            pageIndex = Dictionary(pages.indices.map { (pages[$0].source, $0) }, uniquingKeysWith: { first, _ in first })
            plannedByPath = Dictionary(last.planned.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            // Site-relative, as the watcher names changes (`static/site.css`).
            copiedSources = Set(last.planned.compactMap { file -> String? in
                if case .file = file.content { return file.origin.shown }
                return nil
            })
            onlyPagesAreGenerated = last.planned.allSatisfy { file in
                guard case .rendered = file.content else { return true }
                let shown = file.origin.shown
                return PortableURLRewriter.kind(of: file.path) == .html || shown == "pico" || shown == SiteConfig.fileName
            }
        }
        return Outcome(manifest: result.manifest, changed: nil, rerendered: [], fileCount: result.manifest.files.count)
    }

    /// Every template text the site may render with: its own, the starter's and the built-in ones.
    static func templateTexts(of build: RetainedBuild) -> [String: String] {
        var texts: [String: String] = [:]
        // The built-in ones stand in for the names the site's templates do not have.
        for (name, text) in BuiltInTemplates.all where !build.model.templates.has(name) { texts["built-in " + name] = text }
        for file in build.model.config.template?.embeddedFiles ?? [] where file.path.hasSuffix(".mustache") {
            texts["starter " + file.path] = file.text
        }
        let folder = build.input.appendingPathComponent("templates")
        for entry in (try? FileTree.walk(folder)) ?? [] where entry.path.hasSuffix(".mustache") {
            guard let data = try? FileTree.read(atPath: folder.path + "/" + entry.path) else { return ["unreadable": "{{.}}"] }
            texts[entry.path] = String(decoding: data, as: UTF8.self)
        }
        return texts
    }

    /// Why a change is built whole.
    struct WholeBuild: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// An edit of the text of existing pages, re-rendered alone; `WholeBuild` (or any error)
    /// when the change is any other, and the caller then builds everything.
    private func textEdit(_ changes: Set<String>, _ build: RetainedBuild) throws -> Outcome {
        guard !changes.isEmpty else { throw WholeBuild("the change is not known") }
        guard templatesAreSafe else { throw WholeBuild("a template shows other pages' text") }
        var build = build
        let site = build.model.site
        var clock = StageClock()
        guard onlyPagesAreGenerated else { throw WholeBuild("the site has files made from pages outside any template (a feed, a sitemap)") }
        // The index's scores and shards depend on every page's words: rebuilt whole, as `pico build` would.
        guard !build.searches else { throw WholeBuild("the search index holds every page's text") }
        let filter = PathFilter(include: build.model.config.include, exclude: build.model.config.exclude)
        let parser = PageParser(limits: build.model.config.limits)
        var edited: [(index: Int, page: Page)] = []
        // A file that came and went within the burst (`sed -i`'s temporary file, renamed over
        // the page) was never part of the site.
        let changes = changes.filter { change in
            let full = build.input.path + "/" + change
            var info = stat()
            return pageIndex[change] != nil || copiedSources.contains(change) || lstat(full, &info) == 0
        }
        guard !changes.isEmpty else { throw WholeBuild("nothing the build reads changed") }
        for change in changes.sorted() {
            guard let index = pageIndex[change], change.hasPrefix("content/") else { throw WholeBuild("\(change) is not the text of a page") }
            let old = site.pages[index]
            guard old.template != "none", old.outputPath != "index.html", old.outputPath != "404.html" else { throw WholeBuild("\(change) is the home, the 404 page or written without a template") }
            let contentPath = String(change.dropFirst("content/".count))
            let file = build.input.path + "/" + change
            var info = stat()
            // A link is resolved by the full build's rules, not here.
            guard lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw WholeBuild("\(change) is not a regular file") }
            guard let page = try parser.parse(PageSource(path: contentPath, file: file, isSectionIndex: false,
                                                         mayHoldKeys: filter.namesExactly(contentPath))),
                  Self.othersSeeTheSame(old, page) else { throw WholeBuild("\(change) changed more than its text (front matter or headings)") }
            edited.append((index, page))
        }

        clock.lap("watch: parse")
        let byPath = plannedByPath
        var files = Dictionary(build.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let staging = build.output.deletingLastPathComponent()
            .appendingPathComponent(".\(build.output.lastPathComponent).pico-watch-\(getpid())")
        try? FileManager.default.removeItem(at: staging)
        defer { try? FileManager.default.removeItem(at: staging) }
        let write = BundleWriting(folder: staging.path)
        var made: [(path: String, file: BundleFile)] = []
        var previous: [Int: [String: Any]] = [:]
        // Patched contexts are put back when the edit cannot be made here.
        var succeeded = false
        defer {
            if !succeeded { for (index, values) in previous { build.model.contexts.updateOwnValues(ofPage: index) { $0 = values } } }
        }
        for (index, page) in edited {
            build.model.contexts.updateOwnValues(ofPage: index) { values in
                previous[index] = values
                values["content"] = page.html
                if page.summary.isEmpty { values.removeValue(forKey: "summary") } else { values["summary"] = page.summary }
                values["word_count"] = page.wordCount
                values["reading_time"] = max(1, (page.wordCount + 199) / 200)
            }
            guard let planned = byPath[page.outputPath], case .generated(let source) = planned.origin, source == page.source else { throw WholeBuild("\(page.source) is rendered by a plan that is not its own") }
            var content = try build.render.content(of: planned)
            // A broken link, or a link to a part of a page, is for the full build to report or check.
            guard build.rewriteLinks.rewrite(&content, of: planned).isEmpty else { throw WholeBuild("\(page.source) has a broken link") }
            let anchors = PageAnchors(content)
            guard try sameIDs(anchors, asBefore: planned, in: build) else { throw WholeBuild("\(page.source) changed its ids") }
            guard try linksToPartsResolve(anchors, of: planned, byPath: byPath, in: build) else {
                throw WholeBuild("\(page.source) has a link to a part of a page that is not there")
            }
            if build.addsPageScript { PageScriptInjection.add(to: &content, at: planned.path) }
            let written = try write.write(content, of: planned)
            if files[planned.path]?.sha256 != written.sha256 { made.append((planned.path, written)) }
            files[planned.path] = written
        }
        clock.lap("watch: render+rewrite+write")
        // Into place, each file whole (a rename), then the offline policy and the seal.
        for (path, _) in made {
            guard rename(staging.path + "/" + path, build.output.path + "/" + path) == 0 else { throw WholeBuild("cannot put /\(path) in place") }
        }
        var changed = made.map(\.path)
        if let offline = build.offline {
            let policy = OfflinePolicy.decide(offline, files: Array(files.values.filter { $0.path != OfflinePolicy.fileName }),
                                              folder: build.output)
            let written = try policy.write(into: staging)
            if files[OfflinePolicy.fileName]?.sha256 != written.sha256 {
                guard rename(staging.path + "/" + OfflinePolicy.fileName, build.output.path + "/" + OfflinePolicy.fileName) == 0 else { throw WholeBuild("cannot put the offline policy in place") }
                changed.append(OfflinePolicy.fileName)
            }
            files[OfflinePolicy.fileName] = written
        }
        clock.lap("watch: offline")
        let seal = try BundleSeal(name: build.name, entry: "index.html", files: Array(files.values), signer: options.signer,
                                  created: build.created)
        // SHA256SUMS first: a reader that sees the new manifest finds the checksums it names.
        for (name, data) in [(BundleManifest.checksumsFileName, seal.checksums), (BundleManifest.fileName, seal.manifest.canonicalJSON)] {
            try data.write(to: staging.appendingPathComponent(name))
            guard rename(staging.path + "/" + name, build.output.path + "/" + name) == 0 else { throw WholeBuild("cannot put \(name) in place") }
        }
        clock.lap("watch: seal")
        succeeded = true
        for (index, page) in edited { build.model.site.pages[index] = page }
        build.files = seal.manifest.files
        last = build
        return Outcome(manifest: seal.manifest, changed: changed.sorted(), rerendered: edited.map(\.page.outputPath),
                       fileCount: seal.manifest.files.count)
    }

    /// Whether two versions of a page give the other pages the same values: all but the text
    /// (content, summary, word count) are the same, headings included.
    static func othersSeeTheSame(_ a: Page, _ b: Page) -> Bool {
        a.source == b.source && a.outputPath == b.outputPath && a.url == b.url && a.section == b.section && a.title == b.title
            && a.sortKey == b.sortKey && a.date == b.date && a.description == b.description && a.tags == b.tags
            && a.weight == b.weight && a.template == b.template && a.params == b.params && a.toc == b.toc
            && a.templateAt == b.templateAt
    }

    /// Whether the page's links to parts of pages (its own headings' anchors, others') find
    /// their ids: in itself, or in the other pages as they are in the output (at most a few).
    private func linksToPartsResolve(_ anchors: PageAnchors?, of planned: PlannedFile, byPath: [String: PlannedFile],
                                     in build: RetainedBuild) throws -> Bool {
        guard let anchors, !anchors.links.isEmpty else { return true }
        var ids: [String: Set<String>] = [planned.path: Set(anchors.ids)]
        for link in anchors.links {
            if ids[link.target] == nil {
                guard ids.count < 16, let other = byPath[link.target],
                      let bytes = try? FileTree.read(atPath: build.output.path + "/" + other.path) else { return false }
                var content = FileContent.bytes(bytes)
                _ = build.rewriteLinks.rewrite(&content, of: other)
                ids[link.target] = Set(PageAnchors(content)?.ids ?? [])
            }
            if !AnchorCheck.names(link.fragment, in: ids[link.target]!) { return false }
        }
        return true
    }

    /// Whether the page's ids (what links to its parts name) are those of the page it replaces.
    private func sameIDs(_ anchors: PageAnchors?, asBefore planned: PlannedFile, in build: RetainedBuild) throws -> Bool {
        guard let before = try? FileTree.read(atPath: build.output.path + "/" + planned.path) else { return false }
        var old = FileContent.bytes(before)
        _ = build.rewriteLinks.rewrite(&old, of: planned)
        return PageAnchors(old)?.ids == anchors?.ids
    }
}
