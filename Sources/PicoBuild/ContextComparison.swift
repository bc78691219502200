import Foundation

/// Whether two contexts render to the same bytes with the same template texts, told from what
/// the template can read of them (`TemplateSet.namesRead`): a value rendered with (the context,
/// and each value a section opens) is read by the names the template looks up (Mustache climbs
/// from one such value to the next until a name is found), a value reached by a dotted name
/// (`site` in `site.title`) only by the names after the dot, and a value shown as it is
/// (`{{name}}`, or through a transform) whole. Lists always count with their length and order.
/// A dictionary's size counts only for templates that apply `count` or `empty`
/// (swift-mustache's transforms of a dictionary; a dictionary opened as a section is rendered
/// with whatever it holds); one that applies `enumerated` or `sorted` can read any key, and
/// every key counts. `pico serve --watch` compares each file's context before and after pages
/// came or went to know which files to render again (IncrementalBuild).
///
/// Values are compared, not hashed: a page's text is the same String in both (a page not read
/// again), which `==` sees at once. Lists are shared between contexts (every page's `site.pages`
/// is one array), so two lists are compared once per pair of storages and the answer kept, with
/// the lists, so that their storage cannot be freed and reused while this value lives.
struct ContextComparison {
    /// The names looked up in a value rendered with; nil: every key of every dictionary.
    private let frame: ReadNames?
    private let countsDictionaries: Bool
    private struct Lists: Hashable {
        let a: UnsafeRawPointer, b: UnsafeRawPointer
        let names: ObjectIdentifier?
    }
    private var lists: [Lists: (a: [[String: Any]], b: [[String: Any]], same: Bool)] = [:]

    /// `read`: what the template reads (nil: anything).
    init(reading read: TemplateNames?) {
        let whole = read.map { !$0.transforms.isDisjoint(with: ["enumerated", "sorted"]) } ?? true
        frame = whole ? nil : ReadNames(read!.paths)
        countsDictionaries = whole || !read!.transforms.isDisjoint(with: ["count", "empty"])
    }

    /// Whether the template renders contexts `a` and `b` alike.
    mutating func same(_ a: [String: Any], _ b: [String: Any]) -> Bool {
        sameDictionaries(a, b, reading: frame)
    }

    /// `names`: how the value is reached (nil: read whole).
    private mutating func same(_ a: Any, _ b: Any, reading names: ReadNames?) -> Bool {
        // Exact types: a cast of `Any` to another array or dictionary type would copy it.
        let type = type(of: a)
        guard type == Swift.type(of: b) else { return false }
        if type == String.self { return a as! String == b as! String }
        if type == [String: Any].self { return sameValues(a as! [String: Any], b as! [String: Any], reading: names) }
        if type == [[String: Any]].self { return sameLists(a as! [[String: Any]], b as! [[String: Any]], reading: names) }
        if type == Int.self { return a as! Int == b as! Int }
        if type == Bool.self { return a as! Bool == b as! Bool }
        if let x = a as? [Any], let y = b as? [Any] {
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1, reading: names) }
        }
        if let x = a as? [String: Any], let y = b as? [String: Any] { return sameValues(x, y, reading: names) }
        // Numbers of other types, dates, …: as they print.
        return String(describing: a) == String(describing: b)
    }

    /// A dictionary reached by `names`: by the names after it, and when a section opens it, by
    /// every name looked up.
    private mutating func sameValues(_ a: [String: Any], _ b: [String: Any], reading names: ReadNames?) -> Bool {
        guard let names, !names.shown else { return sameDictionaries(a, b, reading: nil) }
        guard sameDictionaries(a, b, reading: names) else { return false }
        return !names.opened || sameDictionaries(a, b, reading: frame)
    }

    private mutating func sameDictionaries(_ a: [String: Any], _ b: [String: Any], reading names: ReadNames?) -> Bool {
        if countsDictionaries, a.count != b.count { return false }
        guard let names else {
            guard a.count == b.count else { return false }
            for (key, value) in a {
                guard let other = b[key], same(value, other, reading: nil) else { return false }
            }
            return true
        }
        for (key, child) in names.children {
            switch (a[key], b[key]) {
            case (nil, nil): continue
            case let (x?, y?): guard same(x, y, reading: child) else { return false }
            default: return false
            }
        }
        return true
    }

    private mutating func sameLists(_ a: [[String: Any]], _ b: [[String: Any]], reading names: ReadNames?) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 1 else { return a.isEmpty || sameValues(a[0], b[0], reading: names) }
        let x = a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }, y = b.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
        if x == y { return true }
        let key = Lists(a: x, b: y, names: names.map(ObjectIdentifier.init))
        if let known = lists[key] { return known.same }
        let answer = zip(a, b).allSatisfy { sameValues($0, $1, reading: names) }
        lists[key] = (a, b, answer)
        return answer
    }
}

/// A `NameTree` made once into objects, whose identities key the answers kept for lists.
private final class ReadNames {
    let children: [String: ReadNames]
    let opened: Bool
    let shown: Bool

    init(_ tree: NameTree) {
        children = tree.children.mapValues(ReadNames.init)
        opened = tree.opened
        shown = tree.shown
    }
}
