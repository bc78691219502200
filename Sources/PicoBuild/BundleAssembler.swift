import Foundation
import PicoCore
import PicoFiles
import PicoSearch
import Synchronization
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// A file the bundle will hold, and how to get its bytes.
struct PlannedFile: Sendable {
    enum Content: Sendable {
        /// Made on demand; a template that cannot render throws rather than giving an empty page.
        case rendered(@Sendable () throws(FileError) -> Data)
        case file(URL)
    }

    /// Where an error about this file should point.
    enum Origin: Sendable {
        /// Made by a template from this source (site-relative path): positions in the output
        /// are not positions in the source.
        case generated(from: String)
        /// Copied from this file (shown path), so output positions are source positions.
        case copied(from: String)

        var shown: String {
            switch self {
            case .generated(let source), .copied(let source): source
            }
        }
    }

    var path: String
    var content: Content
    var origin: Origin

    init(path: String, origin: Origin, render: @escaping @Sendable () throws(FileError) -> Data) {
        self.path = path
        self.content = .rendered(render)
        self.origin = origin
    }

    init(path: String, file: URL, origin: Origin) {
        self.path = path
        self.content = .file(file)
        self.origin = origin
    }
}

/// What every bundle's files go through, whether they came from a pico site or a finished
/// static site: their outputs checked together, once (`checkOutputs`), then each file made by
/// the stages `BundleBuilder.build` composes (render, rewrite links, page script, hash and
/// write), on every core. A file is made in one go, so memory holds a handful of files, not
/// the site.
struct BundleAssembler: Sendable {
    /// Broken links are then warnings; else they are errors, reported with every other.
    var allowBrokenLinks = false
    var progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?

    /// Links to parts of pages (`page/#anchor`), checked once every file is made.
    var anchorCheck: AnchorCheck?

    /// A file made: its entry in the manifest, and the broken links found in it.
    struct Made: Sendable {
        var file: BundleFile
        var brokenLinks: [FileError]
        /// A page's ids and links to parts of pages, for `anchorCheck`.
        var anchors: PageAnchors? = nil
        /// A page's entry in the search index.
        var search: SearchPage? = nil
    }

    struct Output: Sendable {
        var files: [BundleFile]
        /// Broken links that `allowBrokenLinks` let through.
        var warnings: [FileError]
        /// The pages' entries in the search index, in the order of the planned files.
        var searchPages: [SearchPage] = []
        /// What each planned file gave the anchor check, in their order (`pico serve --watch` keeps them).
        var anchors: [PageAnchors?] = []
    }

    /// The one check of the bundle's outputs as a whole: no two sources write one path, none
    /// writes a file pico writes itself, and no two paths are unable to exist side by side on
    /// a disk.
    static func checkOutputs(_ planned: [PlannedFile]) throws(FileErrors) {
        var seen: [String: PlannedFile.Origin] = [:]
        var errors: [FileError] = []
        for file in planned {
            if let other = seen[file.path] {
                errors.append(FileError("writes /\(file.path), which \(other.shown) writes too", file: file.origin.shown,
                                        hint: file.origin.isContentPage || other.isContentPage
                                            ? "rename one of them, or use `slug:` in the front matter" : "rename one of them"))
            }
            seen[file.path] = file.origin
            if BundleManifest.describingFiles.contains(file.path) {
                errors.append(FileError("\(file.path) is a name pico writes itself", file: file.origin.shown, hint: "rename the file"))
            }
        }
        // Paths that cannot exist side by side on a disk (`a` and `a/b`, `A.png` and `a.png`)
        // would give a bundle that fails its own verify or loses a file when copied.
        for conflict in BundlePath.conflicts(among: Array(seen.keys) + Array(BundleManifest.describingFiles)) {
            let origin = seen[conflict.second]?.shown ?? seen[conflict.first]?.shown ?? conflict.second
            let other = seen[conflict.first].map { " (\($0.shown) writes /\(conflict.first))" } ?? " (pico writes it)"
            errors.append(FileError("cannot write /\(conflict.second): \(conflict)\(other)", file: origin, hint: "rename one of them"))
        }
        if !errors.isEmpty { throw FileErrors(errors) }
    }

    /// `make` run for every file, on every core; the errors of every file, not the first only.
    func assemble(_ planned: [PlannedFile],
                  _ make: @escaping @Sendable (PlannedFile) throws(FileError) -> Made) throws(FileErrors) -> Output {
        let done = Counter()
        let total = planned.count
        let progress = self.progress
        let results = Parallel.map(planned) { file -> Result<Made, FileError> in
            defer {
                let count = done.increment()
                if count % 64 == 0 || count == total { progress?(count, total) }
            }
            return Result { () throws(FileError) in try make(file) }
        }
        var files: [BundleFile] = []
        var broken: [FileError] = []
        var errors: [FileError] = []
        var anchors: [PageAnchors?] = []
        var searchPages: [SearchPage] = []
        for result in results {
            switch result {
            case .success(let made):
                files.append(made.file)
                broken += made.brokenLinks
                anchors.append(made.anchors)
                if let page = made.search { searchPages.append(page) }
            case .failure(let error):
                errors.append(error)
                anchors.append(nil)
            }
        }
        if let anchorCheck { broken += anchorCheck.brokenLinks(in: planned, found: anchors) }
        if !allowBrokenLinks { errors += broken }
        if !errors.isEmpty { throw FileErrors(errors) }
        return Output(files: files, warnings: allowBrokenLinks ? broken : [], searchPages: searchPages, anchors: anchors)
    }
}

