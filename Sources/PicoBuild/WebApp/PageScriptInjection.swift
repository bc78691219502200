import Foundation
import PicoCore

/// Where and how every page gets `<script src="ROOT/pico-app.js" defer></script>`: the one
/// change pico makes to a page besides its URLs.
enum PageScriptInjection {
    /// The script tag before the page's `</head>` (after `<head>` or the doctype when it has
    /// none). Every other byte stays as it was. `rewritten` is the page after its URLs were
    /// made portable.
    static func insert(into rewritten: PortableURLRewriter.Result, at path: String) -> Data {
        let html = rewritten.bytes
        let bytes = [UInt8](html)
        if bytes.withUnsafeBufferPointer({ page in
            Array(WebAppFiles.pageScriptPath.utf8).withUnsafeBufferPointer { ByteSearch.firstOffset(of: $0, in: page) }
        }) != nil { return html }
        let depth = path.split(separator: "/").count - 1
        let root = depth == 0 ? "./" : String(repeating: "../", count: depth)
        return HTMLHead.inserting("<script src=\"\(root)\(WebAppFiles.pageScriptPath)\" defer></script>",
                                  at: HTMLHead.endOffset(in: bytes), into: bytes)
    }
}
