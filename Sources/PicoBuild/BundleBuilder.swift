import Foundation
import PicoCore
import PicoFiles
import PicoHTML
import PicoSearch
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// `pico build`, top to bottom. `build()` is the data flow of the whole build:
///
///     load         pico.toml, content/ and static/ (SiteLoader)      — or a finished site's files
///     parse        front matter and Markdown, on every core (PageParser)
///     plan         the list of files, pages to be rendered by their templates (SiteRenderer)
///     web app      service worker, page script, manifest and icons added (WebAppFiles)
///     search       the search runtime and page planned ([search], --no-search: SearchFiles)
///     check        the outputs, once: no two sources of one path, none pico's own (BundleAssembler)
///   then for each file, on every core (BundleAssembler.assemble):
///     render       the template run, or the file read, bounded and checked for keys (FileRendering)
///     rewrite      every internal URL made relative and file://-safe, broken links placed (LinkRewriting)
///     index        each page's visible text, words and stems taken for search (SearchPage.extract)
///     page script  the `<script src=pico-app.js>` tag added to each page (PageScriptInjection)
///     hash, write  into a staging folder beside OUT (BundleWriting)
///   and once all are written:
///     anchors      links to `page#id` checked against the ids each page was found to hold (AnchorCheck)
///     search       the index of every page, pico-search/*.js, BM25 scores and shards (SearchFiles)
///     offline      what the service worker caches when it installs (OfflinePolicy)
///     seal         SHA256SUMS, the bundle id, pico-manifest.json, the signature (BundleSeal)
///     swap         the staging folder replaces OUT only when all of it succeeded
public struct BundleBuilder: Sendable {
    public struct Options: Sendable {
        public var input: URL
        public var output: URL?
        public var allowBrokenLinks = false
        public var signer: (any BundleSigner)?
        /// SOURCE_DATE_EPOCH: the build time to record, for reproducible builds.
        public var sourceDateEpoch: Int?
        public var progress: (@Sendable (_ stage: String, _ done: Int, _ total: Int) -> Void)?
        /// `--offline`: overrides `[app] offline` (a finished site has no pico.toml to say it).
        public var offline: OfflineMode?
        /// `--name`: the bundle's name, instead of pico.toml's title or the finished site's.
        public var name: String?
        /// Which symbolic links in the site are followed (`--follow-symlinks`).
        public var symlinks = SiteLinks.Policy.filesInside
        /// `--no-search`: false leaves the search index out, whatever `[search]` says.
        public var search = true

        public init(input: URL, output: URL? = nil) {
            self.input = input
            self.output = output
        }

        /// Given what the build made, for `pico serve --watch` to rebuild from (IncrementalBuild).
        var retain: (@Sendable (RetainedBuild) -> Void)? = nil
    }

    public struct Result: Sendable {
        public var output: URL
        public var manifest: BundleManifest
        public var kind: Kind
        public var pageCount: Int
        public var totalBytes: Int
        /// Broken links that `--allow-broken-links` let through.
        public var warnings: [FileError]
        /// What pico decided on the site's behalf, to tell the user once (not errors).
        public var notes: [String] = []

        public enum Kind: String, Sendable { case picoSite = "pico site", finishedSite = "finished site" }
    }

    public enum Failure: Error, CustomStringConvertible {
        case input(String)
        case output(String)

        public var description: String {
            switch self {
            case .input(let message), .output(let message): message
            }
        }
    }

    let options: Options

    public init(_ options: Options) { self.options = options }