extension PlannedFile.Origin {
    /// A page of `content/`, whose output path its `slug:` can change.
    var isContentPage: Bool {
        if case .generated(let source) = self { return source.hasPrefix("content/") }
        return false
    }
}

/// A file's bytes between the stages.
enum FileContent: Sendable {
    /// Media and other files are not read: copied in chunks while hashed, never whole in memory.
    case copied(from: URL)
    /// Pages, style sheets and anything rendered.
    case bytes(Data)
    /// A page or style sheet after its links were rewritten, with what the rewriter learnt of
    /// the page's layout (where its head ends, how it reaches the bundle root).
    case rewritten(PortableURLRewriter.Result)

    var data: Data? {
        switch self {
        case .copied: nil
        case .bytes(let data): data
        case .rewritten(let result): result.bytes
        }
    }
}

/// Render: a planned file's bytes, rendered by its template or read from its file, bounded
/// in size and checked for key material. Media and other files are left on disk for the
/// write to stream.
struct FileRendering: Sendable {
    var limits = InputLimits()
    /// `[build] include`: a file it names exactly may hold key material.
    let keysAllowed: PathFilter

    init(limits: InputLimits, include: [String]) {
        self.limits = limits
        keysAllowed = PathFilter(include: include)
    }

    func content(of file: PlannedFile) throws(FileError) -> FileContent {
        let url: URL
        switch file.content {
        case .rendered(let render): return .bytes(try render())
        case .file(let source): url = source
        }
        let keysAllowed = keysAllowed.namesExactly(file.path)
        guard PortableURLRewriter.kind(of: file.path) != nil else {
            // Key material by content, whatever the file is called: the first few KB of every
            // file but media (pages were scanned whole when parsed).
            if !keysAllowed, !KeyMaterialScanner.isMedia(file.path) {
                let head = KeyMaterialScanner.leadingBytes(ofFile: url.path)
                if let key = KeyMaterialScanner.find(in: head, path: file.path) {
                    throw KeyMaterialScanner.error(key, file: file.origin.shown, in: head)
                }
            }
            return .copied(from: url)
        }
        // HTML and CSS are read whole to be rewritten: bounded first.
        var info = stat()
        if stat(url.path, &info) == 0, let tooLarge = limits.pageTooLarge(Int(info.st_size), file: file.origin.shown) {
            throw tooLarge
        }
        let data: Data
        do { data = try FileTree.read(atPath: url.path) } catch {
            throw FileError("cannot read the file: \(error.localizedDescription)", file: file.origin.shown)
        }
        if let tooLarge = limits.pageTooLarge(data.count, file: file.origin.shown) { throw tooLarge }
        if !keysAllowed, let key = KeyMaterialScanner.find(in: data.prefix(KeyMaterialScanner.scannedBytes), path: file.path) {
            throw KeyMaterialScanner.error(key, file: file.origin.shown, in: data)
        }
        return .bytes(data)
    }
}

/// Rewrite links: every internal URL of a page or style sheet made relative and file://-safe
/// (`PortableURLRewriter`); the links to files the bundle lacks come back as errors placed in
/// the source (warnings when `--allow-broken-links` lets them through).
struct LinkRewriting: Sendable {
    let rewriter: PortableURLRewriter
    /// Finds source positions of links in generated pages (site folder, for reading sources).
    var sourceRoot: URL?
    var allowBrokenLinks = false

    /// For the bundle whose paths are `files` (pico's describing files besides).
    init(files: [PlannedFile], sourceRoot: URL?, allowBrokenLinks: Bool) {
        rewriter = PortableURLRewriter(files: Set(files.map(\.path)).union(BundleManifest.describingFiles))
        self.sourceRoot = sourceRoot
        self.allowBrokenLinks = allowBrokenLinks
    }

    /// Rewrites `content` in place when it is a page or style sheet; returns its broken links.
    func rewrite(_ content: inout FileContent, of file: PlannedFile) -> [FileError] {
        guard case .bytes(let original) = content, let kind = PortableURLRewriter.kind(of: file.path) else { return [] }
        let result = rewriter.rewrite(original, at: file.path, as: kind)
        content = .rewritten(result)
        return locate(result.broken, in: file, original: original)
    }

