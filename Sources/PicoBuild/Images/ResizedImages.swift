import Foundation
import PicoCore
import PicoFiles
import PicoImage
import PicoTOML
#if canImport(Glibc)
import Glibc
import PicoParallel
#endif

/// `[images]` in pico.toml: the widths JPEG and PNG images are also written at, and the
/// `sizes` attribute Markdown images get with their `srcset`. Without `widths`, nothing is resized.
public struct ImageSettings: Sendable, Equatable {
    /// Ascending, each from 16 to 10000 pixels.
    public var widths: [Int] = []
    /// The `sizes` attribute: how wide the image is shown, for the browser's choice.
    public var sizes = "100vw"

    public init() {}
}

extension SiteConfig {
    /// `[images] widths = [480, 960, 1600]` and `sizes = "..."`, each refused at its value.
    mutating func readImages(_ document: TOMLTable, text: String) throws(FileError) {
        guard let table = try Self.table("images", in: document, text: text,
                                         hint: "write [images] on a line of its own, then widths = [480, 960, 1600]") else { return }
        func wrong(_ message: String, _ entry: TOMLTable.Entry, hint: String) -> FileError {
            Self.valueError(message, entry, text: text, hint: hint)
        }
        if let widths = table.entry("widths") {
            let refusal = wrong("`widths` must be a list of whole numbers of pixels from 16 to 10000", widths, hint: "write widths = [480, 960, 1600]")
            guard case .array(let items) = widths.value else { throw refusal }
            var found: Set<Int> = []
            for item in items {
                guard case .integer(let width) = item, (16...10_000).contains(width) else { throw refusal }
                found.insert(Int(width))
            }
            images.widths = found.sorted()
        }
        if let sizes = table.entry("sizes") {
            guard case .string(let text) = sizes.value, !text.isEmpty else {
                throw wrong("`sizes` must be a string", sizes, hint: "write sizes = \"(min-width: 50rem) 50rem, 100vw\"")
            }
            images.sizes = text
        }
    }
}

/// Images resized at build time: every JPEG and PNG of `static/` and of the page bundles is also
/// written at each `[images] widths` narrower than itself (never wider), beside it, as
/// `NAME-480w.jpg`; each Markdown image (`<img src>` in a page made from Markdown) whose file has
/// such copies gets `srcset` (the copies and the original, with their widths) and `sizes`.
///
/// The copies are kept in the site's `.pico-cache/images/`, named by the SHA-256 of the original's
/// bytes, the width and ImageResizer.recipe: a rebuild reads them back instead of resizing again,
/// and any change of the image, the width or libvips makes a new one. Their bytes do not depend on
/// the time or the machine's state (ImageResizer), so two builds give the same bundle.
struct ResizedImages {
    static let cacheFolder = ".pico-cache/images"

    /// One image of the site: its bundle path, the width it is shown at, and its copies, narrowest first.
    struct Image: Sendable {
        var path: String
        var width: Int
        var copies: [Copy] = []
    }

    struct Copy: Sendable {
        var width: Int
        /// `NAME-480w.jpg`, beside the original in the bundle.
        var path: String
        /// Its file in the cache folder.
        var cacheName: String
    }

    /// The bundle files of the copies, read from the cache.
    var planned: [PlannedFile] = []
    /// Bundle path of an original → its copies.
    var images: [String: Image] = [:]
    /// How many copies this build made, and how many it found in the cache.
    var made = 0
    var reused = 0

