@testable import PicoBuild
import Testing

/// `word_count` counts runs of bytes other than space, tab, CR and LF; PageParser reads eight
/// bytes at a time, so the texts here cross and end at every offset of an eight-byte step, and
/// are checked against Swift's own split on the same four separators.
@Suite struct WordCountTests {
    static func splitCount(_ text: String) -> Int {
        text.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }).count
    }

    @Test func everyLengthAndSeparatorAgreesWithSplit() {
        // Multi-byte letters, NUL and bytes with the high bit set are word bytes like any other.
        let pieces = [" ", "\t", "\r\n", "\n", "a", "bc", "é", "日本", "\u{0}", "x y", "  ", "\u{A0}", "!"]
        var generator = SplitMix(seed: 11)
        for _ in 0..<4000 {
            var text = ""
            for _ in 0..<Int(generator.next() % 24) { text += pieces[Int(generator.next() % UInt64(pieces.count))] }
            #expect(PageParser.wordCount(text) == Self.splitCount(text), "\(Array(text.utf8))")
        }
    }

    @Test func wordsAcrossTheEightByteSteps() {
        #expect(PageParser.wordCount("") == 0)
        #expect(PageParser.wordCount("        ") == 0)
        #expect(PageParser.wordCount("abcdefgh") == 1)
        #expect(PageParser.wordCount("abcdefghijklmnop") == 1)
        #expect(PageParser.wordCount("abcdefg hijklmnop") == 2)
        #expect(PageParser.wordCount("abcdefgh ijklmnop") == 2)
        #expect(PageParser.wordCount("       a       b") == 2)
        let long = String(repeating: "lorem ipsum\tdolor  sit\r\namet, ", count: 1000)
        #expect(PageParser.wordCount(long) == 5000)
    }
}

/// A small fixed-seed generator, so a failure shows the same texts again.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
