import Foundation

/// The tags of a Mustache template, read the way swift-mustache reads them, for the questions
/// pico asks of a template's text without rendering it: which templates it includes
/// (`TemplateCycles`), whether it shows other pages' text (`TemplateReads`), and which names of
/// the context it can look up (`TemplateTags.names`). Follows set-delimiter tags
/// (`{{=<% %>=}}`), so nothing hides behind them.
struct TemplateTag: Equatable {
    /// `#`, `^`, `/`, `>`, `<`, `$`, `!`, `=`, `&`, `{`, `%`; nil for a variable (`{{name}}`).
    var sigil: Character?
    /// What follows the sigil, trimmed (`page.title`, `partials/nav`, `<% %>=`).
    var name: String
    /// The line the tag starts on (1-based).
    var line: Int
}

enum TemplateTags {
    /// Every tag, in order; `complete` is false when the text ends inside a tag.
    static func scan(_ text: String) -> (tags: [TemplateTag], complete: Bool) {
        let bytes = Array(text.utf8)
        var open = Array("{{".utf8), close = Array("}}".utf8)
        var tags: [TemplateTag] = []
        var line = 1
        var i = 0
        func matches(_ delimiter: [UInt8], at index: Int) -> Bool {
            index + delimiter.count <= bytes.count && bytes[index..<index + delimiter.count].elementsEqual(delimiter)
        }
        while i < bytes.count {
            if bytes[i] == 0x0A { line += 1 }
            guard matches(open, at: i) else { i += 1; continue }
            var end = i + open.count
            while end < bytes.count, !matches(close, at: end) { end += 1 }
            guard end < bytes.count else { return (tags, false) }
            var inner = String(decoding: bytes[(i + open.count)..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            var next = end + close.count
            if inner.hasPrefix("{"), next < bytes.count, bytes[next] == UInt8(ascii: "}") { next += 1 } // {{{raw}}}
            let tagLine = line
            line += bytes[(i + 1)..<min(next, bytes.count)].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
            i = next
            var sigil: Character?
            if let first = inner.first, "#^/>!<$=&{%".contains(first) {
                sigil = first
                inner.removeFirst()
            }
            let name = inner.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "}")))
            tags.append(TemplateTag(sigil: sigil, name: name, line: tagLine))
            if sigil == "=" {
                let parts = name.dropLast(name.hasSuffix("=") ? 1 : 0).split(separator: " ", omittingEmptySubsequences: true)
                if parts.count == 2 { open = Array(parts[0].utf8); close = Array(parts[1].utf8) }
            }
        }
        return (tags, true)
    }

    /// The names `text` can look up in the context it renders, and the transforms it applies
    /// (TemplateNames). Nil when it can read a value whole, whatever its keys: the implicit
    /// iterator (`{{.}}`, `{{#.}}`, `upper(.)`) renders the current value as it is.
    static func names(in text: String) -> TemplateNames? {
        var names = TemplateNames()
        for tag in scan(text).tags {
            switch tag.sigil {
            case nil, "#", "^", "/", "&", "{": break
            default: continue // partials, parents and blocks name templates; comments and delimiters nothing
            }
            let bytes = Array(tag.name.utf8)
            func isNamePart(_ byte: UInt8) -> Bool { !(byte == 0x2E || byte == 0x28 || byte == 0x29 || byte == 0x2C || byte == 0x20 || byte == 0x09) }
            var start = 0
            for index in 0...bytes.count {
                if index < bytes.count, isNamePart(bytes[index]) { continue }
                if index < bytes.count, bytes[index] == 0x2E {
                    // A dot between two parts of a name joins them; any other is the current value.
                    guard index > start, index + 1 < bytes.count, isNamePart(bytes[index + 1]) else { return nil }
                }
                if index > start {
                    let part = String(decoding: bytes[start..<index], as: UTF8.self)
                    // `name(…)` is a transform applied to what the parentheses name.
                    if index < bytes.count, bytes[index] == 0x28 { names.transforms.insert(part) } else { names.keys.insert(part) }
                }
                start = index + 1
            }
        }
        return names
    }
}

/// What a template reads of its context: the keys it names (every part of a variable's or a
/// section's name: `site.pages` names `site` and `pages`) and the transforms it applies
/// (`count(pages)`: `count`).
struct TemplateNames: Hashable {
    var keys = Set<String>()
    var transforms = Set<String>()

    mutating func formUnion(_ other: TemplateNames) {
        keys.formUnion(other.keys)
        transforms.formUnion(other.transforms)
    }
}
