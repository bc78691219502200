import Foundation
import PicoCore
import PicoHTML

/// Makes every internal URL of a page or style sheet relative to the file that holds it and
/// file://-safe: root-absolute links become relative, a link to a folder points at its index
/// (`index.html`, `index.htm` or `index.xhtml`: file:// has no directory index), and a link to a
/// file the bundle does not hold is reported (and, when root-absolute, still made relative).
/// A page's URLs resolve against its first `<base href>`, which is made relative too when it is
/// root-absolute. Only the bytes of URLs that change are replaced, with one exception: a
/// `404.html` gets a small script at the start of its head that finds the bundle's root when a
/// host serves it at a deeper path (see `NotFoundPage`).
public struct PortableURLRewriter: Sendable {
    /// Every file the bundle will hold, by decoded path.
    public let files: Set<String>

    public init(files: Set<String>) { self.files = files }

    /// The names a folder's index may have, in the order they are looked for.
    public static let indexNames = ["index.html", "index.htm", "index.xhtml"]

    public struct BrokenLink: Sendable, Equatable {
        public var reference: URLReference
        public var reason: String
    }

    public struct Result: Sendable {
        public var bytes: Data
        public var broken: [BrokenLink]
        public var changed: Int
        /// For pages: where additions go and how they reach the bundle's root.
        public var page: PageLayout?
        /// For pages: every id the page holds (what a fragment can point at), and its links that
        /// point at a part of a page of the bundle, to be checked once all pages are read (AnchorCheck).
        public var ids: [String] = []
        public var fragmentLinks: [FragmentLink] = []
        /// The decoded bundle paths the document's URLs lead to (as often as they are written):
        /// what its bytes depend on of the bundle's list of files.
        public var targets: [String] = []
    }

    /// A link to a part of a page of the bundle (`guide/#install`, `#usage`).
    public struct FragmentLink: Sendable, Equatable {
        public var reference: URLReference
        /// The page it points at: a decoded bundle path.
        public var target: String
        /// What follows the `#`, as written.
        public var fragment: String
    }

    /// What a page addition (the page script) needs to know, found in the same parse as the links.
    public struct PageLayout: Sendable, Equatable {
        /// Offset in `Result.bytes` where the head ends as the parser sees it (and after the
        /// page's `<base>`, so that a relative URL put there resolves against it).
        public var headEnd: Int
        /// The path from where the page's relative URLs resolve (its `<base>`, else its folder)
        /// to the bundle root, e.g. `../`; nil when they resolve outside the bundle (an
        /// external base), and an addition must then be found from the page's own address.
        public var rootFromBase: String?
        /// The path from the page's folder to the bundle root (`./`, `../`, ...).
        public var rootFromPage: String
        /// An XHTML page (`.xhtml`): what is inserted must be well-formed XML.
        public var isXHTML: Bool
    }

    public enum DocumentKind: Sendable { case html, css }

    public static func kind(of path: String) -> DocumentKind? {
        let lower = path.lowercased()
        if lower.hasSuffix(".html") || lower.hasSuffix(".htm") || lower.hasSuffix(".xhtml") { return .html }
        if lower.hasSuffix(".css") { return .css }
        return nil
    }

