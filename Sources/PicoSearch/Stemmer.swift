import CStemmer
import Synchronization

/// One Snowball stemmer (libstemmer) for one language.
/// An `sb_stemmer` keeps its working buffer inside it, so an instance is used by one thread at
/// a time: `Stemmers` hands each out to one caller and takes it back.
public final class Stemmer: @unchecked Sendable {
    public let language: String
    private let stemmer: OpaquePointer

    /// The stemmer for `language` (an ISO 639 code such as "en", "fr", "de", or a Snowball name
    /// such as "english"), or nil when libstemmer has none for it.
    public init?(language: String) {
        guard !language.isEmpty, language.utf8.allSatisfy({ $0 < 0x80 }),
              let made = sb_stemmer_new(language.lowercased(), "UTF_8") else { return nil }
        self.language = language
        stemmer = made
    }

    deinit { sb_stemmer_delete(stemmer) }

    /// The stem of a lowercased word.
    public func stem(_ word: String) -> String {
        var word = word
        return word.withUTF8 { stem(utf8: $0) }
    }

    /// The stem of a lowercased word's UTF-8 (`TermCounter` keeps the stems it has made).
    func stem(utf8 word: UnsafeBufferPointer<UInt8>) -> String {
        guard let out = sb_stemmer_stem(stemmer, word.baseAddress, Int32(word.count)) else { return String(decoding: word, as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(sb_stemmer_length(stemmer))), as: UTF8.self)
    }

    /// The languages libstemmer knows (its Snowball names).
    public static var algorithms: [String] {
        var names: [String] = []
        guard var list = sb_stemmer_list() else { return [] }
        while let name = list.pointee {
            names.append(String(cString: name))
            list += 1
        }
        return names
    }
}

/// Stemmers shared by the threads of a build: `with` lends one for the language (made on first
/// need, kept for the next caller), so no two threads ever use one `sb_stemmer` at once and a
/// build makes about one per core and language rather than one per page. `counting` lends a
/// `TermCounter` the same way (with its word table, kept from page to page).
public final class Stemmers: Sendable {
    private let idle = Mutex<[String: [Stemmer]]>([:])
    private let idleCounters = Mutex<[String: [TermCounter]]>([:])
    /// Languages libstemmer was asked for and does not have.
    private let missing = Mutex<Set<String>>([])

    public init() {}

    /// `body` with the stemmer for `language`, or with nil when libstemmer has none.
    public func with<R>(_ language: String, _ body: (Stemmer?) -> R) -> R {
        guard let lent = idle.withLock({ $0[language]?.popLast() }) ?? newStemmer(language) else { return body(nil) }
        defer { idle.withLock { $0[language, default: []].append(lent) } }
        return body(lent)
    }

    /// `body` with a term counter for `language` (stemming when libstemmer has the language).
    func counting<R>(_ language: String, _ body: (TermCounter) -> R) -> R {
        let lent = idleCounters.withLock { $0[language]?.popLast() } ?? TermCounter(stemmer: newStemmer(language))
        defer { idleCounters.withLock { $0[language, default: []].append(lent) } }
        return body(lent)
    }

    private func newStemmer(_ language: String) -> Stemmer? {
        if missing.withLock({ $0.contains(language) }) { return nil }
        guard let made = Stemmer(language: language) else {
            _ = missing.withLock { $0.insert(language) }
            return nil
        }
        return made
    }
}
