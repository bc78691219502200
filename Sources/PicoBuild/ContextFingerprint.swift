import Foundation

/// What a template can read of the context it renders, as one number: a render reads a
/// dictionary's values only by names its templates write (`TemplateSet.namesRead`), so two
/// contexts that agree on the values under those names (and on every list's length and order)
/// render to the same bytes with the same template texts. A dictionary's size counts only for
/// templates that apply `count` or `empty` (swift-mustache's transforms of a dictionary; a
/// dictionary opened as a section is its context whatever it holds); one that applies
/// `enumerated` or `sorted` can read any key, and every key counts.
/// `pico serve --watch` compares a file's fingerprint before and after pages came or went to
/// know which files to render again (IncrementalBuild).
///
/// Lists are shared between contexts (every page's `site.pages` is the same array), so a list's
/// fingerprint is worked out once per storage and kept, with the list itself, so that its
/// storage cannot be freed and reused by another list while this value lives.
struct ContextFingerprints {
    /// The keys read; nil: every key of every dictionary.
    let names: Set<String>?
    let countsDictionaries: Bool
    private var lists: [UnsafeRawPointer: (list: [[String: Any]], digest: Int)] = [:]

    /// `read`: what the template reads (nil: anything).
    init(reading read: TemplateNames?) {
        let wholeDictionaries = read.map { !$0.transforms.isDisjoint(with: ["enumerated", "sorted"]) } ?? true
        names = wholeDictionaries ? nil : read?.keys
        countsDictionaries = wholeDictionaries || !read!.transforms.isDisjoint(with: ["count", "empty"])
    }

    mutating func of(_ context: [String: Any]) -> Int {
        digest(context)
    }

    private mutating func digest(_ value: Any) -> Int {
        var hasher = Hasher()
        // Exact types first: a cast of `Any` to another array or dictionary type copies it.
        let type = type(of: value)
        if type == [String: Any].self {
            let dictionary = value as! [String: Any]
            // Keys in any order: the entries' digests are summed.
            var sum = 0
            for (key, entry) in dictionary where names?.contains(key) ?? true {
                var pair = Hasher()
                pair.combine(key)
                pair.combine(digest(entry))
                sum &+= pair.finalize()
            }
            hasher.combine(1 as UInt8)
            if countsDictionaries { hasher.combine(dictionary.count) }
            hasher.combine(sum)
        } else if type == [[String: Any]].self {
            return list(value as! [[String: Any]])
        } else if type == String.self {
            hasher.combine(3 as UInt8)
            hasher.combine(value as! String)
        } else if type == Int.self {
            hasher.combine(4 as UInt8)
            hasher.combine(value as! Int)
        } else if type == Bool.self {
            hasher.combine(5 as UInt8)
            hasher.combine(value as! Bool)
        } else if let array = value as? [Any] {
            hasher.combine(6 as UInt8)
            hasher.combine(array.count)
            for element in array { hasher.combine(digest(element)) }
        } else if let dictionary = value as? [String: Any] {
            return digest(dictionary)
        } else {
            // Numbers of other types, dates, …: as they print.
            hasher.combine(7 as UInt8)
            hasher.combine(String(describing: type))
            hasher.combine(String(describing: value))
        }
        return hasher.finalize()
    }

    private mutating func list(_ list: [[String: Any]]) -> Int {
        let storage = list.count > 1 ? list.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) } : nil
        if let storage, let known = lists[storage] { return known.digest }
        var hasher = Hasher()
        hasher.combine(2 as UInt8)
        hasher.combine(list.count)
        for element in list { hasher.combine(digest(element)) }
        let digest = hasher.finalize()
        if let storage { lists[storage] = (list, digest) }
        return digest
    }
}
