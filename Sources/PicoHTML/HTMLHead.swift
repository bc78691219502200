import Foundation

/// Where to add something to a page's `<head>` without touching any other byte: the build
/// adds the page script, `pico serve` a `<base>` or its reload script. Tags are matched
/// ignoring ASCII case; `<header>` is not `<head>`.
public enum HTMLHead {
    /// Just after the `<head …>` start tag, else after the doctype, else 0.
    public static func startOffset(in page: [UInt8]) -> Int {
        if let open = tagOffset("head", in: page), let end = page[open...].firstIndex(of: UInt8(ascii: ">")) { return end + 1 }
        if let doctype = tagOffset("!doctype", in: page), let end = page[doctype...].firstIndex(of: UInt8(ascii: ">")) { return end + 1 }
        return 0
    }

    /// Just before `</head>`, else where `startOffset` points.
    public static func endOffset(in page: [UInt8]) -> Int {
        tagOffset("/head", in: page) ?? startOffset(in: page)
    }

    /// `page` with `text` inserted at `offset`.
    public static func inserting(_ text: String, at offset: Int, into page: [UInt8]) -> Data {
        var out = Data(capacity: page.count + text.utf8.count)
        out.append(contentsOf: page[..<offset])
        out.append(contentsOf: Array(text.utf8))
        out.append(contentsOf: page[offset...])
        return out
    }

    /// The offset of the first `<name` followed by `>`, white space or `/` (any ASCII case).
    static func tagOffset(_ name: String, in page: [UInt8]) -> Int? {
        let needle = [UInt8(ascii: "<")] + Array(name.utf8)
        guard page.count > needle.count else { return nil }
        var index = 0
        while let open = page[index...].firstIndex(of: UInt8(ascii: "<")), open + needle.count <= page.count {
            var matched = true
            for offset in 1..<needle.count {
                let byte = page[open + offset]
                if (byte >= 65 && byte <= 90 ? byte | 0x20 : byte) != needle[offset] { matched = false; break }
            }
            if matched {
                let after = open + needle.count
                if after == page.count || [UInt8(ascii: ">"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"),
                                           UInt8(ascii: "\r"), UInt8(ascii: "/")].contains(page[after]) { return open }
            }
            index = open + 1
        }
        return nil
    }
}