    /// Resizes (or finds in the cache) every copy the settings ask for, then writes `srcset` into
    /// the site's Markdown pages.
    static func add(to site: inout Site, siteFolder: URL) throws(FileErrors) -> ResizedImages {
        var result = ResizedImages()
        let settings = site.config.images
        guard !settings.widths.isEmpty else { return result }
        let originals = site.assets.filter { ImageResizer.Format(fileName: $0.key) != nil }.sorted { $0.key < $1.key }
        guard !originals.isEmpty else { return result }
        let cache: String
        do { cache = try Self.cacheFolder(in: siteFolder) } catch { throw FileErrors([error]) }
        let taken = Set(site.assets.keys).union(site.starterAssets.keys)
        let recipe = ImageResizer.recipe
        let outcomes = Parallel.map(originals) { path, source in
            Result { () throws(FileError) -> (Image, made: Int, reused: Int) in
                try Self.resize(path, source: source, widths: settings.widths, taken: taken, cache: cache, recipe: recipe)
            }
        }
        var errors: [FileError] = []
        for (original, outcome) in zip(originals, outcomes) {
            switch outcome {
            case .success(let (image, made, reused)):
                result.made += made
                result.reused += reused
                guard !image.copies.isEmpty else { continue }
                result.images[image.path] = image
                for copy in image.copies {
                    let file = URL(fileURLWithPath: cache).appendingPathComponent(copy.cacheName)
                    result.planned.append(PlannedFile(path: copy.path, file: file,
                                                      origin: .generated(from: Self.shown(original.value, path: original.key))))
                }
            case .failure(let error): errors.append(error)
            }
        }
        if !errors.isEmpty { throw FileErrors(errors) }
        for index in site.pages.indices { result.addSourceSets(to: &site.pages[index], sizes: settings.sizes) }
        for key in site.sections.keys {
            guard let index = site.sections[key]?.index, Self.isMarkdown(index.source) else { continue }
            site.sections[key]!.index!.html = result.withSourceSets(index.html, pageURL: index.url, sizes: settings.sizes)
            site.sections[key]!.index!.summary = result.withSourceSets(index.summary, pageURL: index.url, sizes: settings.sizes)
        }
        return result
    }

    /// `srcset` into a page made from Markdown (its text and summary); also what `pico serve
    /// --watch` does to a page it parses again.
    func addSourceSets(to page: inout Page, sizes: String) {
        guard !images.isEmpty, Self.isMarkdown(page.source) else { return }
        page.html = withSourceSets(page.html, pageURL: page.url, sizes: sizes)
        page.summary = withSourceSets(page.summary, pageURL: page.url, sizes: sizes)
    }

    private static func isMarkdown(_ source: String) -> Bool {
        let lower = source.lowercased()
        return !(lower.hasSuffix(".html") || lower.hasSuffix(".htm"))
    }

    private static func shown(_ source: URL, path: String) -> String {
        let components = source.pathComponents
        if let index = components.lastIndex(where: { $0 == "static" || $0 == "content" }) {
            return components[index...].joined(separator: "/")
        }
        return path
    }

    // MARK: Resizing, through the cache

