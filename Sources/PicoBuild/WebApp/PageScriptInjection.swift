import Foundation
import PicoCore
import PicoHTML

/// Where and how every page gets `<script src="ROOT/pico-app.js" defer></script>`: the one
/// change pico makes to a page besides its URLs.
enum PageScriptInjection {
    /// The build's page script stage: a page whose links were rewritten gets the tag; any
    /// other file is left as it is.
    static func add(to content: inout FileContent, at path: String) {
        guard case .rewritten(let result) = content, PortableURLRewriter.kind(of: path) == .html else { return }
        content = .bytes(insert(into: result, at: path))
    }

    /// The script tag where the head ends as the parser sees it (found by the rewriter's parse,
    /// so a `</head>` inside a script or a comment is never taken for it), after the page's
    /// `<base>`, with a `src` that resolves to the bundle root against that base. Every other
    /// byte stays as it was. `rewritten` is the page after its URLs were made portable.
    static func insert(into rewritten: PortableURLRewriter.Result, at path: String) -> Data {
        let html = rewritten.bytes
        if html.withUnsafeBytes({ raw in
            Array(WebAppFiles.pageScriptPath.utf8).withUnsafeBufferPointer { ByteSearch.firstOffset(of: $0, in: raw.bindMemory(to: UInt8.self)) }
        }) != nil { return html }
        let depth = path.split(separator: "/").count - 1
        let layout = rewritten.page ?? .init(headEnd: HTMLHead.endOffset(in: [UInt8](html)), rootFromBase: String(repeating: "../", count: depth),
                                             rootFromPage: depth == 0 ? "./" : String(repeating: "../", count: depth),
                                             isXHTML: false)
        // The page is copied once, with the tag spliced in (this runs for every page).
        let tag = tag(for: layout)
        let at = html.startIndex + max(0, min(layout.headEnd, html.count))
        var out = Data(capacity: html.count + tag.utf8.count)
        out.append(html[html.startIndex..<at])
        out.append(contentsOf: tag.utf8)
        out.append(html[at...])
        return out
    }

    static func tag(for layout: PortableURLRewriter.PageLayout) -> String {
        // XHTML has no attribute without a value.
        let deferred = layout.isXHTML ? "defer=\"defer\"" : "defer"
        if let root = layout.rootFromBase {
            return "<script src=\"\(root)\(WebAppFiles.pageScriptPath)\" \(deferred)></script>"
        }
        // The page's base is elsewhere (another origin): the script is found from the page's
        // own address. The page script reads its root from its own absolute src. No `<` or `&`
        // in the code, so that it is well-formed XHTML too.
        let src = (layout.rootFromPage + WebAppFiles.pageScriptPath).replacingOccurrences(of: "\"", with: "%22")
        return "<script>(function(){var s=document.createElement(\"script\");"
            + "s.src=new URL(\"\(src)\",location.href).href;document.currentScript.after(s)})()</script>"
    }
}
