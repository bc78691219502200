#if canImport(Glibc)
import Glibc
#endif

/// Substring search over UTF-8 bytes with libc's `memchr` and `memcmp` (Swift's Glibc module
/// has no `memmem`). The generic `firstRange(of:)` of the standard library took almost half of
/// a 10,000-page build.
public enum ByteSearch {
    /// Byte offset of the first `needle` in `text`, or nil.
    public static func firstOffset(of needle: String, in text: String) -> Int? {
        var text = text
        var needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { pattern in firstOffset(of: pattern, in: haystack) }
        }
    }

    public static func firstOffset(of needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
        guard needle.count > 0, haystack.count >= needle.count,
              let h = haystack.baseAddress, let n = needle.baseAddress else { return nil }
        let last = haystack.count - needle.count
        var offset = 0
        while offset <= last {
            guard let hit = memchr(h + offset, Int32(n.pointee), last - offset + 1) else { return nil }
            let at = UnsafeRawPointer(hit) - UnsafeRawPointer(h)
            // The last byte first: a common first byte ("p" in HTML) then rarely costs a memcmp.
            if h[at + needle.count - 1] == n[needle.count - 1], memcmp(h + at, n, needle.count) == 0 { return at }
            offset = at + 1
        }
        return nil
    }
}

extension String {
    /// The text before the first `marker`, or nil when the marker is absent.
    public func prefix(beforeFirst marker: String) -> String? {
        guard let offset = ByteSearch.firstOffset(of: marker, in: self) else { return nil }
        return String(decoding: utf8.prefix(offset), as: UTF8.self)
    }
}
