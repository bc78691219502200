import PicoCore

/// A bundle's `404.html` is answered by static hosts (GitHub Pages, Netlify, nginx `error_page`)
/// at whatever path was missed, `/a/b/c/missing` or `/sub/a/b/missing`, while its links were
/// made relative to its own folder. Before the service worker runs (a first visit) nothing says
/// where the bundle's root is, so the page finds it itself: a script at the very start of its
/// head looks for `pico-manifest.json` in each folder of the address, deepest first, and puts
/// a `<base>` there before any link is read.
///
/// It does nothing on file://, nor when a `<base>` precedes it: `pico serve` and the worker
/// add one when they answer a miss. The probes are synchronous (the `<base>` must be in place
/// before the parser reaches the first link), which Chromium notes as a deprecation; they are
/// HEAD requests, one per folder level at most, and only on a page that is an error anyway.
enum NotFoundPage {
    /// A page named `404.html` (any case), in any folder. Asked for every page: bytes only.
    static func applies(to path: String) -> Bool {
        let name = Array("/404.html".utf8)
        let tail = path.utf8.suffix(name.count).map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        return tail == name || (path.utf8.count == name.count - 1 && tail == Array(name.dropFirst()))
    }

    /// `pageFolder`: the page's folder in the bundle (encoded segments); `baseFromPage`: the
    /// page's own `<base>` after it was made portable (relative to its folder), or "".
    static func rootFinder(pageFolder: [String], baseFromPage: String) -> String {
        let folder = pageFolder.map { $0 + "/" }.joined()
        let literal = { (text: String) in
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "<", with: "\\u003c") + "\""
        }
        return "<script>(function(){var l=location,p=l.pathname,i=p.lastIndexOf(\"/\");"
            + "if(!/^https?:$/.test(l.protocol)||document.querySelector(\"base[href]\"))return;"
            + "for(;i>=0;i=i>0?p.lastIndexOf(\"/\",i-1):-1){var d=p.slice(0,i+1),x=new XMLHttpRequest();"
            + "try{x.open(\"HEAD\",d+\"\(BundleManifest.fileName)\",false);x.send();}catch(e){continue}"
            + "if(x.status===200){var b=document.createElement(\"base\");"
            + "b.href=new URL(\(literal(baseFromPage)),l.origin+d+\(literal(folder))).href;"
            + "document.currentScript.after(b);return}}})()</script>"
    }
}
