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
            forEachWord(in: bytes) { word in body(String(decoding: word, as: UTF8.self)) }
        }
    }

    /// Calls `body` with the UTF-8 of each word of `bytes` (valid UTF-8), lowercased and
    /// normalised; the buffer is only valid during the call.
    static func forEachWord(in bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxScalars) { lowered in
            var start = -1
            var ascii = true
            var scalars = 0
            var index = 0
            func finish(_ end: Int) {
                defer { start = -1 }
                guard start >= 0, scalars <= maxScalars else { return }
                if ascii {
                    // At most 40 bytes: lowercased into the scratch buffer.
                    let count = end - start
                    for i in 0..<count {
                        let byte = bytes[start + i]
                        lowered[i] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                    }
                    body(UnsafeBufferPointer(rebasing: lowered[0..<count]))
                } else {
                    let run = UnsafeBufferPointer(rebasing: bytes[start..<end])
                    var word = String(decoding: run, as: UTF8.self).precomposedStringWithCompatibilityMapping.lowercased()
                    if word.unicodeScalars.count <= maxScalars { word.withUTF8 { body($0) } }
                }
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 0x80 {
                    let isWord = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                    if isWord {
                        if start < 0 { start = index; ascii = true; scalars = 0 }
                        scalars += 1
                    } else if start >= 0 {
                        finish(index)
                    }
                    index += 1
                    continue
                }
                // A multi-byte scalar.
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for k in 1..<length where index + k < bytes.count { value = value << 6 | UInt32(bytes[index + k] & 0x3F) }
                if let scalar = Unicode.Scalar(value), isWordScalar(scalar) {
                    if start < 0 { start = index; scalars = 0 }
                    ascii = false
                    scalars += 1
                } else if start >= 0 {
                    finish(index)
                }
                index += length
            }
            if start >= 0 { finish(bytes.count) }
        }
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