    /// Broken links' errors, pointing at the source file: exactly for copied files, and for
    /// generated pages at the place the source (Markdown, then template) writes each URL. The
    /// text is indexed once per file, so each error costs a binary search and a short window.
    /// `original`: the bytes as read (a copied file is read again without them).
    func locate(_ links: [PortableURLRewriter.BrokenLink], in file: PlannedFile, original: Data?) -> [FileError] {
        guard !links.isEmpty else { return [] }
        let hint = "fix the link, add the missing file, or build with --allow-broken-links"
        let severity: FileError.Severity = allowBrokenLinks ? .warning : .error
        func message(_ link: PortableURLRewriter.BrokenLink) -> String {
            "broken link: \(link.reference.context)=\"\(Self.bounded(link.reference.value))\": \(link.reason)"
        }
        func error(_ link: PortableURLRewriter.BrokenLink, file shown: String, at position: TextPosition) -> FileError {
            var error = FileError(message(link), file: shown, position: position, hint: hint, kind: .brokenLink)
            error.severity = severity
            return error
        }
        switch file.origin {
        case .copied(let shown):
            // Reference ranges are positions in the bytes as read, which are the source's bytes.
            var bytes = original ?? Data()
            if original == nil, case .file(let url) = file.content, let data = try? FileTree.read(atPath: url.path) { bytes = data }
            let text = IndexedText(bytes)
            let positions = text.positions(of: links.map(\.reference.range.lowerBound))
            return zip(links, positions).map { error($0, file: shown, at: $1) }
        case .generated(let source):
            var offsets: [Int?] = Array(repeating: nil, count: links.count)
            var text: IndexedText?
            if let root = sourceRoot, let data = try? FileTree.read(atPath: root.appendingPathComponent(source).path) {
                let indexed = IndexedText(data)
                var finder = SourceURLFinder(text: indexed.bytes)
                offsets = links.map { finder.offset(of: $0.reference.value) }
                text = indexed
            }
            let found = offsets.indices.filter { offsets[$0] != nil }
            let positions = text?.positions(of: found.map { offsets[$0]! }) ?? []
            var located = [FileError?](repeating: nil, count: links.count)
            for (index, position) in zip(found, positions) { located[index] = error(links[index], file: source, at: position) }
            return links.indices.map { index in
                if let done = located[index] { return done }
                var unplaced = FileError(message(links[index]) + " (in /\(file.path), written by its template)",
                                         file: source, hint: hint)
                unplaced.kind = .brokenLink
                unplaced.severity = severity
                return unplaced
            }
        }
    }

    /// A URL as shown in a message: a long one (a data: URL, a mistake) is cut.
    static func bounded(_ value: String) -> String {
        value.utf8.count <= 200 ? value : String(value.prefix(200)) + "…"
    }

}

/// Hash and write: the file's bytes into the staging folder, hashed as they go (a copied file
/// is hashed while it is copied, so it is read once and never held whole).
struct BundleWriting: Sendable {
    /// The staging folder's path.
    let folder: String

    func write(_ content: FileContent, of file: PlannedFile) throws(FileError) -> BundleFile {
        let type = MediaType.of(path: file.path)
        let data: Data
        switch content {
        case .copied(let source):
            do {
                let (sha, size) = try FileTree.copyHashing(from: source.path, to: folder + "/" + file.path, flush: false)
                return BundleFile(path: file.path, size: size, sha256: sha, type: type)
            } catch {
                throw FileError("cannot copy the file: \(error.localizedDescription)", file: file.origin.shown)
            }
        case .bytes(let bytes): data = bytes
        case .rewritten(let result): data = result.bytes
        }
        do {
            try FileTree.write(data, to: file.path, underPath: folder)
        } catch {
            throw FileError("cannot write /\(file.path): \(error.localizedDescription)", file: file.origin.shown)
        }
        return BundleFile(path: file.path, size: data.count, sha256: SHA256Hex.of(data), type: type)
    }
}

/// Finds where a source file writes each URL of its page. The page's links come in the order
/// the source has them, so each search starts where the last one ended (and wraps around once);
/// a URL the source does not hold (its template wrote it) is searched for once, and the whole
/// search is bounded to a few dozen passes over the source, so a page of 8,000 links costs
/// about one pass, never 8,000.
struct SourceURLFinder {
    let text: [UInt8]
    private var cursor = 0
    private var absent: Set<String> = []
    private var budget: Int

    init(text: [UInt8]) {
        self.text = text
        budget = 64 * max(text.count, 4096)
    }

    mutating func offset(of value: String) -> Int? {
        guard !value.isEmpty, !absent.contains(value), budget > 0 else { return nil }
        let needle = Array(value.utf8)
        let found = text.withUnsafeBufferPointer { haystack -> Int? in
            needle.withUnsafeBufferPointer { pattern in
                let start = min(cursor, haystack.count)
                let rest = UnsafeBufferPointer(rebasing: haystack[start...])
                if let hit = ByteSearch.firstOffset(of: pattern, in: rest) {
                    budget -= hit + pattern.count
                    return start + hit
                }
                budget -= rest.count
                let head = UnsafeBufferPointer(rebasing: haystack[..<min(haystack.count, start + pattern.count)])
                budget -= head.count
                return ByteSearch.firstOffset(of: pattern, in: head)
            }
        }
        guard let found else {
            absent.insert(value)
            return nil
        }
        cursor = found + needle.count
        return found
    }
}

/// A thread-safe count of finished files, for progress.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
}