    public func build() throws -> Result {
        let input = options.input.standardizedFileURL
        guard FileTree.isDirectory(input) else { throw Failure.input("\(input.path) is not a folder") }
        // A site folder that is itself a link could lead anywhere (`public -> ~`): build the
        // folder, not a link to it.
        var rootInfo = stat()
        if lstat(input.path, &rootInfo) == 0, rootInfo.st_mode & S_IFMT == S_IFLNK {
            let target = SiteLinks.realPath(input.path) ?? "?"
            throw Failure.input("\(input.path) is a symbolic link (to \(target)); pico builds a folder, not a link to one: pass \(target) if you mean it")
        }
        let links = try SiteLinks(siteFolder: input, policy: options.symlinks)
        // pico.toml and templates are the site's code, not its content: read only from inside.
        let codeLinks = try SiteLinks(siteFolder: input)
        var configInfo = stat()
        let isPicoSite = lstat(input.appendingPathComponent(SiteConfig.fileName).path, &configInfo) == 0
        let output = (options.output ?? Self.defaultOutput(for: input, isPicoSite: isPicoSite)).standardizedFileURL
        try Self.checkOutput(output, input: input, isPicoSite: isPicoSite)

        var clock = StageClock()
        // load → parse → plan: the files the bundle will hold (pages rendered later, one by one).
        let site = try isPicoSite ? loadPicoSite(input, links: links, codeLinks: codeLinks)
                                  : loadFinishedSite(input, excluding: output, links: links)
        clock.lap("load+plan")
        // Every bundle is an offline-first web app: service worker, page script, manifest, icons.
        let webApp = try WebAppFiles.add(to: site.planned, site.webApp)
        var planned = webApp.planned
        // search: the runtime and the search page, planned with the rest so links to them resolve.
        let search = options.search && site.search.enabled ? SearchFiles(settings: site.search, language: site.language) : nil
        try search?.plan(&planned, title: site.name, isPicoSite: isPicoSite)
        guard planned.contains(where: { $0.path == "index.html" }) else {
            throw Failure.input("\(input.path) has no index.html at its top; a bundle opens at index.html")
        }
        try BundleAssembler.checkOutputs(planned)

        let staging = try StagingFolder(replacing: output)
        do {
            // Each file, on every core: render → rewrite links → page script → hash and write.
            let render = FileRendering(limits: site.limits, include: site.include)
            let rewriteLinks = LinkRewriting(files: planned, sourceRoot: input, allowBrokenLinks: options.allowBrokenLinks)
            let addsPageScript = webApp.injectsPageScript
            let write = BundleWriting(folder: staging.url.path)
            var assembler = BundleAssembler(allowBrokenLinks: options.allowBrokenLinks)
            // Anchors are checked in pico sites only (see AnchorCheck).
            if isPicoSite { assembler.anchorCheck = AnchorCheck(linkRewriting: rewriteLinks) }
            if let report = options.progress {
                assembler.progress = { @Sendable done, total in report("Writing", done, total) }
            }
            let assembled = try assembler.assemble(planned) { file throws(FileError) in
                var content = try render.content(of: file)
                let brokenLinks = rewriteLinks.rewrite(&content, of: file)
                let anchors = PageAnchors(content)
                let searchPage = search?.page(content, path: file.path)
                if addsPageScript { PageScriptInjection.add(to: &content, at: file.path) }
                return BundleAssembler.Made(file: try write.write(content, of: file), brokenLinks: brokenLinks, anchors: anchors,
                                            search: searchPage)
            }
            var files = assembled.files
            clock.lap("render+rewrite+write")

            // search: the index of every page, from what the pass took of each.
            if let search {
                do { files = files.replacing(with: try search.write(assembled.searchPages, into: staging.url)) } catch { throw FileErrors([error]) }
                clock.lap("search")
            }

            // offline policy: decided from the written files (sizes, what index.html loads), sealed with them.
            var notes = webApp.notes
            if let offline = webApp.offline {
                let policy = OfflinePolicy.decide(offline, files: files, folder: staging.url)
                files.append(try policy.write(into: staging.url))
                if let note = policy.note { notes.append(note) }
            }

            // seal: SHA256SUMS, the id, pico-manifest.json, the signature.
            let seal = try BundleSeal(name: site.name, entry: "index.html", files: files, signer: options.signer,
                                      created: site.created)
            try seal.checksums.write(to: staging.url.appendingPathComponent(BundleManifest.checksumsFileName))
            try seal.manifest.canonicalJSON.write(to: staging.url.appendingPathComponent(BundleManifest.fileName))
            clock.lap("seal")

            // swap: the staging folder replaces OUT.
            try staging.commit()
            clock.lap("swap")
            if let retain = options.retain, let model = site.model {
                retain(RetainedBuild(model: model, input: input, output: output, planned: planned, files: files,
                                     name: site.name, created: site.created, render: render, rewriteLinks: rewriteLinks,
                                     addsPageScript: webApp.injectsPageScript, offline: webApp.offline, searches: search != nil,
                                     search: search, searchPages: assembled.searchPages, anchors: assembled.anchors))
            }
            let pageCount = planned.filter { PortableURLRewriter.kind(of: $0.path) == .html }.count
            let warnings = (webApp.warnings + assembled.warnings).map(\.asWarning)
            // The pages, contexts and plans are freed on another thread, not while the caller waits.
            Parallel.releaseInBackground((consume site, consume webApp, consume planned, consume assembled))
            return Result(output: output, manifest: seal.manifest, kind: isPicoSite ? .picoSite : .finishedSite,
                          pageCount: pageCount, totalBytes: files.reduce(0) { $0 + $1.size },
                          warnings: warnings, notes: notes)
        } catch {
            staging.discard()
            throw error
        }
    }

