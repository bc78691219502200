import Foundation
import PicoTOML
import Testing

@Suite struct TOMLParserTests {
    func failure(_ text: String, maxDepth: Int = 64) -> TOMLError? {
        do {
            _ = try TOMLDocument.parse(text, maxDepth: maxDepth)
            return nil
        } catch {
            return error
        }
    }

    // MARK: errors, with their exact place

    @Test func theFuzzFindingIsAnErrorAtTheAmpersand() {
        for text in ["[&", "[&\n", "+++\n[&\n+++".split(separator: "\n")[1] + "\n"] {
            let error = failure(String(text))
            #expect(error?.position == TOMLPosition(line: 1, column: 2))
            #expect(error?.message == "expected a key (letters, digits, - and _ or a quoted string), saw '&'")
            #expect(error?.kind == .syntax)
        }
    }

    @Test func syntaxErrorsPointAtTheirLineAndColumn() {
        let cases: [(String, Int, Int, String)] = [
            ("title = \"x\"\nlanguage = en\n", 2, 12, "saw 'en'"),
            ("a = 1\nb = 2 c\n", 2, 7, "expected the end of the line after the value, saw 'c'"),
            ("[t]\nkey\n", 2, 4, "expected '=' after the key key, saw the end of the line"),
            ("a = \"open\n", 1, 10, "not closed before the end of the line"),
            ("a = \"\\x41\"\n", 1, 6, "unknown escape"),
            ("a = \"\\uD800\"\n", 1, 6, "is not a Unicode character"),
            ("a = 01\n", 1, 5, "leading zeros"),
            ("a = 1__0\n", 1, 6, "underscore"),
            ("a = 9223372036854775808\n", 1, 5, "does not fit in 64 bits"),
            ("a = 0x8000000000000000\n", 1, 5, "does not fit in 64 bits"),
            ("a = -9223372036854775809\n", 1, 5, "does not fit in 64 bits"),
            ("a = 1979-02-30\n", 1, 5, "is not a date"),
            ("a = 07:60:00\n", 1, 5, "is not HH:MM:SS"),
            ("a = {b = 1,\n c = 2}\n", 1, 12, "one line"),
            ("a = {b = 1,}\n", 1, 12, "cannot end with a comma"),
            ("a = [1 2]\n", 1, 8, "expected ',' or ']' in the array, saw '2'"),
            ("a = [1,\n2,\n", 3, 1, "the array opened at line 1, column 5 is never closed"),
            ("a = 1\rb = 2\n", 1, 6, "carriage return"),
            ("a = \"\u{01}\"\n", 1, 6, "saw U+0001"),
            ("# ok\n# bell \u{07}\n", 2, 8, "comment cannot hold control characters, saw U+0007"),
            ("\"é\" = \"日本\" x\n", 1, 12, "saw 'x'"),
            ("a = \"\"\"x\"\"\"\"\"\"\n", 1, 14, "too many quotes"),
            ("s = '''\nline\n", 3, 1, "the string opened at line 1, column 5 is never closed"),
            ("[a.]\n", 1, 4, "expected a key"),
            ("[[a]\n", 1, 4, "expected ']]' to close the table header, saw ']'"),
        ]
        for (text, line, column, words) in cases {
            let error = failure(text)
            #expect(error?.position == TOMLPosition(line: line, column: column), "\(text.debugDescription): \(String(describing: error))")
            #expect(error?.message.contains(words) == true, "\(text.debugDescription): \(String(describing: error))")
        }
    }

