import Foundation

/// Words as the index and the browser both see them: runs of Unicode letters, marks and numbers
/// (`/[\p{L}\p{M}\p{N}]+/u`), each NFKC-normalised and lowercased, kept when 1…40 scalars long.
/// ASCII, most of any page, is read and lowercased byte by byte with no String made; a run with
/// anything else goes through Foundation's normalisation.
public enum Tokenizer {
    public static let maxScalars = 40

    /// Every word of `text`, in order.
    public static func words(_ text: String) -> [String] {
        var out: [String] = []
        forEachWord(in: text) { out.append($0) }
        return out
    }

    /// Calls `body` with each word of `text`, in order.
    public static func forEachWord(in text: String, _ body: (String) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            forEachWord(in: bytes) { word, _ in body(String(decoding: word, as: UTF8.self)) }
        }
    }

    /// FNV-1a's start and step: words are short, and the tables it files them in are private
    /// to the process. `hash(_:)` of a word equals the hash `forEachWord` hands out with it.
    static let hashStart: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always) static func hashStep(_ hash: UInt64, _ byte: UInt8) -> UInt64 { (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash = hashStart
        for byte in bytes { hash = hashStep(hash, byte) }
        return hash
    }

    /// Calls `body` with the UTF-8 of each word of `bytes` (valid UTF-8), lowercased and
    /// normalised, and its `hash`; the buffer is only valid during the call. A run of ASCII
    /// letters and digits (nearly every word of a page) is lowercased and hashed in one pass
    /// over its bytes; a run with any other scalar is read scalar by scalar and normalised.
    static func forEachWord(in bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, UInt64) -> Void) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxScalars) { lowered in
            let scratch = lowered.baseAddress!
            var index = 0
            while index < count {
                let byte = base[index]
                if byte < 0x80 {
                    guard isASCIIWord(byte) else { index += 1; continue }
                    var end = index, hash = hashStart
                    while end < count {
                        let next = base[end]
                        guard next < 0x80, isASCIIWord(next) else { break }
                        let lower = next >= 0x41 && next <= 0x5A ? next | 0x20 : next
                        if end - index < maxScalars { scratch[end - index] = lower }
                        hash = hashStep(hash, lower)
                        end += 1
                    }
                    if end == count || base[end] < 0x80 {
                        if end - index <= maxScalars { body(UnsafeBufferPointer(start: scratch, count: end - index), hash) }
                        index = end
                    } else {
                        index = unicodeWord(bytes, from: index, body)
                    }
                    continue
                }
                let (scalar, length) = decode(bytes, at: index)
                if let scalar, isWordScalar(scalar) {
                    index = unicodeWord(bytes, from: index, body)
                } else {
                    index += length
                }
            }
        }
    }

    /// The word starting at `start` that holds a scalar other than ASCII: handed to `body`
    /// NFKC-normalised and lowercased when it is 1…40 scalars long before and after. Returns
    /// where it ends.
    private static func unicodeWord(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int,
                                    _ body: (UnsafeBufferPointer<UInt8>, UInt64) -> Void) -> Int {
        var end = start, scalars = 0
        while end < bytes.count {
            let byte = bytes[end]
            if byte < 0x80 {
                guard isASCIIWord(byte) else { break }
                end += 1
            } else {
                let (scalar, length) = decode(bytes, at: end)
                guard let scalar, isWordScalar(scalar) else { break }
                end = min(bytes.count, end + length)
            }
            scalars += 1
        }
        guard scalars <= maxScalars else { return end }
        let run = UnsafeBufferPointer(rebasing: bytes[start..<end])
        var word = String(decoding: run, as: UTF8.self).precomposedStringWithCompatibilityMapping.lowercased()
        if word.unicodeScalars.count <= maxScalars { word.withUTF8 { body($0, hash($0)) } }
        return end
    }

    /// The scalar whose UTF-8 starts at `index` (nil: not a scalar), and its length in bytes.
    @inline(__always) private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (Unicode.Scalar?, Int) {
        let byte = bytes[index]
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
        var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<length where index + k < bytes.count { value = value << 6 | UInt32(bytes[index + k] & 0x3F) }
        return (Unicode.Scalar(value), length)
    }

    @inline(__always) static func isASCIIWord(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
    }

    /// Letters (L*), marks (M*) and numbers (N*).
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber: true
        default: false
        }
    }
}
