import Foundation
import PicoCore
import Testing

/// Positions in a text from one line index: exact columns in characters whatever order the
/// offsets come in, and a bounded window with the caret where the column is.
@Suite struct TextPositionTests {
    @Test func columnsCountCharactersOnEveryLineInAnyOrder() {
        // "é" is two bytes, "👍🏽" eight; a byte that is not UTF-8 is one character.
        let bytes = Array("ab\r\néé x👍🏽 y\n".utf8) + [0xFF] + Array(" z".utf8)
        let text = IndexedText(bytes)
        let x = 4 + 4 + 1, y = x + 1 + 9, z = bytes.count - 1
        let positions = text.positions(of: [z, y, 0, x, x])
        #expect(positions.map(\.line) == [3, 2, 1, 2, 2])
        #expect(positions.map(\.column) == [3, 7, 1, 4, 4])
        #expect(positions[2].excerpt == "ab", "the line's CR is not shown")
        #expect(positions[1].excerpt == "éé x👍🏽 y" && positions[1].excerptCaret == 7)
        #expect(positions[0].excerpt == "\u{FFFD} z")
    }

    @Test func aLongLineIsShownAsAWindowAroundTheColumn() {
        let line = String(repeating: "a", count: 5000) + "\t<b>" + String(repeating: "ü", count: 5000)
        let offset = 5001
        let position = IndexedText(Array(line.utf8)).position(of: offset)
        #expect(position.column == 5002)
        #expect(position.excerpt.count == 1 + 60 + 60 + 1)
        #expect(position.excerpt.hasPrefix("…a") && position.excerpt.hasSuffix("ü…"))
        let caret = position.excerpt.index(position.excerpt.startIndex, offsetBy: position.excerptCaret - 1)
        #expect(position.excerpt[caret...].hasPrefix("<b>üü"))
        #expect(!position.excerpt.contains("\t"), "a tab is one space, so the caret stays under its column")

        let error = FileError("broken", file: "a.html", position: position)
        let lines = error.description.components(separatedBy: "\n")
        #expect(lines[1] == "    1 | " + position.excerpt)
        #expect(lines[2] == "      | " + String(repeating: " ", count: position.excerptCaret - 1) + "^")
    }

    /// Errors made with the whole line (front matter, templates) are windowed when printed.
    @Test func aWholeLineGivenWithTheErrorIsWindowedToo() {
        let line = String(repeating: "x", count: 1_000_000)
        let error = FileError("bad", at: SourceLocation(file: "t.mustache", line: 7, column: 500_000), sourceLine: line)
        #expect(error.description.utf8.count < 400)
        #expect(error.description.contains("…"))
    }

    @Test func pastTwentyOfAKindTheRestAreCounted() {
        let links = (0..<25).map { n -> FileError in
            var error = FileError("broken link \(n)", at: SourceLocation(file: "a.html", line: n + 1, column: 1))
            error.kind = .brokenLink
            return error
        }
        let other = FileError("something else", at: SourceLocation(file: "b.html", line: 1, column: 1))
        let report = FileErrors(links + [other]).report(whereTheRestIs: "see list.txt")
        #expect(report.contains("broken link 19") && !report.contains("broken link 20"))
        #expect(report.contains("something else"))
        #expect(report.contains("… and 5 more broken links (see list.txt)"))
        #expect(report.hasSuffix("26 errors"))
        #expect(FileErrors(links).fullList.contains("broken link 24"))
    }
}