    @Test func redefinitionsNameBothPlaces() {
        let cases: [(String, Int, Int, String)] = [
            ("a = 1\na = 2\n", 2, 1, "the key a is defined twice (first at line 1, column 1)"),
            ("x = 1\n[t]\nb.c = 1\nb.c = 2\n", 4, 3, "the key b.c is defined twice (first at line 3, column 3)"),
            ("[a]\n[a]\n", 2, 2, "the table [a] is defined twice (first at line 1, column 2)"),
            ("[fruit]\napple.color = \"red\"\n[fruit.apple]\n", 3, 8, "already defined by dotted keys at line 2, column 1"),
            ("[a.b]\n[a]\nb.c = 1\n", 3, 1, "defined by a header (line 1, column 4); dotted keys cannot add to it"),
            ("a = {b = 1}\na.c = 2\n", 2, 1, "a is an inline table (line 1, column 1), which cannot be changed"),
            ("a = {b = 1}\n[a.c]\n", 2, 2, "inline table"),
            ("a = [1]\n[[a]]\n", 2, 3, "a already has a value"),
            ("[[a]]\n[a]\n", 2, 2, "array of tables"),
            ("[a]\n[[a]]\n", 2, 3, "is a table"),
            ("a = 1\n[a.b]\n", 2, 2, "already has a value"),
        ]
        for (text, line, column, words) in cases {
            let error = failure(text)
            #expect(error?.kind == .redefinition, "\(text.debugDescription): \(String(describing: error))")
            #expect(error?.position == TOMLPosition(line: line, column: column), "\(text.debugDescription): \(String(describing: error))")
            #expect(error?.message.contains(words) == true, "\(text.debugDescription): \(String(describing: error))")
        }
    }

    // MARK: bounded

    @Test func deepNestingIsAnErrorAtTheFirstLevelTooDeepAndQuick() {
        let clock = ContinuousClock()
        let started = clock.now
        // 100,000 brackets: the 65th (column 5 + 64) is one level too many.
        var error = failure("a = " + String(repeating: "[", count: 100_000))
        #expect(error?.kind == .tooDeep)
        #expect(error?.position == TOMLPosition(line: 1, column: 69))
        #expect(error?.message == "tables and arrays nest more than 64 levels deep here")
        // `[[` opens an array-of-tables header, whose name cannot start with `[`.
        error = failure(String(repeating: "[", count: 100_000))
        #expect(error?.kind == .syntax)
        #expect(error?.position == TOMLPosition(line: 1, column: 3))
        error = failure("a = " + String(repeating: "{b = ", count: 100_000))
        #expect(error?.kind == .tooDeep)
        // Dotted keys and header names are levels too: `a` number 65 is at column 129.
        let dotted = Array(repeating: "a", count: 100_000).joined(separator: ".")
        error = failure(dotted + " = 1\n")
        #expect(error?.kind == .tooDeep)
        #expect(error?.position == TOMLPosition(line: 1, column: 129))
        error = failure("[" + dotted + "]\n")
        #expect(error?.position == TOMLPosition(line: 1, column: 130))
        error = failure(String(repeating: "[[a]]\n", count: 10) + "[" + Array(repeating: "a", count: 40).joined(separator: ".") + "]\n"
                        + "b = " + String(repeating: "[", count: 30) + String(repeating: "]", count: 30) + "\n")
        #expect(error?.kind == .tooDeep)
        #expect(clock.now - started < .seconds(2))
    }

    @Test func theDepthLimitCountsEveryLevel() throws {
        #expect(failure("a = [[[1]]]\n", maxDepth: 3) == nil)
        #expect(failure("a = [[[[1]]]]\n", maxDepth: 3)?.kind == .tooDeep)
        #expect(failure("a.b.c = 1\n", maxDepth: 2) == nil)
        #expect(failure("a.b.c.d = 1\n", maxDepth: 2)?.kind == .tooDeep)
        #expect(failure("[a.b]\nc = {d = 1}\n", maxDepth: 3) == nil)
        #expect(failure("[a.b]\nc = {d = {}}\n", maxDepth: 3)?.kind == .tooDeep)
        // An array of tables is a level, and so is each of its tables.
        #expect(failure("[[a]]\nb = 1\n", maxDepth: 2) == nil)
        #expect(failure("[[a]]\nb = []\n", maxDepth: 2)?.kind == .tooDeep)
        // A limit past what the stack allows is lowered to it.
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(failure("a = " + deep, maxDepth: 1_000_000)?.kind == .tooDeep)
        #expect(failure("a = " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200), maxDepth: 1_000_000) == nil)
    }

