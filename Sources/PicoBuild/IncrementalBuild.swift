import Foundation
import PicoCore
import PicoFiles
import PicoSearch
import Synchronization
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// What a build of a pico site made, kept by `pico serve --watch` to rebuild from.
struct RetainedBuild: @unchecked Sendable {
    struct Model: @unchecked Sendable {
        var config: SiteConfig
        var site: Site
        var templates: TemplateSet
        /// The contexts the planned pages render with (patched in place by an edit of a page's
        /// text), and each templated file's template and context.
        var contexts: PlanContexts
        /// The images' resized copies: an edited page's Markdown images get their `srcset` again.
        var resizedImages = ResizedImages()
        /// What the web app's files were made from (planned again when pages come or go).
        var webApp: WebAppFiles.Input? = nil
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
    /// The index's settings, and each indexed page's entry in the order of the planned files:
    /// the index is made again from them, with the edited pages' entries replaced.
    var search: SearchFiles? = nil
    var searchPages: [SearchPage] = []
    /// What each planned file gave the anchor check, in the order of `planned`: a page kept as
    /// it is after a template edit gives its ids and links again without being made.
    var anchors: [PageAnchors?] = []
}

/// The files a rebuild found changed, from every core.
final class ChangedFiles: Sendable {
    private let files = Mutex<[String: BundleFile]>([:])
    func set(_ file: BundleFile) { files.withLock { $0[file.path] = file } }
    func get() -> [String: BundleFile] { files.withLock { $0 } }
}

/// The paths of the pages a rebuild made again, from every core.
final class MadePages: Sendable {
    private let paths = Mutex<[String]>([])
    func add(_ path: String) { paths.withLock { $0.append(path) } }
    func get() -> [String] { paths.withLock { $0 }.sorted() }
}

/// The contexts a plan made, handed out of `SiteRenderer.plan`.
final class KeptContexts: Sendable {
    private let contexts = Mutex<PlanContexts?>(nil)
    func set(_ made: PlanContexts) { contexts.withLock { $0 = made } }
    func get() -> PlanContexts? { contexts.withLock { $0 } }
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
        /// The pages re-rendered by an edit of their text (empty for a full build); when
        /// `plannedAgain`, the pages whose bytes changed.
        public var rerendered: [String]
        public var fileCount: Int
        /// The pages (HTML files) made in this rebuild, sorted: rendered or read, and their
        /// links rewritten; the others were kept as they were. Every page for a full build.
        public var rendered: [String] = []
        /// Why the site was built whole (nil when pages were re-rendered alone).
        public var wholeBecause: String? = nil
        /// Planned again from the kept pages (pages came or went, a template changed), every
        /// page made again and only the changed ones written: `rerendered` lists those.
        public var plannedAgain = false
    }

    /// A re-seal, told before its describing files are put in place (the pages it lists are
    /// there already): `pico serve --watch` hands it to the server in memory.
    public typealias Sealed = IncrementalSeal.Version

    /// Called with each re-seal of a rebuild made page by page (not for a full build).
    public var sealed: (@Sendable (Sealed) -> Void)?

    public let options: BundleBuilder.Options
    private var last: RetainedBuild?
    /// Whether the templates show only their own page's text (worked out once per full build).
    private var templatesAreSafe = false
    /// Worked out once per full build: where things are, and whether every generated file is
    /// a page or pico's own (a feed or sitemap shows pages' text outside any template).
    private var pageIndex: [String: Int] = [:]
    private var plannedByPath: [String: PlannedFile] = [:]
    private var plannedIndex: [String: Int] = [:]
    private var copiedSources: Set<String> = []
    private var onlyPagesAreGenerated = false
    /// The last seal's entries, encoded (re-sealed in place), and its id.
    private var seal: IncrementalSeal?
    private var sealedID = ""
    /// The offline policy the last rebuild made here decided (nil after a full build).
    private var lastPolicy: OfflinePolicy?
    /// Where each indexed page's entry is in `RetainedBuild.searchPages`.
    private var searchIndex: [String: Int] = [:]

    public init(_ options: BundleBuilder.Options) {
        self.options = options
    }