    /// What loading gives the rest of the build: the files, the bundle's name and date, and
    /// what the web app is made from.
    struct LoadedSite {
        var planned: [PlannedFile]
        var name: String
        var created: String?
        var webApp: WebAppFiles.Input
        var limits = InputLimits()
        var include: [String] = []
        /// `[search]`, and the language the index is made in.
        var search = SearchSettings()
        var language = "en"
        /// A pico site's parsed pages, templates and contexts (for `retain`).
        var model: RetainedBuild.Model? = nil
    }

    /// A pico site: pico.toml, content/ and static/ read and parsed (SiteLoader), templates
    /// loaded, the pages planned (SiteRenderer).
    private func loadPicoSite(_ input: URL, links: SiteLinks, codeLinks: SiteLinks) throws -> LoadedSite {
        let config = try SiteConfig.load(siteFolder: input, links: codeLinks)
        var site = try SiteLoader(siteFolder: input, config: config, links: links).load()
        let resizedImages = try ResizedImages.add(to: &site, siteFolder: input)
        site.data = try DataFiles.load(siteFolder: input, links: codeLinks, limits: config.limits)
        let templates = try TemplateSet.load(siteFolder: input, links: codeLinks, limits: config.limits, starter: config.template)
        let kept = KeptContexts()
        var renderer = SiteRenderer(site: site, templates: templates)
        renderer.searchPage = options.search && config.search.enabled
        if options.retain != nil { renderer.keepContexts = { kept.set($0) } }
        var planned = try renderer.plan()
        planned += try Aliases.plan(site, siteFolder: input, planned: planned)
        planned += resizedImages.planned
        let name = options.name ?? config.title
        var created = options.sourceDateEpoch.map(BundleManifest.utcString(epoch:))
        if created == nil, let newest = site.pages.compactMap(\.date).max() {
            created = String(newest.prefix(10)) + "T00:00:00Z"
        }
        let webApp = WebAppFiles.Input(app: config.app, title: name, description: config.description,
                                       language: config.language, configFile: SiteConfig.fileName,
                                       places: config.appPlaces, offline: options.offline ?? config.offline)
        return LoadedSite(planned: planned, name: name, created: created, webApp: webApp, limits: config.limits,
                          include: config.include, search: config.search, language: config.language,
                          model: kept.get().map { RetainedBuild.Model(config: config, site: site, templates: templates, contexts: $0,
                                                                      resizedImages: resizedImages, webApp: webApp) })
    }

    /// A finished site: every file as it is (FinishedSite), named after its index page.
    private func loadFinishedSite(_ input: URL, excluding output: URL, links: SiteLinks) throws -> LoadedSite {
        let planned = try FinishedSite(folder: input, excluding: [output], links: links).plan()
        let name = options.name ?? FinishedSite.title(of: planned) ?? input.lastPathComponent
        let webApp = WebAppFiles.Input(app: [:], title: name, description: "", language: "en", configFile: nil,
                                       offline: options.offline ?? .auto)
        return LoadedSite(planned: planned, name: name, created: options.sourceDateEpoch.map(BundleManifest.utcString(epoch:)),
                          webApp: webApp, language: FinishedSite.language(of: planned) ?? "en")
    }

    /// `SITE/public` for a pico site; `NAME.bundle` beside a finished site, never inside it.
    public static func defaultOutput(for input: URL, isPicoSite: Bool) -> URL {
        if isPicoSite { return input.appendingPathComponent("public") }
        return input.deletingLastPathComponent().appendingPathComponent(input.lastPathComponent + ".bundle")
    }

    /// OUT is replaced whole, so it must not hold the input, and must be empty or a bundle.
    static func checkOutput(_ output: URL, input: URL, isPicoSite: Bool) throws {
        let out = output.path.hasSuffix("/") ? output.path : output.path + "/"
        let inp = input.path.hasSuffix("/") ? input.path : input.path + "/"
        if inp.hasPrefix(out) {
            throw Failure.output("the output \(output.path) contains the input \(input.path); choose another -o")
        }
        if isPicoSite, out.hasPrefix(inp) {
            let inside = String(out.dropFirst(inp.count))
            for reserved in ["content/", "static/", "templates/"] where inside.hasPrefix(reserved) {
                throw Failure.output("the output \(output.path) is inside the site's \(reserved.dropLast()) folder; choose another -o")
            }
        }
        let fm = FileManager.default
        guard fm.fileExists(atPath: output.path) else { return }
        guard FileTree.isDirectory(output) else {
            throw Failure.output("\(output.path) exists and is not a folder; choose another -o")
        }
        let contents = (try? fm.contentsOfDirectory(atPath: output.path)) ?? []
        if !contents.isEmpty, !contents.contains(BundleManifest.fileName) {
            throw Failure.output("\(output.path) exists and is not a pico bundle; pico replaces its output whole, so it will not touch this folder (remove it or choose another -o)")
        }
    }
}

