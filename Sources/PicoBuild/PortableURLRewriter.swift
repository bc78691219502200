import Foundation
import PicoCore
import PicoHTML

/// Makes every internal URL of a page or style sheet relative to the file that holds it and
/// file://-safe: root-absolute links become relative, a link to a folder points at its
/// `index.html` (file:// has no directory index), and a link to a file the bundle does not
/// hold is reported. Only the bytes of URLs that change are replaced.
public struct PortableURLRewriter: Sendable {
    /// Every file the bundle will hold, by decoded path.
    public let files: Set<String>

    public init(files: Set<String>) { self.files = files }

    public struct BrokenLink: Sendable, Equatable {
        public var reference: URLReference
        public var reason: String
    }

    public struct Result: Sendable {
        public var bytes: Data
        public var broken: [BrokenLink]
        public var changed: Int
    }

    public enum DocumentKind: Sendable { case html, css }

    public static func kind(of path: String) -> DocumentKind? {
        let lower = path.lowercased()
        if lower.hasSuffix(".html") || lower.hasSuffix(".htm") { return .html }
        if lower.hasSuffix(".css") { return .css }
        return nil
    }

    /// Rewrites the document at bundle path `path`.
    public func rewrite(_ data: Data, at path: String, as kind: DocumentKind) -> Result {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var broken: [BrokenLink] = []
            let references: [URLReference]
            switch kind {
            case .html:
                let scan = HTMLReferenceScanner.scan(bytes)
                references = scan.references
                if scan.positionsLost {
                    broken.append(BrokenLink(reference: URLReference(value: "", range: 0..<0, syntax: .htmlAttribute(quote: .none),
                                                                     context: "meta charset"),
                        reason: "pico cannot find its place in this page (libxml2 lost its position after a <meta charset> "
                              + "it could not switch to), so the links after that point are not checked; save the page as UTF-8"))
                }
            case .css:
                references = CSSReferenceScanner.references(in: bytes)
            }
            var edits: [(Range<Int>, [UInt8])] = []
            let folder = Self.folderSegments(of: path)
            for reference in references {
                switch resolve(reference.value, from: folder) {
                case .leave: continue
                case .broken(let reason): broken.append(BrokenLink(reference: reference, reason: reason))
                case .rewrite(let newValue): edits.append((reference.range, reference.encoded(newValue)))
                }
            }
            guard !edits.isEmpty else { return Result(bytes: data, broken: broken, changed: 0) }
            edits.sort { $0.0.lowerBound < $1.0.lowerBound }
            var out = [UInt8]()
            out.reserveCapacity(bytes.count + edits.count * 12)
            var position = 0
            for (range, replacement) in edits where range.lowerBound >= position {
                out += bytes[position..<range.lowerBound]
                out += replacement
                position = range.upperBound
            }
            out += bytes[position...]
            return Result(bytes: Data(out), broken: broken, changed: edits.count)
        }
    }

    enum Resolution: Equatable {
        case leave
        case rewrite(String)
        case broken(String)
    }

    /// What to do with one URL found in a file whose folder is `folder` (encoded segments).
    /// Works on UTF-8 bytes: it runs for every link of every page.
    func resolve(_ value: String, from folder: [String]) -> Resolution {
        let bytes = Array(value.utf8)
        guard let first = bytes.first else { return .leave }
        let slash = UInt8(ascii: "/")
        if first == UInt8(ascii: "#") || first == UInt8(ascii: "?") { return .leave }
        if (first == slash && bytes.count > 1 && bytes[1] == slash) || Self.hasScheme(bytes) { return .leave }

        let splitAt = bytes.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.count
        if splitAt == 0 { return .leave }
        let pathPart = bytes[..<splitAt]
        let rootAbsolute = first == slash
        var segments = rootAbsolute ? [] : folder
        let written = pathPart.split(separator: slash, omittingEmptySubsequences: false)
        let last = written.last ?? []
        let pointsAtFolder = last.isEmpty || last.elementsEqual(".".utf8) || last.elementsEqual("..".utf8)
        for segment in written where !segment.isEmpty {
            if segment.count == 1, segment.first == UInt8(ascii: ".") { continue }
            if segment.count == 2, segment.allSatisfy({ $0 == UInt8(ascii: ".") }) {
                guard !segments.isEmpty else { return .broken("it goes above the top of the bundle") }
                segments.removeLast()
            } else {
                segments.append(String(decoding: segment, as: UTF8.self))
            }
        }
        guard let decoded = Self.decode(segments) else { return .broken("it is not a valid percent-encoded path") }
        let decodedPath = decoded.joined(separator: "/")

        var target = segments
        if pointsAtFolder || segments.isEmpty {
            target.append("index.html")
            guard files.contains(decodedPath.isEmpty ? "index.html" : decodedPath + "/index.html") else {
                return .broken("the folder /\(decodedPath.isEmpty ? "" : decodedPath + "/") has no index.html")
            }
        } else if files.contains(decodedPath) {
            // A plain relative link to an existing file is already portable: keep its bytes.
            if !rootAbsolute { return .leave }
        } else if files.contains(decodedPath + "/index.html") {
            target.append("index.html")
        } else {
            return .broken("there is no file /\(decodedPath) in the bundle")
        }
        let newValue = Self.relativePath(from: folder, to: target) + String(decoding: bytes[splitAt...], as: UTF8.self)
        return newValue == value ? .leave : .rewrite(newValue)
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
