import Foundation
@testable import PicoSearch
import Testing

/// The fast paths of a page's text extraction and counting, held against the slow, obvious
/// answer: the words and hashes the tokenizer hands out, the text buffer's collapsing, the tag
/// sets, and the postings' base64.
@Suite struct TermCountingTests {
    /// Every word the tokenizer hands out comes with the hash of its own bytes, whether it was
    /// read on the ASCII path or the Unicode one (and a word that starts ASCII and goes on
    /// with an accent is one word, not two).
    @Test func eachWordComesWithTheHashOfItsBytes() {
        let text = "Plain ASCII words, x86é naïve CAFÉ 東京タワー 2024 " + String(repeating: "z", count: 40) + " ẞig"
        var words: [String] = []
        var text8 = text
        text8.withUTF8 { bytes in
            Tokenizer.forEachWord(in: bytes) { word, hash in
                #expect(hash == Tokenizer.hash(word), "\(String(decoding: word, as: UTF8.self))")
                words.append(String(decoding: word, as: UTF8.self))
            }
        }
        #expect(words == ["plain", "ascii", "words", "x86é", "naïve", "café", "東京タワー", "2024",
                          String(repeating: "z", count: 40), "ßig"])
        #expect(words == Tokenizer.words(text))
    }

    /// Whitespace of any kind and length, references and no-break spaces between words become
    /// one space; a single space inside a stretch is copied as it is.
    @Test func textIsCollapsedToSingleSpaces() {
        func collapsed(_ runs: [String]) -> String {
            var buffer = TextBuffer()
            for run in runs {
                var run = run
                run.withUTF8 { buffer.append($0) }
                buffer.space()
            }
            return buffer.string()
        }
        #expect(collapsed(["  one two\t\tthree\n four\u{0C}five\r\nsix "]) == "one two three four five six")
        #expect(collapsed(["a &amp; b&nbsp;c\u{A0}d &#x41;&#66; e\u{0B}f"]) == "a & b c d AB e\u{0B}f")
        #expect(collapsed(["x", "y z", " ", "w"]) == "x y z w")
        // © is C2 A9 in UTF-8: the lead byte of a no-break space, but not one.
        #expect(collapsed(["é è©x  © \u{A0} ©"]) == "é è©x © ©")
    }

    @Test func tagSetsHoldExactlyTheirNames() {
        let names = ["nav", "header", "footer", "script", "style", "template", "noscript", "svg", "a", "b", "i"]
        let set = VisibleText.TagSet(names.map { VisibleText.tag($0) })
        for name in names { #expect(set.contains(VisibleText.tag(name)), "\(name)") }
        for name in ["p", "div", "headers", "navs", "ab", "templat", "h1", ""] {
            #expect(!set.contains(VisibleText.tag(name)), "\(name)")
        }
        #expect(!set.contains(0))
    }

    /// The postings' base64 is Foundation's, byte for byte, at every length's remainder.
    @Test func base64IsFoundations() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var out: [UInt8] = [0x22]
            Base64.append(bytes, to: &out)
            #expect(String(decoding: out.dropFirst(), as: UTF8.self) == Data(bytes).base64EncodedString(), "\(bytes)")
        }
    }
}