/// Stage timings on stderr when PICO_TIMINGS is set, for profiling builds.
struct StageClock {
    private let enabled = ProcessInfo.processInfo.environment["PICO_TIMINGS"] != nil
    private var last = Date()

    mutating func lap(_ stage: String) {
        guard enabled else { return }
        let now = Date()
        FileHandle.standardError.write(Data(String(format: "%@: %.3f s\n", stage, now.timeIntervalSince(last)).utf8))
        last = now
    }
}

/// A folder that is already a finished static site (Hugo's `public/`, say): every file is
/// taken as it is, except hidden and secret files and an earlier bundle's manifest files.
struct FinishedSite: Sendable {
    let folder: URL
    let excluding: [URL]
    let links: SiteLinks

    func plan() throws(FileErrors) -> [PlannedFile] {
        let filter = PathFilter()
        let excluded = excluding.map { $0.standardizedFileURL.path }
        let root = folder.path
        func inside(_ relative: String) -> Bool {
            let full = root + "/" + relative
            return excluded.contains { full == $0 || full.hasPrefix($0 + "/") }
        }
        let entries: [SiteLinks.Entry]
        do {
            entries = try links.walk(folder, shown: { $0 }) { filter.admits($0) && !inside($0) }
        } catch {
            throw FileErrors([FileError("cannot read the folder: \(error.localizedDescription)", file: folder.path)])
        }
        var planned: [PlannedFile] = []
        var errors: [FileError] = []
        for walked in entries where filter.admits(walked.entry.path) && !BundleManifest.describingFiles.contains(walked.entry.path) {
            let entry = walked.entry
            if entry.kind == .other {
                errors.append(FileError("is a special file (a device, socket or pipe); pico copies only regular files",
                                        file: entry.path, hint: "remove it from the folder"))
                continue
            }
            do throws(BundlePath.Problem) { _ = try BundlePath(validating: entry.path) } catch {
                errors.append(FileError("this name cannot go into a bundle: \(error)", file: entry.path, hint: "rename the file"))
                continue
            }
            let source: String
            switch walked.source {
            case .success(let path): source = path
            case .failure(let error): errors.append(error); continue
            }
            planned.append(PlannedFile(path: entry.path, file: URL(fileURLWithPath: source), origin: .copied(from: entry.path)))
        }
        if !errors.isEmpty { throw FileErrors(errors) }
        return planned
    }

    /// The site's name from its index page: the text of the first `<title>` in the first
    /// 64 KiB, entities decoded, spaces collapsed, at most 100 characters; nil without one.
    static func title(of planned: [PlannedFile]) -> String? {
        guard let index = planned.first(where: { $0.path == "index.html" }), case .file(let url) = index.content,
              let handle = FileHandle(forReadingAtPath: url.path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 64 << 10) else { return nil }
        return title(inPage: head)
    }

    /// The language of the site: `<html lang>`'s primary subtag in index.html's first 64 KiB.
    static func language(of planned: [PlannedFile]) -> String? {
        guard let index = planned.first(where: { $0.path == "index.html" }), case .file(let url) = index.content,
              let handle = FileHandle(forReadingAtPath: url.path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 64 << 10) else { return nil }
        return SearchPage.language(ofPage: head)
    }

    static func title(inPage page: Data) -> String? {
        let bytes = [UInt8](page)
        func lowered(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        func matches(_ word: String, at offset: Int) -> Bool {
            let word = Array(word.utf8)
            guard offset + word.count <= bytes.count else { return false }
            return word.indices.allSatisfy { lowered(bytes[offset + $0]) == word[$0] }
        }
        var offset = 0
        // Comments are skipped; the first <title> is the document's (an <svg> one comes later
        // in the body, after the head's).
        while offset < bytes.count {
            if matches("<!--", at: offset) {
                offset += 4
                while offset < bytes.count, !matches("-->", at: offset) { offset += 1 }
                offset += 3
                continue
            }
            if matches("<title", at: offset), offset + 6 < bytes.count, [0x3E, 0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset + 6]) {
                guard let open = bytes[(offset + 6)...].firstIndex(of: 0x3E) else { return nil }
                var end = open + 1
                while end < bytes.count, !matches("</title", at: end) { end += 1 }
                let words = CharacterReferences.decode(bytes[(open + 1)..<end], names: CharacterReferences.textNamed)
                    .split(whereSeparator: { $0.isWhitespace })
                let title = words.joined(separator: " ")
                guard !title.isEmpty else { return nil }
                let bounded = title.count > 100 ? String(title.prefix(100)) + "…" : title
                return TextFormats.escapingControls(bounded)
            }
            offset += 1
        }
        return nil
    }
}

extension FileError {
    var asWarning: FileError {
        var warning = self
        warning.severity = .warning
        return warning
    }
}
