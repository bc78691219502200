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

    /// The names `text` can look up in the context it renders, as paths (`site.pages` is `pages`
    /// in `site`), and the transforms it applies (TemplateNames). Nil when it can read a value
    /// whole, whatever its keys: the implicit iterator (`{{.}}`, `{{#.}}`, `uppercased(.)`)
    /// renders the current value as it is; so does anything not read here.
    static func names(in text: String) -> TemplateNames? {
        var names = TemplateNames()
        for tag in scan(text).tags {
            let opens: Bool
            switch tag.sigil {
            case nil, "&", "{": opens = false
            case "#", "^": opens = true
            default: continue // closing tags repeat a name; partials, parents and blocks name templates
            }
            // `uppercased(page.title)`: transforms around a path.
            var name = Substring(tag.name)
            var transformed = false
            while let open = name.firstIndex(of: "("), name.last == ")" {
                let transform = name[..<open].trimmingCharacters(in: .whitespaces)
                guard !transform.isEmpty, transform.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
                names.transforms.insert(transform)
                transformed = true
                name = name[name.index(after: open)..<name.index(before: name.endIndex)]
            }
            name = Substring(name.trimmingCharacters(in: .whitespaces))
            // `first()`: a transform of the place in the list being rendered, which the lists'
            // order and length (always compared) decide.
            if name.isEmpty, transformed { continue }
            // `.name` is looked up in the current value only: a path like any other here.
            if name.first == ".", name.count > 1 { name = name.dropFirst() }
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && !$0.contains(where: { "(), \t".contains($0) }) }) else { return nil }
            names.paths.insert(parts.map(String.init), opened: opens && !transformed, shown: !opens || transformed)
        }
        return names
    }
}

/// What a template reads of its context: the paths it names (`site.pages`, `title`), as a tree,
/// and the transforms it applies (`count(pages)`: `count`).
struct TemplateNames: Equatable {
    var paths = NameTree()
    var transforms = Set<String>()

    mutating func formUnion(_ other: TemplateNames) {
        paths.formUnion(other.paths)
        transforms.formUnion(other.transforms)
    }
}

/// Paths of names: the root's children are the names a template looks up in any value it is
/// rendering with (the context, and each value a section opens: Mustache climbs from one to
/// the next until a name is found); deeper ones, the names after a dot.
struct NameTree: Equatable {
    var children: [String: NameTree] = [:]
    /// Opened as a section (`{{#name}}`): the value (each element of a list) is rendered with.
    var opened = false
    /// Rendered as it is (`{{name}}`) or through a transform: read whole.
    var shown = false

    mutating func insert(_ path: [String], opened: Bool, shown: Bool) {
        guard let first = path.first else {
            self.opened = self.opened || opened
            self.shown = self.shown || shown
            return
        }
        children[first, default: NameTree()].insert(Array(path.dropFirst()), opened: opened, shown: shown)
    }

    mutating func formUnion(_ other: NameTree) {
        opened = opened || other.opened
        shown = shown || other.shown
        for (name, tree) in other.children { children[name, default: NameTree()].formUnion(tree) }
    }
}
