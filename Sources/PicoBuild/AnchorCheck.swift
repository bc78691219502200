import Foundation
import PicoCore

/// What one page gives the anchor check (the ids it holds and its links to parts of pages), and where its links lead.
struct PageAnchors: Sendable {
    var ids: [String]
    var links: [PortableURLRewriter.FragmentLink]
    /// The bundle paths its links lead to (`pico serve --watch` keeps a page whose links still
    /// lead where they did after pages came or went).
    var targets: [String]

    /// From a page's rewritten content; nil for anything else.
    init?(_ content: FileContent) {
        guard case .rewritten(let result) = content, result.page != nil else { return nil }
        ids = result.ids
        links = result.fragmentLinks
        targets = result.targets
    }
}

/// Links to a part of a page of the bundle (`guide/#install`, `#usage`) must find an element
/// with that id (or an `<a name>`) in the page, like links to files must find the file. A page's
/// ids are collected in the same parse that finds its links (PortableURLRewriter), so the check
/// runs once all files are made, and costs one hash lookup per link: no page is read twice.
///
/// Only pico sites are checked. A finished site is bundled as it is, and its pages often make
/// the targets of their fragments with scripts (tabs, `#/route` of a single-page app) that no
/// build sees; refusing them would refuse sites that work.
struct AnchorCheck: Sendable {
    /// Places the broken links in their sources, as for links to missing files.
    let linkRewriting: LinkRewriting

    /// `found[i]` is what `planned[i]` gave (nil for a file that is not a page or was not made).
    func brokenLinks(in planned: [PlannedFile], found: [PageAnchors?]) -> [FileError] {
        // Most links to a part of a page are a page's own (`#heading`): those are checked
        // against the page's ids as they are; sets only for the other pages some link points at.
        var targets = Set<String>()
        for (file, anchors) in zip(planned, found) {
            for link in anchors?.links ?? [] where link.target != file.path { targets.insert(link.target) }
        }
        var ids: [String: Set<String>] = [:]
        if !targets.isEmpty {
            for (file, anchors) in zip(planned, found) where targets.contains(file.path) {
                ids[file.path] = Set(anchors?.ids ?? [])
            }
        }
        var errors: [FileError] = []
        for (file, anchors) in zip(planned, found) {
            guard let anchors, !anchors.links.isEmpty else { continue }
            var broken: [PortableURLRewriter.BrokenLink] = []
            // A page of many ids gets a set once; a few are searched as they are.
            var own: Set<String>? = nil
            for link in anchors.links {
                if link.target == file.path {
                    if own == nil, anchors.ids.count > 16 { own = Set(anchors.ids) }
                    if Self.names(link.fragment, in: { [own] in own?.contains($0) ?? anchors.ids.contains($0) }) { continue }
                } else {
                    // A page that was not made has its own error already.
                    guard let held = ids[link.target], !Self.names(link.fragment, in: held) else { continue }
                }
                broken.append(PortableURLRewriter.BrokenLink(
                    reference: link.reference,
                    reason: "/\(link.target) has no element with id=\"\(LinkRewriting.bounded(link.fragment))\""))
            }
            if !broken.isEmpty { errors += linkRewriting.locate(broken, in: file, original: nil) }
        }
        return errors
    }

    /// HTML's rule: the fragment as written, else percent-decoded.
    static func names(_ fragment: String, in ids: Set<String>) -> Bool {
        names(fragment, in: { ids.contains($0) })
    }

    static func names(_ fragment: String, in holds: (String) -> Bool) -> Bool {
        if holds(fragment) { return true }
        guard fragment.utf8.contains(UInt8(ascii: "%")), let decoded = fragment.removingPercentEncoding else { return false }
        return holds(decoded)
    }
}