    @Test func largeDocumentsTakeLinearTime() throws {
        let clock = ContinuousClock()
        let started = clock.now
        // 100,000 keys on one line (columns are counted once, not from the start of the line each time).
        let wide = "t = {" + (0..<100_000).map { "k\($0) = \($0)" }.joined(separator: ", ") + "}\n"
        let table = try TOMLDocument.parse(wide)
        guard case .table(let inner) = table["t"] else { Issue.record("no table"); return }
        #expect(inner.count == 100_000)
        #expect(inner.entry("k99999")?.valuePosition.column == wide.count - 6)
        let tall = (0..<100_000).map { "[t\($0)]\nk = \"v\($0)\"\n" }.joined()
        #expect(try TOMLDocument.parse(tall).count == 100_000)
        let long = "s = \"" + String(repeating: "é\\n", count: 500_000) + "\"\n"
        #expect(try TOMLDocument.parse(long)["s"] == .string(String(repeating: "é\n", count: 500_000)))
        #expect(clock.now - started < .seconds(10))
    }

    // MARK: values and positions

    @Test func everyKeyKnowsWhereItAndItsValueAre() throws {
        let table = try TOMLDocument.parse("a = 1\n[t]\n  b.c =   \"x\"\n[[list]]\nd = [1, 2]\n")
        #expect(table.keys == ["a", "t", "list"])
        #expect(table.entry("a")?.keyPosition == TOMLPosition(line: 1, column: 1))
        #expect(table.entry("a")?.valuePosition == TOMLPosition(line: 1, column: 5))
        #expect(table.entry("t")?.keyPosition == TOMLPosition(line: 2, column: 2))
        guard case .table(let t) = table["t"], case .table(let b) = t["b"] else { Issue.record("no [t]"); return }
        #expect(t.entry("b")?.keyPosition == TOMLPosition(line: 3, column: 3))
        #expect(b.entry("c")?.keyPosition == TOMLPosition(line: 3, column: 5))
        #expect(b.entry("c")?.valuePosition == TOMLPosition(line: 3, column: 11))
        guard case .array(let list) = table["list"], case .table(let first) = list.first else { Issue.record("no [[list]]"); return }
        #expect(first.entry("d")?.valuePosition == TOMLPosition(line: 5, column: 5))
        #expect(first["d"] == .array([.integer(1), .integer(2)]))
    }

    @Test func datesAndTimesKeepTheirParts() throws {
        let table = try TOMLDocument.parse("""
            odt = 1979-05-27 07:32:00.5-07:00
            utc = 1979-05-27T07:32:00z
            ldt = 1979-05-27T07:32:00
            ld = 1979-05-27
            lt = 07:32:00.999
            """)
        guard case .offsetDateTime(let odt) = table["odt"], case .offsetDateTime(let utc) = table["utc"],
              case .localDateTime(let ldt) = table["ldt"], case .localDate(let ld) = table["ld"],
              case .localTime(let lt) = table["lt"] else { Issue.record("wrong kinds: \(table)"); return }
        #expect(odt.description == "1979-05-27T07:32:00.5-07:00")
        #expect((odt.dateText, odt.timeText, odt.offsetText, odt.offsetMinutes) == ("1979-05-27", "07:32:00", "-07:00", -420))
        #expect(utc.description == "1979-05-27T07:32:00Z")
        #expect(ldt.description == "1979-05-27T07:32:00")
        #expect(ld.description == "1979-05-27")
        #expect(lt.description == "07:32:00.999")
    }

    @Test func stringsNumbersAndLineEndings() throws {
        let table = try TOMLDocument.parse("s = \"\"\"\r\na\r\nb \\\r\n   c\"\"\"\r\nhex = 0xff\r\nf = -1.5e3\r\nn = -nan\r\n")
        #expect(table["s"] == .string("a\nb c"))
        #expect(table["hex"] == .integer(255))
        #expect(table["f"] == .float(-1500))
        guard case .float(let n) = table["n"] else { Issue.record("no nan"); return }
        #expect(n.isNaN)
        #expect(try TOMLDocument.parse("\u{FEFF}a = 1\n")["a"] == .integer(1))
    }
}