    /// `pico serve --watch`: after a rebuild that made pages again (not a full build) the search
    /// index is made again on another thread once the pages are served, and sealed in unless a newer change came
    /// first (whose rebuild makes it again). Off: made before `build` returns.
    public var indexesInBackground = false
    /// Told when a search index made in the background was sealed in (or why not).
    public var indexed: (@Sendable (String) -> Void)?
    /// One rebuild at a time: the watcher's, or the sealing of a background index.
    private let serial = Mutex(())
    /// Bumped by every rebuild: an index made in the background is sealed only if none came after it.
    private var generation = 0
    private let indexing = Atomic<Int>(0)

    /// Waits until no search index is being made in the background.
    public func waitForIndex() {
        while indexing.load(ordering: .acquiring) > 0 { usleep(2_000) }
    }

    /// Builds after `changes` (site-relative paths; nil or unknown: everything).
    public func build(after changes: Set<String>?) throws -> Outcome {
        try serial.withLock { _ throws -> Outcome in
            generation += 1
            return try buildInOrder(after: changes)
        }
    }

    private func buildInOrder(after changes: Set<String>?) throws -> Outcome {
        var reason = "the change is not known"
        if let changes, let last {
            do { return try textEdit(changes, last) } catch {
                reason = "\(error)"
                // Pages that came or went, front matter, templates: planned again, what may have
                // changed made again and compared, only what changed written.
                if error is WholeBuild, let last = self.last {
                    do { return try replan(changes, last) } catch { reason = "\(error)" }
                }
            }
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
        seal = nil
        lastPolicy = nil
        if let last {
            seal = IncrementalSeal(files: last.files)
            sealedID = result.manifest.id
            derive(from: last)
        }
        let pages = result.manifest.files.map(\.path).filter { PortableURLRewriter.kind(of: $0) == .html }.sorted()
        return Outcome(manifest: result.manifest, changed: nil, rerendered: [], fileCount: result.manifest.files.count, rendered: pages)
    }

    /// What the watcher looks up, worked out once per build that changed the plan.
    private func derive(from last: RetainedBuild) {
        searchIndex = Dictionary(last.searchPages.indices.map { (last.searchPages[$0].path, $0) }, uniquingKeysWith: { first, _ in first })
        templatesAreSafe = TemplateReads.showOnlyTheirOwnText(Self.templateTexts(of: last))
        let pages = last.model.site.pages
        pageIndex = Dictionary(pages.indices.map { (pages[$0].source, $0) }, uniquingKeysWith: { first, _ in first })
        plannedByPath = Dictionary(last.planned.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        plannedIndex = Dictionary(last.planned.indices.map { (last.planned[$0].path, $0) }, uniquingKeysWith: { first, _ in first })
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
            guard var page = try parser.parse(PageSource(path: contentPath, file: file, isSectionIndex: false,
                                                         mayHoldKeys: filter.namesExactly(contentPath))),
                  Self.othersSeeTheSame(old, page) else { throw WholeBuild("\(change) changed more than its text (front matter or headings)") }
            // What the full build's image step does to each page (ResizedImages.add).
            build.model.resizedImages.addSourceSets(to: &page, sizes: build.model.config.images.sizes)
            edited.append((index, page))
        }

        clock.lap("watch: parse")
        let byPath = plannedByPath
        guard var sealing = seal else { throw WholeBuild("the last build kept no seal") }
        let staging = stagingFolder(for: build)
        defer { try? FileManager.default.removeItem(at: staging) }
        let write = BundleWriting(folder: staging.path)
        var made: [(path: String, file: BundleFile)] = []
        var searchEntries: [String: SearchPage] = [:]
        var editedAnchors: [String: PageAnchors?] = [:]
        var previous: [Int: [String: Any]] = [:]
        // Patched contexts are put back when the edit cannot be made here.
        var succeeded = false
        defer {
            if !succeeded { for (index, values) in previous { build.model.contexts.values.updateOwnValues(ofPage: index) { $0 = values } } }
        }
        for (index, page) in edited {
            build.model.contexts.values.updateOwnValues(ofPage: index) { values in
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
            editedAnchors.updateValue(anchors, forKey: planned.path)
            if let search = build.search {
                // The page's entry, from the bytes as the full build takes them (before the page script).
                let entry = search.page(content, path: planned.path)
                guard (entry == nil) == (searchIndex[planned.path] == nil) else { throw WholeBuild("\(page.source) came into or left the search index") }
                searchEntries[planned.path] = entry
            }
            if build.addsPageScript { PageScriptInjection.add(to: &content, at: planned.path) }
            let written = try write.write(content, of: planned)
            if sealing.file(at: planned.path) != written { made.append((planned.path, written)) }
        }
        clock.lap("watch: render+rewrite+write")
        var sealed = try finish(made: made, removed: [], sealing: &sealing, build: build, created: build.created, staging: staging)
        succeeded = true
        for (index, page) in edited { build.model.site.pages[index] = page }
        // Its links may have changed (its ids did not): what a later template edit checks them by.
        if build.anchors.count == build.planned.count {
            for (path, anchors) in editedAnchors { if let index = plannedIndex[path] { build.anchors[index] = anchors } }
        } else {
            build.anchors = []
        }
        if let search = build.search, !searchEntries.isEmpty {
            // The pages are served already; the index follows in a second seal (its scores are
            // relative to every page's, so it is made again whole from the kept entries).
            for (path, entry) in searchEntries { build.searchPages[searchIndex[path]!] = entry }
            if indexesInBackground {
                build.files = sealing.files
                last = build
                seal = sealing
                indexInBackground(search, build.searchPages, generation: generation, output: build.output)
                return Outcome(manifest: sealed.manifest, changed: sealed.changed, rerendered: edited.map(\.page.outputPath),
                               fileCount: sealed.manifest.files.count, rendered: edited.map(\.page.outputPath).sorted())
            }
            let index = try indexFiles(search, build.searchPages, sealing: sealing, staging: staging)
            let more = try finish(made: index.made, removed: index.removed, sealing: &sealing, build: build, created: build.created,
                                  staging: staging)
            sealed = (more.manifest, Array(Set(sealed.changed + more.changed)).sorted())
            clock.lap("watch: search index")
        }
        build.files = sealing.files
        last = build
        seal = sealing
        return Outcome(manifest: sealed.manifest, changed: sealed.changed, rerendered: edited.map(\.page.outputPath),
                       fileCount: sealed.manifest.files.count, rendered: edited.map(\.page.outputPath).sorted())
    }

    /// Makes the index on another thread, then seals it in if no rebuild came meanwhile.
    private func indexInBackground(_ search: SearchFiles, _ pages: [SearchPage], generation: Int, output: URL) {
        let folder = output.deletingLastPathComponent()
            .appendingPathComponent(".\(output.lastPathComponent).pico-index-\(getpid())-\(generation)")
        indexing.add(1, ordering: .releasing)
        Thread.detachNewThread { [self] in
            defer { indexing.subtract(1, ordering: .releasing) }
            let started = Date()
            try? FileManager.default.removeItem(at: folder)
            defer { try? FileManager.default.removeItem(at: folder) }
            let written: [BundleFile]
            do { written = try search.write(pages, into: folder) } catch {
                indexed?("the search index could not be made: \(error)")
                return
            }
            let told: String = serial.withLock { _ -> String in
                guard generation == self.generation else { return "a newer change came: its rebuild makes the search index" }
                guard let build = last, var sealing = seal else { return "the last rebuild failed: the search index waits for the next" }
                let now = Set(written.map(\.path))
                let made = written.filter { sealing.file(at: $0.path) != $0 }.map { (path: $0.path, file: $0) }
                let removed = sealing.files.map(\.path).filter {
                    $0.hasPrefix(SearchIndexBuilder.folder + "/") && !now.contains($0) && plannedByPath[$0] == nil
                }
                do {
                    let sealed = try finish(made: made, removed: removed, sealing: &sealing, build: build, created: build.created,
                                            staging: folder)
                    seal = sealing
                    last?.files = sealing.files
                    return String(format: "search index sealed in %.3f s (bundle %@)", Date().timeIntervalSince(started),
                                  String(sealed.manifest.id.prefix(12)))
                } catch {
                    // `finish` left no seal: the next change is built whole.
                    return "the search index could not be put in place: \(error)"
                }
            }
            indexed?(told)
        }
    }

    /// The search index made from `pages` into `staging`: the files whose bytes differ from the
    /// bundle's, and the index files the bundle holds that are no longer made.
    private func indexFiles(_ search: SearchFiles, _ pages: [SearchPage], sealing: IncrementalSeal, staging: URL) throws
        -> (made: [(path: String, file: BundleFile)], removed: [String]) {
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        let written = try search.write(pages, into: staging)
        let now = Set(written.map(\.path))
        let made = written.filter { sealing.file(at: $0.path) != $0 }.map { (path: $0.path, file: $0) }
        let folder = SearchIndexBuilder.folder + "/"
        let removed = sealing.files.map(\.path).filter {
            $0.hasPrefix(folder) && !now.contains($0) && plannedByPath[$0] == nil
        }
        return (made, removed)
    }

    /// The end of a rebuild made here: the files made (in `staging`) put in place, each whole
    /// (a rename), those no longer made removed, then the offline policy and the seal, handed
    /// to `sealed` before the describing files land. The paths whose bytes changed, sorted.
    private func finish(made: [(path: String, file: BundleFile)], removed: [String], sealing: inout IncrementalSeal,
                        build: RetainedBuild, created: String?, staging: URL) throws
        -> (manifest: BundleManifest, changed: [String]) {
        var clock = StageClock()
        // From here the output changes: should this fail half way, the kept seal no longer
        // says what the folder holds (the full build that follows makes a new one).
        seal = nil
        var folders = Set<String>()
        for (path, file) in made {
            let target = build.output.path + "/" + path
            if rename(staging.path + "/" + path, target) != 0 {
                // A new page's folder is made first.
                try? FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                         withIntermediateDirectories: true)
                guard rename(staging.path + "/" + path, target) == 0 else { throw WholeBuild("cannot put /\(path) in place") }
            }
            sealing.update(file)
        }
        for path in removed {
            guard unlink(build.output.path + "/" + path) == 0 || errno == ENOENT else { throw WholeBuild("cannot remove /\(path)") }
            sealing.remove(path)
            var folder = (path as NSString).deletingLastPathComponent
            while !folder.isEmpty { folders.insert(folder); folder = (folder as NSString).deletingLastPathComponent }
        }
        // The folders left empty go too, deepest first (a full build would not make them).
        for folder in folders.sorted(by: { $0.count > $1.count }) { rmdir(build.output.path + "/" + folder) }
        var changed = made.map(\.path) + removed
        if let offline = build.offline {
            let files = sealing.files.filter { $0.path != OfflinePolicy.fileName }
            let policy: OfflinePolicy
            // The shell comes from index.html, 404.html, the style sheets and the paths there are:
            // when only other pages changed, it is the last one's (only the size, and so an
            // `auto` mode, can differ), which saves reading and scanning them again.
            if var last = lastPolicy, removed.isEmpty,
               made.allSatisfy({ PortableURLRewriter.kind(of: $0.path) == .html && $0.path != "index.html" && $0.path != "404.html" }) {
                last.totalBytes = files.reduce(0) { $0.addingSaturating($1.size) }
                if offline == .auto { last.mode = last.totalBytes <= OfflinePolicy.autoLimitBytes ? .all : .visited }
                policy = last
            } else {
                policy = OfflinePolicy.decide(offline, files: files, folder: build.output)
            }
            lastPolicy = policy
            let written = try policy.write(into: staging)
            if sealing.file(at: OfflinePolicy.fileName) != written {
                guard rename(staging.path + "/" + OfflinePolicy.fileName, build.output.path + "/" + OfflinePolicy.fileName) == 0 else { throw WholeBuild("cannot put the offline policy in place") }
                changed.append(OfflinePolicy.fileName)
                sealing.update(written)
            }
        }
        clock.lap("watch: offline")
        let sealed = try sealing.seal(name: build.name, entry: "index.html", signer: options.signer, created: created)
        clock.lap("watch: seal")
        // The pages it lists are in place: the server may take it now, before the describing
        // files land (it then need not read them back).
        self.sealed?(Sealed(manifest: sealed.manifest, manifestData: sealed.manifestData, checksums: sealed.checksums,
                            previousID: sealedID,
                            changed: Dictionary(changed.map { ($0, sealing.file(at: $0)) }, uniquingKeysWith: { first, _ in first })))
        // SHA256SUMS first: a reader that sees the new manifest finds the checksums it names.
        for (name, data) in [(BundleManifest.checksumsFileName, sealed.checksums), (BundleManifest.fileName, sealed.manifestData)] {
            try data.write(to: staging.appendingPathComponent(name))
            guard rename(staging.path + "/" + name, build.output.path + "/" + name) == 0 else { throw WholeBuild("cannot put \(name) in place") }
        }
        clock.lap("watch: describing files")
        sealedID = sealed.manifest.id
        return (sealed.manifest, changed.sorted())
    }

    /// The staging folder of a rebuild made here, beside the output (same file system: renames).
    private func stagingFolder(for build: RetainedBuild) -> URL {
        let staging = build.output.deletingLastPathComponent()
            .appendingPathComponent(".\(build.output.lastPathComponent).pico-watch-\(getpid())")
        try? FileManager.default.removeItem(at: staging)
        return staging
    }

    /// Pages that came, went or changed what other pages show of them (front matter, headings),
    /// and edits of templates: the site is put together again from the pages kept from the last
    /// build (only the changed ones parsed) and planned again as `pico build` plans it; then
    /// every page and style sheet is made again (render, rewrite, anchors, page script) and
    /// compared with what the bundle holds, and only the files whose bytes changed are written.
    /// Files that need not be made again are kept as they are instead: after pages came, went or
    /// changed, those whose contexts read the same and whose links lead where they did
    /// (`keptAfterPageChanges`); after an edit of templates alone, those whose templates do not
    /// reach an edited one (`keptAfterTemplateEdit`).
    /// Media are not copied again, Markdown is not parsed again, and the seal is redone in place.
    /// `WholeBuild` for anything else (a static file, a section's `_index.md`, pico.toml, …).
    private func replan(_ changes: Set<String>, _ build: RetainedBuild) throws -> Outcome {
        var clock = StageClock()
        guard !changes.isEmpty else { throw WholeBuild("the change is not known") }
        guard !options.allowBrokenLinks else { throw WholeBuild("broken links are let through (--allow-broken-links)") }
        guard let webAppInput = build.model.webApp else { throw WholeBuild("the last build kept no web app plan") }
        let old = build.model
        let config = old.config
        let filter = PathFilter(include: config.include, exclude: config.exclude)
        let parser = PageParser(limits: config.limits)
        var pages = Dictionary(old.site.pages.map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
        guard pages.count == old.site.pages.count else { throw WholeBuild("two pages have one source") }
        var parsedSources = Set<String>()
        var templatesChanged = false
        for change in changes.sorted() {
            let file = build.input.path + "/" + change
            var info = stat()
            let isFile = lstat(file, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
            if change.hasPrefix("templates/"), change.hasSuffix(".mustache") {
                templatesChanged = true
                continue
            }
            guard change.hasPrefix("content/") else { throw WholeBuild("\(change) is neither a page nor a template") }
            let contentPath = String(change.dropFirst("content/".count))
            let name = (contentPath.split(separator: "/").last.map(String.init) ?? "").lowercased()
            guard name != "_index.md" else { throw WholeBuild("\(change) is a section's index") }
            guard [".md", ".markdown", ".html", ".htm"].contains(where: { name.hasSuffix($0) }) else {
                throw WholeBuild("\(change) is not a page")
            }
            if isFile {
                // A link is resolved by the full build's rules, not here.
                guard filter.admits(contentPath) else { throw WholeBuild("\(change) is not one the build reads") }
                if let page = try parser.parse(PageSource(path: contentPath, file: file, isSectionIndex: false,
                                                          mayHoldKeys: filter.namesExactly(contentPath))) {
                    var page = page
                    old.resizedImages.addSourceSets(to: &page, sizes: config.images.sizes)
                    pages[change] = page
                } else {
                    pages.removeValue(forKey: change) // a draft now
                }
                parsedSources.insert(change)
            } else if lstat(file, &info) == 0 {
                throw WholeBuild("\(change) is not a regular file")
            } else {
                // Gone (or a temporary file of a save that came and went).
                pages.removeValue(forKey: change)
            }
        }
        clock.lap("watch: parse")

        // The site as SiteLoader puts it together: pages in the order of the walk (path bytes).
        let ordered = pages.values.sorted { $0.source.utf8.lexicographicallyPrecedes($1.source.utf8) }
        let indexes = old.site.sections.values.compactMap(\.index).sorted { $0.source.utf8.lexicographicallyPrecedes($1.source.utf8) }
        var site = SiteLoader.assemble(config: config, filter: filter, pages: ordered, sectionIndexes: indexes, assets: old.site.assets)
        site.data = old.site.data
        let templates = templatesChanged
            ? try TemplateSet.load(siteFolder: build.input, links: try SiteLinks(siteFolder: build.input), limits: config.limits,
                                   starter: config.template)
            : old.templates
        let kept = KeptContexts()
        var renderer = SiteRenderer(site: site, templates: templates)
        renderer.keepContexts = { kept.set($0) }
        renderer.searchPage = build.search != nil
        var planned = try renderer.plan()
        planned += try Aliases.plan(site, siteFolder: build.input, planned: planned)
        planned += old.resizedImages.planned
        let webApp = try WebAppFiles.add(to: planned, webAppInput)
        planned = webApp.planned
        try build.search?.plan(&planned, title: build.name, isPicoSite: true)
        guard webApp.injectsPageScript == build.addsPageScript, webApp.offline == build.offline, let contexts = kept.get() else {
            throw WholeBuild("the web app's files changed")
        }
        guard planned.contains(where: { $0.path == "index.html" }) else { throw WholeBuild("there is no index.html") }
        try BundleAssembler.checkOutputs(planned)
        var created = options.sourceDateEpoch.map(BundleManifest.utcString(epoch:))
        if created == nil, let newest = site.pages.compactMap(\.date).max() { created = String(newest.prefix(10)) + "T00:00:00Z" }
        clock.lap("watch: plan")

        guard var sealing = seal else { throw WholeBuild("the last build kept no seal") }
        let unchanged: [String: BundleAssembler.Made]
        if !templatesChanged {
            unchanged = keptAfterPageChanges(renders: contexts.renders, templates: templates, planned: planned, build: build, sealing: sealing)
            clock.lap("watch: contexts compared")
        } else if changes.allSatisfy(Self.isTemplate) {
            unchanged = keptAfterTemplateEdit(old: old.templates, new: templates, names: contexts.renders.mapValues(\.template),
                                              planned: planned, build: build, sealing: sealing)
            clock.lap("watch: templates reached")
        } else {
            unchanged = [:]
        }
        let staging = stagingFolder(for: build)
        defer { try? FileManager.default.removeItem(at: staging) }
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        // Every file made as `pico build` makes it; media the bundle holds already are not copied again.
        let render = build.render
        let rewriteLinks = LinkRewriting(files: planned, sourceRoot: build.input, allowBrokenLinks: false)
        let write = BundleWriting(folder: staging.path)
        let addsPageScript = build.addsPageScript
        let search = build.search
        let known = sealing
        var assembler = BundleAssembler(allowBrokenLinks: false)
        assembler.anchorCheck = AnchorCheck(linkRewriting: rewriteLinks)
        let changedFiles = ChangedFiles()
        let madePages = MadePages()
        let assembled = try assembler.assemble(planned) { file throws(FileError) in
            if case .file = file.content, PortableURLRewriter.kind(of: file.path) == nil, let entry = known.file(at: file.path) {
                return BundleAssembler.Made(file: entry, brokenLinks: [])
            }
            if let kept = unchanged[file.path] { return kept }
            // The runtime the bundle holds carries the last index: the index stage makes it again.
            if search != nil, file.path == SearchIndexBuilder.runtimePath, let entry = known.file(at: file.path) {
                return BundleAssembler.Made(file: entry, brokenLinks: [])
            }
            if PortableURLRewriter.kind(of: file.path) == .html { madePages.add(file.path) }
            var content = try render.content(of: file)
            let brokenLinks = rewriteLinks.rewrite(&content, of: file)
            let anchors = PageAnchors(content)
            let searchPage = search?.page(content, path: file.path)
            if addsPageScript { PageScriptInjection.add(to: &content, at: file.path) }
            let entry: BundleFile
            if let data = content.data {
                entry = BundleFile(path: file.path, size: data.count, sha256: SHA256Hex.of(data), type: MediaType.of(path: file.path))
                if known.file(at: file.path) != entry {
                    do { try FileTree.write(data, to: file.path, underPath: staging.path) } catch {
                        throw FileError("cannot write /\(file.path): \(error.localizedDescription)", file: file.origin.shown)
                    }
                    changedFiles.set(entry)
                }
            } else {
                entry = try write.write(content, of: file)
                changedFiles.set(entry)
            }
            return BundleAssembler.Made(file: entry, brokenLinks: brokenLinks, anchors: anchors, search: searchPage)
        }
        clock.lap("watch: render+rewrite+compare")
        var made = changedFiles.get().sorted { $0.key < $1.key }.map { (path: $0.key, file: $0.value) }
        var now = Set(assembled.files.map(\.path))
        if search != nil, indexesInBackground {
            // The pages are served first; the index, made again from every page's entry, follows
            // in a second seal (indexInBackground), and the last one stays until then.
            now.formUnion(sealing.files.map(\.path).filter { $0.hasPrefix(SearchIndexBuilder.folder + "/") })
        } else if let search {
            let written = try search.write(assembled.searchPages, into: staging)
            now.formUnion(written.map(\.path))
            made += written.filter { sealing.file(at: $0.path) != $0 }.map { (path: $0.path, file: $0) }
            clock.lap("watch: search index")
        }
        let removed = sealing.files.map(\.path).filter { !now.contains($0) && $0 != OfflinePolicy.fileName }
        let sealed = try finish(made: made, removed: removed, sealing: &sealing, build: build, created: created, staging: staging)

        var next = build
        next.model.site = site
        next.model.templates = templates
        next.model.contexts = contexts
        next.planned = planned
        next.rewriteLinks = rewriteLinks
        next.created = created
        next.files = sealing.files
        next.searchPages = assembled.searchPages
        next.anchors = assembled.anchors
        last = next
        seal = sealing
        derive(from: next)
        if let search, indexesInBackground { indexInBackground(search, assembled.searchPages, generation: generation, output: build.output) }
        let rerendered = made.map(\.path).filter { PortableURLRewriter.kind(of: $0) == .html }
        return Outcome(manifest: sealed.manifest, changed: sealed.changed, rerendered: rerendered, fileCount: sealed.manifest.files.count,
                       rendered: madePages.get(), plannedAgain: true)
    }

    static func isTemplate(_ change: String) -> Bool { change.hasPrefix("templates/") && change.hasSuffix(".mustache") }

    /// After an edit of templates alone (the pages and the plan as they were), the pages whose
    /// templates reach none of the edited ones, with what the bundle holds of them: the same
    /// template texts render the same contexts to the same bytes, so they are not made again.
    /// What they gave the last build (entry, ids and links, search entry) stands for them.
    /// Empty (everything made again) when a template came or went, a template names its
    /// partials by a value (`{{>*name}}`), the plan changed, or the last build kept too little.
    private func keptAfterTemplateEdit(old: TemplateSet, new: TemplateSet, names: [String: String], planned: [PlannedFile],
                                       build: RetainedBuild, sealing: IncrementalSeal) -> [String: BundleAssembler.Made] {
        guard let edited = new.changedNames(since: old), build.anchors.count == build.planned.count,
              planned.count == build.planned.count, zip(planned, build.planned).allSatisfy({ $0.path == $1.path }) else { return [:] }
        var reaches: [String: Bool] = [:]
        func reachesAnEdited(_ name: String) -> Bool {
            if let known = reaches[name] { return known }
            // Unknown names reached: assume the edited ones are among them.
            let answer = new.namesReached(from: name).map { !$0.isDisjoint(with: edited) } ?? true
            reaches[name] = answer
            return answer
        }
        var kept: [String: BundleAssembler.Made] = [:]
        for (index, file) in build.planned.enumerated() {
            guard let name = names[file.path], !reachesAnEdited(name), let entry = sealing.file(at: file.path) else { continue }
            kept[file.path] = BundleAssembler.Made(file: entry, brokenLinks: [], anchors: build.anchors[index],
                                                   search: searchIndex[file.path].map { build.searchPages[$0] })
        }
        return kept
    }

    /// After pages came, went or changed (the templates as they were), the files a template
    /// renders that would come out as the bundle holds them, with what they gave the last build:
    /// the same template, reading the same values of its context (`ContextComparison`, under
    /// the names its templates read), at the same path, with every link leading where it did
    /// (`linksStillLead`). A text edit patched the last contexts only where no template shows
    /// another page's text, so the last contexts stand for the bytes the bundle holds.
    private func keptAfterPageChanges(renders: [String: TemplatedRender], templates: TemplateSet, planned: [PlannedFile],
                                      build: RetainedBuild, sealing: IncrementalSeal) -> [String: BundleAssembler.Made] {
        guard build.anchors.count == build.planned.count else { return [:] }
        let before = build.model.contexts.renders
        let changed = ChangedPaths(Set(planned.map(\.path)).symmetricDifference(build.planned.map(\.path)))
        // Files that may be kept: at a path of the last plan, with its template, links unchanged.
        var mayKeep: [(path: String, render: TemplatedRender, last: TemplatedRender, made: BundleAssembler.Made)] = []
        for file in planned {
            guard let render = renders[file.path], let last = before[file.path], last.template == render.template,
                  let index = plannedIndex[file.path], let anchors = build.anchors[index],
                  Self.linksStillLead(anchors.targets, changed: changed), let entry = sealing.file(at: file.path) else { continue }
            mayKeep.append((file.path, render, last, BundleAssembler.Made(file: entry, brokenLinks: [], anchors: anchors,
                                                                             search: searchIndex[file.path].map { build.searchPages[$0] })))
        }
        // Their contexts compared on every core, a share of them each (what a template reads is
        // worked out once per share).
        let candidates = mayKeep
        let names = Dictionary(Set(candidates.map(\.render.template)).map { ($0, templates.namesRead(from: $0)) }, uniquingKeysWith: { a, _ in a })
        let shares = stride(from: 0, to: candidates.count, by: 512).map { $0..<min($0 + 512, candidates.count) }
        let sameInShares = Parallel.map(shares) { share -> [Int] in
            var comparisons: [String: ContextComparison] = [:]
            return share.filter { index in
                let (_, render, last, _) = candidates[index]
                if comparisons[render.template] == nil { comparisons[render.template] = ContextComparison(reading: names[render.template] ?? nil) }
                return comparisons[render.template]!.same(render.context(), last.context())
            }
        }
        var kept: [String: BundleAssembler.Made] = [:]
        for index in sameInShares.joined() { kept[candidates[index].path] = candidates[index].made }
        return kept
    }

    /// Whether links that led to `targets` lead there still after the bundle paths `changed.paths`
    /// came or went: none led to one that went, and none can now find a file it did not find
    /// before (PortableURLRewriter tries a path, then the folder's index names in order; a file
    /// that came in the folder of a target that is an index could be found first).
    static func linksStillLead(_ targets: [String], changed: ChangedPaths) -> Bool {
        guard !changed.paths.isEmpty else { return true }
        for target in targets {
            if changed.paths.contains(target) { return false }
            let (folder, name) = Self.split(target)
            if PortableURLRewriter.indexNames.contains(String(name)),
               changed.indexFolders.contains(folder) || changed.paths.contains(String(folder)) { return false }
        }
        return true
    }

    /// The bundle paths that came or went, and the folders of those that are a folder's index.
    struct ChangedPaths {
        let paths: Set<String>
        let indexFolders: Set<Substring>
        init(_ paths: Set<String>) {
            self.paths = paths
            indexFolders = Set(paths.compactMap { path in
                let (folder, name) = WatchBuilder.split(path)
                return PortableURLRewriter.indexNames.contains(String(name)) ? folder : nil
            })
        }
    }

    /// `a/b/index.html` → (`a/b`, `index.html`); `index.html` → (``, `index.html`).
    static func split(_ path: String) -> (folder: Substring, name: Substring) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path[...]) }
        return (path[..<slash], path[path.index(after: slash)...])
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