    /// Rewrites the document at bundle path `path`.
    public func rewrite(_ data: Data, at path: String, as kind: DocumentKind) -> Result {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var broken: [BrokenLink] = []
            var edits: [(Range<Int>, [UInt8])] = []
            var references: [URLReference]
            let folder = Self.folderSegments(of: path)
            var referenceFolder: [String]? = folder
            var additionsAt: Int?
            var insertions: [(Int, [UInt8])] = []
            var ids: [String] = []
            var fragmentLinks: [FragmentLink] = []
            var targets: [String] = []
            // `#x` names a part of this page unless a `<base>` sends it elsewhere.
            var fragmentsStayInPage = kind == .html
            switch kind {
            case .html:
                let scan = HTMLReferenceScanner.scan(bytes)
                references = scan.references
                ids = scan.ids
                if scan.positionsLost {
                    broken.append(BrokenLink(reference: URLReference(value: "", range: 0..<0, syntax: .htmlAttribute(quote: .none),
                                                                     context: "meta charset"),
                        reason: "pico cannot find its place in this page (libxml2 lost its position after a <meta charset> "
                              + "it could not switch to), so the links after that point are not checked; save the page as UTF-8"))
                }
                var baseFromPage = ""
                if let base = scan.base {
                    switch resolveBase(base.reference.value, from: folder) {
                    case .document: break
                    case .external: referenceFolder = nil; fragmentsStayInPage = false
                    case .inside(let segments, let rewritten):
                        referenceFolder = segments
                        fragmentsStayInPage = false
                        baseFromPage = rewritten ?? base.reference.value
                        if let rewritten { edits.append((base.reference.range, base.reference.encoded(rewritten))) }
                    case .broken(let reason):
                        referenceFolder = nil
                        broken.append(BrokenLink(reference: base.reference, reason: reason))
                    }
                }
                // A page without a head element (libxml2 implies none): after the doctype.
                let afterDoctype = { HTMLHead.startOffset(in: Array(UnsafeBufferPointer(rebasing: bytes[0..<min(bytes.count, 1 << 16)]))) }
                additionsAt = max(scan.headEnd ?? scan.headStart ?? afterDoctype(), scan.base?.tagEnd ?? 0)
                if NotFoundPage.applies(to: path), referenceFolder != nil {
                    let at = scan.headStart ?? afterDoctype()
                    insertions.append((at, Array(NotFoundPage.rootFinder(pageFolder: folder, baseFromPage: baseFromPage).utf8)))
                }
            case .css:
                references = CSSReferenceScanner.references(in: bytes)
            }
            for reference in references {
                guard let from = referenceFolder else { break }
                var target: String?
                defer {
                    if kind == .html, let fragment = Self.checkableFragment(of: reference.value) {
                        if reference.value.utf8.first == UInt8(ascii: "#") { target = fragmentsStayInPage ? path : nil }
                        if let target, Self.kind(of: target) == .html {
                            fragmentLinks.append(FragmentLink(reference: reference, target: target, fragment: fragment))
                        }
                    }
                }
                let resolution = resolve(reference.value, from: from, target: &target)
                if let target { targets.append(target) }
                switch resolution {
                case .leave: continue
                case .broken(let reason, let relative):
                    broken.append(BrokenLink(reference: reference, reason: reason))
                    if let relative { edits.append((reference.range, reference.encoded(relative))) }
                case .rewrite(let newValue): edits.append((reference.range, reference.encoded(newValue)))
                }
            }
            let layout = additionsAt.map { offset in
                PageLayout(headEnd: offset, rootFromBase: referenceFolder.map { Self.relativeRoot(from: $0) },
                           rootFromPage: Self.relativeRoot(from: folder),
                           isXHTML: path.lowercased().hasSuffix(".xhtml"))
            }
            let changed = edits.count
            edits += insertions.map { ($0.0..<$0.0, $0.1) }
            guard !edits.isEmpty else {
                return Result(bytes: data, broken: broken, changed: 0, page: layout, ids: ids, fragmentLinks: fragmentLinks, targets: targets)
            }
            edits.sort { $0.0.lowerBound < $1.0.lowerBound }
            var out = [UInt8]()
            out.reserveCapacity(bytes.count + edits.count * 12)
            var position = 0
            var shift = 0
            for (range, replacement) in edits where range.lowerBound >= position {
                out += bytes[position..<range.lowerBound]
                out += replacement
                position = range.upperBound
                // An edit that ends at or before the additions' place moves it.
                if let at = additionsAt, range.upperBound <= at { shift += replacement.count - range.count }
            }
            out += bytes[position...]
            var movedLayout = layout
            movedLayout?.headEnd += shift
            return Result(bytes: Data(out), broken: broken, changed: changed, page: movedLayout, ids: ids, fragmentLinks: fragmentLinks, targets: targets)
        }
    }

    /// `../../` from folder `["a", "b"]` to the top; `./` at the top.
    static func relativeRoot(from folder: [String]) -> String {
        folder.isEmpty ? "./" : String(repeating: "../", count: folder.count)
    }

    enum BaseResolution: Equatable {
        /// No base URL of its own (`<base href="">`, or only a fragment or query).
        case document
        /// Another origin or scheme: the page's relative URLs leave the bundle.
        case external
        /// A folder of the bundle; `rewritten` when the written base must change to be portable.
        case inside(folder: [String], rewritten: String?)
        case broken(String)
    }

    /// Where a `<base href>` written in a page in `folder` points. Only its folder matters (URLs
    /// resolve against the base minus its last segment); a root-absolute base becomes relative.
    func resolveBase(_ value: String, from folder: [String]) -> BaseResolution {
        var bytes = Array(value.utf8)
        let splitAt = bytes.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.count
        for k in 0..<splitAt where bytes[k] == UInt8(ascii: "\\") { bytes[k] = UInt8(ascii: "/") }
        let slash = UInt8(ascii: "/")
        if splitAt == 0 { return .document }
        if (bytes[0] == slash && bytes.count > 1 && bytes[1] == slash) || Self.hasScheme(bytes) { return .external }
        let rootAbsolute = bytes[0] == slash
        var segments = rootAbsolute ? [] : folder
        var lastName = ""
        let written = bytes[..<splitAt].split(separator: slash, omittingEmptySubsequences: false)
        for (index, segment) in written.enumerated() {
            if segment.count == 1, segment.first == UInt8(ascii: ".") { continue }
            if segment.count == 2, segment.allSatisfy({ $0 == UInt8(ascii: ".") }) {
                guard !segments.isEmpty else { return .broken("the base goes above the top of the bundle") }
                segments.removeLast()
            } else if !segment.isEmpty {
                if index == written.count - 1 { lastName = String(decoding: segment, as: UTF8.self) }
                else { segments.append(String(decoding: segment, as: UTF8.self)) }
            }
        }
        guard rootAbsolute else { return .inside(folder: segments, rewritten: nil) }
        var relative = Self.relativePath(from: folder, to: segments + [""])
        if relative.isEmpty { relative = "./" }
        return .inside(folder: segments, rewritten: relative + lastName + String(decoding: bytes[splitAt...], as: UTF8.self))
    }

    enum Resolution: Equatable {
        case leave
        case rewrite(String)
        /// `relative`: a root-absolute link still made relative, for `--allow-broken-links`.
        case broken(String, relative: String?)
    }

    /// What to do with one URL found in a file whose folder is `folder` (encoded segments).
    /// Works on UTF-8 bytes: it runs for every link of every page.
    func resolve(_ value: String, from folder: [String]) -> Resolution {
        var target: String?
        return resolve(value, from: folder, target: &target)
    }

    /// The same, and `target` set to the decoded bundle path the URL leads to when it is a file
    /// of the bundle.
    func resolve(_ value: String, from folder: [String], target targetPath: inout String?) -> Resolution {
        var bytes = Array(value.utf8)
        guard let first = bytes.first else { return .leave }
        let slash = UInt8(ascii: "/")
        if first == UInt8(ascii: "#") || first == UInt8(ascii: "?") { return .leave }
        let splitAt = bytes.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.count
        // Browsers read `\` as `/` in the path of http(s) and file URLs (`img\a.png`, `\\host`).
        if bytes[..<splitAt].contains(UInt8(ascii: "\\")) {
            for k in 0..<splitAt where bytes[k] == UInt8(ascii: "\\") { bytes[k] = slash }
        }
        if (bytes[0] == slash && bytes.count > 1 && bytes[1] == slash) || Self.hasScheme(bytes) { return .leave }
        if splitAt == 0 { return .leave }
        let pathPart = bytes[..<splitAt]
        let rootAbsolute = bytes[0] == slash
        var segments = rootAbsolute ? [] : folder
        let written = pathPart.split(separator: slash, omittingEmptySubsequences: false)
        let last = written.last ?? []
        let pointsAtFolder = last.isEmpty || last.elementsEqual(".".utf8) || last.elementsEqual("..".utf8)
        for segment in written where !segment.isEmpty {
            if segment.count == 1, segment.first == UInt8(ascii: ".") { continue }
            if segment.count == 2, segment.allSatisfy({ $0 == UInt8(ascii: ".") }) {
                guard !segments.isEmpty else { return .broken("it goes above the top of the bundle", relative: nil) }
                segments.removeLast()
            } else {
                segments.append(String(decoding: segment, as: UTF8.self))
            }
        }
        let suffix = String(decoding: bytes[splitAt...], as: UTF8.self)
        // A broken root-absolute link is still made relative, so that it points at the same
        // place from any depth and host should the file appear there.
        func broken(_ reason: String) -> Resolution {
            guard rootAbsolute else { return .broken(reason, relative: nil) }
            var relative = Self.relativePath(from: folder, to: pointsAtFolder ? segments + [""] : segments)
            if relative.isEmpty { relative = "./" }
            return .broken(reason, relative: relative + suffix)
        }
        guard let decoded = Self.decode(segments) else { return broken("it is not a valid percent-encoded path") }
        let decodedPath = decoded.joined(separator: "/")

        var target = segments
        if pointsAtFolder || segments.isEmpty {
            guard let index = index(of: decodedPath) else {
                return broken("the folder /\(decodedPath.isEmpty ? "" : decodedPath + "/") has no index.html")
            }
            target.append(index)
            targetPath = decodedPath.isEmpty ? index : decodedPath + "/" + index
        } else if files.contains(decodedPath) {
            targetPath = decodedPath
            // A plain relative link to an existing file is already portable: keep its bytes.
            if !rootAbsolute { return .leave }
        } else if let index = index(of: decodedPath) {
            target.append(index)
            targetPath = decodedPath + "/" + index
        } else {
            return broken("there is no file /\(decodedPath) in the bundle")
        }
        let newValue = Self.relativePath(from: folder, to: target) + suffix
        return newValue == value ? .leave : .rewrite(newValue)
    }

    /// What follows the `#` of `value` when it names an element a build can look for: not empty,
    /// not `top` (which a browser scrolls to without an element), not a text fragment (`:~:`).
    static func checkableFragment(of value: String) -> String? {
        guard let hash = value.utf8.firstIndex(of: UInt8(ascii: "#")) else { return nil }
        let fragment = value[value.utf8.index(after: hash)...]
        guard !fragment.isEmpty, !(fragment.utf8.count == 3 && fragment.lowercased() == "top"), !fragment.hasPrefix(":~:") else { return nil }
        return String(fragment)
    }

    /// The index file of folder `path` (decoded, "" for the top), if it has one.
    func index(of path: String) -> String? {
        Self.indexNames.first { files.contains(path.isEmpty ? $0 : path + "/" + $0) }
    }

    /// `a/b/index.html` → `["a", "b"]`, percent-encoded the way a URL would write them.
    static func folderSegments(of path: String) -> [String] {
        path.split(separator: "/").dropLast().map { encodeSegment(String($0)) }
    }

    static func relativePath(from folder: [String], to target: [String]) -> String {
        var common = 0
        while common < folder.count, common < target.count - 1, folder[common] == target[common] { common += 1 }
        let ups = Array(repeating: "..", count: folder.count - common)
        return (ups + target[common...]).joined(separator: "/")
    }

    static func hasScheme(_ bytes: [UInt8]) -> Bool {
        var sawLetter = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): sawLetter = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
                if !sawLetter { return false }
            case UInt8(ascii: ":"): return sawLetter
            default: return false
            }
        }
        return false
    }

    static func decode(_ segments: [String]) -> [String]? {
        // Most paths have no escape at all: nothing to decode, no new array.
        guard segments.contains(where: { $0.utf8.contains(UInt8(ascii: "%")) }) else { return segments }
        var out: [String] = []
        out.reserveCapacity(segments.count)
        for segment in segments {
            if segment.utf8.contains(UInt8(ascii: "%")) {
                guard let decoded = segment.removingPercentEncoding else { return nil }
                out.append(decoded)
            } else {
                out.append(segment)
            }
        }
        return out
    }

    static func encodeSegment(_ segment: String) -> String { TextFormats.urlSegment(segment) }
}
