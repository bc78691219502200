#if canImport(Glibc)
import Glibc
#endif

/// libarchive converts entry names through the C library's current locale, and in the "C"
/// locale it cannot handle non-ASCII names at all. Bundle paths are UTF-8, so archive work
/// runs with a UTF-8 locale set for the calling thread only (`uselocale`), leaving the
/// process's locale alone.
enum UTF8Locale {
    private struct Handle: @unchecked Sendable { let locale: locale_t? }
    private static let handle = Handle(locale: newlocale(LC_CTYPE_MASK, "C.UTF-8", nil))

    static func run<R>(_ body: () throws -> R) rethrows -> R {
        guard let utf8 = handle.locale else { return try body() }
        let previous = uselocale(utf8)
        defer { uselocale(previous) }
        return try body()
    }
}