    /// `NAME.jpg` at 480 pixels → `NAME-480w.jpg`, beside it.
    static func copyPath(of path: String, width: Int) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let dot = path[slash...].lastIndex(of: ".") ?? path.endIndex
        return String(path[..<dot]) + "-\(width)w" + String(path[dot...])
    }

    private static func resize(_ path: String, source: URL, widths: [Int], taken: Set<String>, cache: String,
                               recipe: String) throws(FileError) -> (Image, made: Int, reused: Int) {
        let shownPath = shown(source, path: path)
        let resizer = ImageResizer()
        let format = ImageResizer.Format(fileName: path)!
        let size: (width: Int, height: Int)
        do { size = try resizer.size(ofImageAt: source.path) } catch {
            throw FileError("cannot read this image to resize it: \(error.description)", at: SourceLocation(file: shownPath),
                            hint: "fix or replace the image, or leave [images] widths out of pico.toml")
        }
        guard size.width.multipliedReportingOverflow(by: size.height).partialValue <= Self.maxPixels, size.width > 0 else {
            throw FileError("is \(size.width)×\(size.height) pixels; pico resizes images of up to \(Self.maxPixels / 1_000_000) megapixels",
                            at: SourceLocation(file: shownPath), hint: "make the image smaller before adding it to the site")
        }
        var image = Image(path: path, width: size.width)
        let wanted = widths.filter { $0 < size.width && !taken.contains(copyPath(of: path, width: $0)) }
        guard !wanted.isEmpty else { return (image, 0, 0) }
        let digest: String
        do { digest = try SHA256Hex.ofFile(at: source).hex } catch {
            throw FileError("cannot read this image: \(error.localizedDescription)", at: SourceLocation(file: shownPath))
        }
        var made = 0, reused = 0
        for width in wanted {
            let copy = copyPath(of: path, width: width)
            let name = SHA256Hex.of(Data("\(digest)\n\(width)\n\(recipe)".utf8)) + (format == .png ? ".png" : ".jpg")
            let file = cache + "/" + name
            if Self.isRegularFile(file) {
                reused += 1
            } else {
                let resized: ImageResizer.Resized
                do { resized = try resizer.resize(imageAt: source.path, toWidth: width, as: format) } catch {
                    throw FileError("cannot resize this image to \(width) pixels: \(error.description)", at: SourceLocation(file: shownPath),
                                    hint: "fix or replace the image, or leave [images] widths out of pico.toml")
                }
                do { try Self.writeAtomically(resized.data, to: file, in: cache) } catch {
                    throw FileError("cannot write the resized image to \(cacheFolder)/\(name): \(error)", at: SourceLocation(file: shownPath))
                }
                made += 1
            }
            image.copies.append(Copy(width: width, path: copy, cacheName: name))
        }
        return (image, made, reused)
    }

    /// Decompression bombs stop here: 100 megapixels is 400 MB of RGBA.
    static let maxPixels = 100_000_000

    /// `SITE/.pico-cache/images`, made when missing; a link anywhere on the way is refused, so a
    /// site cannot make the build write outside its own folder.
    static func cacheFolder(in siteFolder: URL) throws(FileError) -> String {
        var path = siteFolder.path
        for part in cacheFolder.split(separator: "/") {
            path += "/" + part
            var info = stat()
            if lstat(path, &info) != 0 {
                guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
                    throw FileError("cannot make the cache folder for resized images: \(String(cString: strerror(errno)))",
                                    at: SourceLocation(file: cacheFolder), hint: "make the site folder writable, or leave [images] widths out of pico.toml")
                }
                guard lstat(path, &info) == 0 else { continue }
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw FileError("is not a folder (a link or a file); pico keeps its resized images there",
                                at: SourceLocation(file: String(path.dropFirst(siteFolder.path.count + 1))), hint: "remove it; pico makes the folder")
            }
        }
        return path
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// Written under a unique name, then renamed: a build that stops half way, or two builds at
    /// once, never leave a half-written file under the final name.
    private static func writeAtomically(_ data: Data, to path: String, in folder: String) throws {
        let temporary = folder + "/.partial-\(getpid())-\(UUID().uuidString)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        do {
            try data.withUnsafeBytes { try FileTree.writeAll($0, to: descriptor, path: temporary) }
            close(descriptor)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    // MARK: srcset

    /// `html` with `srcset` and `sizes` added to each `<img src="...">` (cmark's form: the
    /// attribute double-quoted) whose file has copies and that has no `srcset` yet. The copies are
    /// named as the `src` names the original (same folder, same escaping), so the link rewriting
    /// and checking that follows treats them like any other URL of the page.
    func withSourceSets(_ html: String, pageURL: String, sizes: String) -> String {
        guard !images.isEmpty, html.contains("<img ") else { return html }
        var out = ""
        var rest = html[...]
        while let tag = rest.range(of: "<img ") {
            out += rest[..<tag.upperBound]
            rest = rest[tag.upperBound...]
            guard let end = rest.firstIndex(of: ">") else { break }
            let attributes = rest[..<end]
            guard !attributes.contains("srcset="), let srcStart = attributes.range(of: "src=\""),
                  srcStart.lowerBound == attributes.startIndex || attributes[attributes.index(before: srcStart.lowerBound)] == " ",
                  let srcEnd = attributes[srcStart.upperBound...].firstIndex(of: "\"") else { continue }
            let src = String(attributes[srcStart.upperBound..<srcEnd])
            guard let path = Self.bundlePath(of: src, pageURL: pageURL), let image = images[path] else { continue }
            let folder = src.lastIndex(of: "/").map { String(src[...$0]) } ?? ""
            var candidates: [String] = image.copies.map { copy in
                folder + Self.copyPath(of: String(src.dropFirst(folder.count)), width: copy.width) + " \(copy.width)w"
            }
            candidates.append("\(src) \(image.width)w")
            out += attributes[..<attributes.index(after: srcEnd)]
            out += " srcset=\"\(candidates.joined(separator: ", "))\" sizes=\"\(Self.escapedAttribute(sizes))\""
            rest = rest[attributes.index(after: srcEnd)...]
        }
        out += rest
        return out
    }

    /// The bundle path a page's `src` names: relative to the page's folder, or from the top
    /// with a leading `/`; nil for another site's URL, a query, a fragment, or a name a
    /// `srcset` cannot hold (a comma or a space).
    static func bundlePath(of src: String, pageURL: String) -> String? {
        guard !src.isEmpty, !src.contains(":"), !src.hasPrefix("//"), !src.contains("?"), !src.contains("#"),
              !src.contains(","), !src.contains(" "), let decoded = src.removingPercentEncoding else { return nil }
        var parts: [Substring] = decoded.hasPrefix("/") ? [] : pageURL.split(separator: "/")
        for part in decoded.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if parts.popLast() == nil { return nil }
            default: parts.append(part)
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    private static func escapedAttribute(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;")
    }
}
