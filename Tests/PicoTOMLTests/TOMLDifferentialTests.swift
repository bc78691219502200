import Foundation
import PicoTOML
import Testing

/// Every document below is read by PicoTOML and by Python's own `tomllib` (through
/// Tests/tools/toml_to_json.py, which prints toml-test's tagged JSON); both must agree: the same
/// values for the valid ones, a refusal for the invalid ones.
@Suite struct TOMLDifferentialTests {
    static let valid: [String] = [
        // keys
        "a = 1",
        "bare_key = \"v\"\nbare-key = \"v\"\n1234 = \"v\"\n-a-b- = 1\n_ = 2\n",
        "\"127.0.0.1\" = \"v\"\n\"character encoding\" = \"v\"\n\"ʎǝʞ\" = \"v\"\n'key2' = \"v\"\n'quoted \"value\"' = \"v\"\n",
        "\"\" = \"blank\"\n",
        "name = \"Orange\"\nphysical.color = \"orange\"\nphysical.shape = \"round\"\nsite.\"google.com\" = true\n",
        "fruit.name = \"banana\"\nfruit. color = \"yellow\"\nfruit . flavor = \"banana\"\n",
        "apple.type = \"fruit\"\norange.type = \"fruit\"\napple.skin = \"thin\"\norange.skin = \"thick\"\n",
        "3.14159 = \"pi\"\n",
        "true = 1\nfalse = 2\ninf = 3\nnan = 4\n-1 = 5\n1979-05-27 = 6\n",
        "a.b.c.d.e.f.g.h = 1\n",
        "a.b = 1\na.c.d = 2\na.c.e = 3\n",
        "\"a\\u0041\\n\" = 1\n'\\n' = 2\n",
        // basic strings
        #"str = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF.""#,
        #"s = "\b\t\n\f\r\"\\ \u0041 \U0001F600 \u00e9 \U0010FFFF \u0000""#,
        "s = \"tab\there\" # comment\n",
        "a = \"# not a comment\"\nb = '#'\n",
        "a = \"日本語\" # コメント\nb = '€'\n",
        "a = \"\"\nb = ''\n",
        // multi-line strings
        "str1 = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n",
        "str2 = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"\nstr3 = \"\"\"\\\n       The quick brown \\\n       fox jumps over \\\n       the lazy dog.\\\n       \"\"\"\n",
        "s = \"\"\"a \\   \n   b\"\"\"\n",
        "str4 = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\nstr5 = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\nstr6 = \"\"\"Here are fifteen quotation marks: \"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\".\"\"\"\n",
        "str7 = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n",
        "a = \"\"\"x\"\"\"\"\"\nb = \"\"\"x\\\"\"\"\"\nc = \"\"\"\"\"\"\nd = \"\"\"\n\"\"\"\n",
        "a = \"\"\"\\\\\n\"\"\"\nb = \"\"\"\ttab \"quoted\" \"\"\"\n",
        // literal strings
        "winpath = 'C:\\Users\\nodejs\\templates'\nwinpath2 = '\\\\ServerX\\admin$\\system32\\'\nquoted = 'Tom \"Dubs\" Preston-Werner'\nregex = '<\\i\\c*\\s*>'\n",
        "regex2 = '''I [dw]on't need \\d{2} apples'''\nlines = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''\n",
        "quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\napos15 = \"Here are fifteen apostrophes: '''''''''''''''\"\nstr = ''''That,' she said, 'is still pointless.''''\n",
        "a = '''x'''''\nb = ''''''\nc = '''\ttab'''\n",
        // integers
        "int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\nint6 = 5_349_221\nint7 = 53_49_221\nint8 = 1_2_3_4_5\n",
        "hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\noct1 = 0o01234567\noct2 = 0o755\nbin1 = 0b11010110\n",
        "max = 9223372036854775807\nmin = -9223372036854775808\nhexmax = 0x7FFFFFFFFFFFFFFF\noctmax = 0o777777777777777777777\n",
        "a = 0x0\nb = 0o0\nc = 0b0\nd = -0\ne = +0\nf = 0b1_0\n",
        // floats
        "flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 1e06\nflt6 = -2E-2\nflt7 = 6.626e-34\nflt8 = 224_617.445_991_228\n",
        "sf1 = inf\nsf2 = +inf\nsf3 = -inf\nsf4 = nan\nsf5 = +nan\nsf6 = -nan\n",
        "z1 = -0.0\nz2 = +0.0\nz3 = 0e0\nbig = 1e400\ntiny = 1e-400\ne = 1e1_0\nf = 0.1\ng = 1e-05\n",
        "a = 1.7976931348623157e308\nb = 5e-324\nc = 123456789012345678.5\n",
        // booleans
        "t = true\nf = false\n",
        // dates and times
        "odt1 = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00-07:00\nodt3 = 1979-05-27T00:32:00.999999-07:00\nodt4 = 1979-05-27 07:32:00Z\n",
        "a = 1979-05-27t07:32:00z\nb = 1979-05-27T07:32:00+05:30\nc = 1979-05-27T07:32:00-00:00\nd = 1979-05-27T07:32:00+00:00\n",
        "ldt1 = 1979-05-27T07:32:00\nldt2 = 1979-05-27T00:32:00.999999\nldt3 = 1979-05-27 00:32:00.5\n",
        "ld1 = 1979-05-27\nleap1 = 2000-02-29\nleap2 = 2024-02-29\nend = 1999-12-31\n",
        "lt1 = 07:32:00\nlt2 = 00:32:00.999999\nlt3 = 23:59:59.1234567\nlt4 = 00:00:00.000\n",
        "a = [1979-05-27T07:32:00Z, 07:32:00, 1979-05-27, 1979-05-27 ]\n",
        "a = 1979-05-27 # date then a comment\n",
        // arrays
        "integers = [ 1, 2, 3 ]\ncolors = [ \"red\", \"yellow\", \"green\" ]\nnested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\nnested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\nstring_array = [ \"all\", 'strings', \"\"\"are the same\"\"\", '''type''' ]\n",
        "numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\ncontributors = [\n  \"Foo Bar <foo@example.com>\",\n  { name = \"Baz Qux\", email = \"bazqux@example.com\", url = \"https://example.com/bazqux\" }\n]\n",
        "integers2 = [\n  1, 2, 3\n]\nintegers3 = [\n  1,\n  2, # this is ok\n]\n",
        "a = []\nb = [ ]\nc = [\n]\nd = [[], [[]]]\ne = [ # comment\n]\n",
        "a = [1, \"two\", 3.0, [4], {five = 5}, true, 1979-05-27]\n",
        "a = [[[[[[[[[[1]]]]]]]]]]\n",
        "a = [\n  # first\n  1 # one\n  , # comma\n  2\n  # last\n]\n",
        // inline tables
        "name = { first = \"Tom\", last = \"Preston-Werner\" }\npoint = { x = 1, y = 2 }\nanimal = { type.name = \"pug\" }\n",
        "a = {}\nb = { }\nc = {b = {c = {d = 1}}}\nd = { b = [ {c = 1} ] }\n",
        "a = { b.c = 1, b.d = 2 }\n",
        "a={b=1,c=2}\n",
        "points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n           { x = 2, y = 4, z = 8 } ]\n",
        "a = { b = 1 }\nc.d = { e = 2 }\n",
        "a = { \"quoted key\" = 1, 'lit' = 2, x.\"y.z\" = 3 }\n",
        // tables
        "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another string\"\nkey2 = 456\n",
        "[dog.\"tater.man\"]\ntype.name = \"pug\"\n",
        "[a.b.c]\n[ d.e.f ]\n[ g .  h  . i ]\n[ j . \"ʞ\" . 'l' ]\n",
        "# [x] you\n# [x.y] don't\n# [x.y.z] need these\n[x.y.z.w] # for this to work\n\n[x] # defining a super-table afterward is ok\n",
        "[fruit.apple]\n[animal]\n[fruit.orange]\n",
        "name = \"Fido\"\nbreed = \"pug\"\n\n[owner]\nname = \"Regina Dogman\"\nmember_since = 1999-08-04\n",
        "fruit.apple.color = \"red\"\nfruit.apple.taste.sweet = true\n\n[fruit.apple.texture]\nsmooth = true\n",
        "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n\n[fruit.apple.texture]  # you can add sub-tables\nsmooth = true\n",
        "[a.b.c]\nd = 1\n[a]\ne = 2\n",
        "[a.b.c]\n[a]\nb.d = 1\n",
        "[a]\nb.c.d = 1\n[a.b.c.e]\nf = 2\n",
        "[a]\n[a.b]\n[a.b.c]\n",
        "[\"\"]\na = 1\n['a'.\"b\".c]\nd = 2\n",
        "   a = 1\n  [t]\n    b = 2\n",
        "[t]",
        // arrays of tables
        "[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n[[products]]  # empty table within the array\n\n[[products]]\nname = \"Nail\"\nsku = 284758393\n\ncolor = \"gray\"\n",
        "[[fruits]]\nname = \"apple\"\n\n[fruits.physical]  # subtable\ncolor = \"red\"\nshape = \"round\"\n\n[[fruits.varieties]]  # nested array of tables\nname = \"red delicious\"\n\n[[fruits.varieties]]\nname = \"granny smith\"\n\n\n[[fruits]]\nname = \"banana\"\n\n[[fruits.varieties]]\nname = \"plantain\"\n",
        "[[a]]\n[[a]]\n[a.b]\nc = 1\n[[a]]\n[a.b]\nc = 2\n",
        "[[a.b]]\n[a]\nc = 1\n",
        "[[a]]\n[[a.b]]\n[[a.b]]\n[[a]]\n",
        "[[a]]\nb.c = 1\n[[a]]\nb.c = 2\n",
        "[[a]]\nb.c = 1\n[a.b.d]\ne = 1\n",
        // comments, whitespace, line endings
        "# c\na = 1 # c\n[t] # c\n# c\nb = [ # c\n1, # c\n] # c\n",
        "a = 1 #\n#\n",
        "a = 1\r\nb = \"x\"\r\n[t]\r\nc = '''\r\nl1\r\nl2'''\r\n# c\r\n",
        "s = \"\"\"a \\\r\n   b\"\"\"\r\nt = \"\"\"\r\nx\r\n\"\"\"\r\n",
        "a\t=\t1\t# c\n[\tt\t]\n\tb = 2\n",
        "",
        "# only a comment\n",
        "  \n\t\n\n",
        "a = 1 # comment with unicode: ☃ and \t tab\n",
    ]

    static let invalid: [String] = [
        // the fuzz finding, and broken keys
        "[&", "[&\n", "[&]\n", "a = 1\n[&\n",
        "a = ", "a\n", "= 1\n", "a = 1 b = 2\n", "a b = 1\n", "ʎ = 1\n", "a. = 1\n", ".a = 1\n",
        "\"a\nb\" = 1\n", "\"\"\"a\"\"\" = 1\n", "a = 1 = 2\n",
        "[a.]\n", "[.a]\n", "[]\n", "[[a]\n", "[a]]\n", "[ [a]]\n", "[a] b = 1\n", "[a\n",
        // redefinitions
        "a = 1\na = 2\n",
        "a = 1\na.b = 2\n",
        "a.b = 1\na = 2\n",
        "a.b = 1\na.b = 2\n",
        "[a]\n[a]\n",
        "[a]\nb = 1\n[a.b]\n",
        "a.b = 1\n[a]\n",
        "[fruit]\napple.color = \"red\"\n[fruit.apple]\n",
        "[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]\n",
        "[a.b]\n[a]\nb.c = 1\n",
        "a = {b = 1}\n[a]\n",
        "a = {}\n[a.b]\n",
        "a = {b = 1}\na.c = 2\n",
        "a = {b = {c = 1}, b.d = 2}\n",
        "a = {b = 1, b = 2}\n",
        "a = {b.c = 1, b = 2}\n",
        "a = [1]\n[[a]]\n",
        "a = [{b = 1}]\n[a.c]\n",
        "[[a]]\n[a]\n",
        "[a]\n[[a]]\n",
        "[a.b]\n[[a]]\n",
        "[[a.b]]\n[a]\nb.c = 1\n",
        "[t]\na = 1\n[t]\nb = 2\n",
        "a = 1\n[a]\n",
        "a = 1\n[a.b]\n",
        "[a]\nb = {c = 1}\n[a.b.d]\n",
        // inline tables and arrays
        "a = {b = 1,\nc = 2}\n", "a = {b = 1,}\n", "a = {b = 1 c = 2}\n", "a = {b = 1\n", "a = {,}\n", "a = {b}\n",
        "a = [1,,2]\n", "a = [,]\n", "a = [1 2]\n", "a = [1\n", "a = [1,\n",
        // strings
        "a = \"abc\n", "a = \"a\nb\"\n", "a = \"\\x41\"\n", "a = \"\\e\"\n", "a = \"\\uD800\"\n", "a = \"\\u00\"\n",
        "a = \"\\U00110000\"\n", "a = \"\u{01}\"\n", "a = \"\u{7F}\"\n", "a = '\u{01}'\n", "a = 'x\ny'\n", "a = '''\u{00}'''\n",
        "a = \"\"\"x\"\"\"\"\"\"\n", "a = '''x''''''\n", "a = \"\"\"a \\ b\"\"\"\n", "a = \"\"\"abc\n", "a = \"\"\"a\rb\"\"\"\n",
        // comments and line endings
        "a = 1 # bell \u{07}\n", "# nul \u{00}\n", "a = 1\rb = 2\n", "# del \u{7F}\n",
        // numbers
        "a = 01\n", "a = 1__0\n", "a = 1_\n", "a = _1\n", "a = 0x\n", "a = +0x1\n", "a = 0X1\n", "a = .5\n", "a = 5.\n",
        "a = 1.e5\n", "a = 1e\n", "a = 0b2\n", "a = 0o8\n", "a = inf1\n", "a = Inf\n", "a = NaN\n", "a = 1.2.3\n",
        "a = 0_1\n", "a = 1e_5\n", "a = -01.5\n", "a = 0x_1\n", "a = 1_.5\n",
        // booleans and bare words
        "a = True\n", "a = tru\n", "a = nope\n", "a = en\n",
        // dates and times
        "a = 1979-13-01\n", "a = 1979-02-30\n", "a = 2023-02-29\n", "a = 1979-05-27T25:00:00\n", "a = 1979-05-27T07:32\n",
        "a = 07:60:00\n", "a = 07:32:60\n", "a = 1979-05-27T07:32:00+24:00\n", "a = 1979-5-27\n", "a = 07:32:00.\n",
        "a = 1979-05-27T\n", "a = 07:32:00Z\n", "a = 1979-05-27 07:32\n", "a = 1979-05-27T07:32:00+0700\n",
    ]

    @Test func validDocumentsReadTheSameAsPythonsTomllib() throws {
        let python = try Self.pythonReadings(of: Self.valid)
        for (document, expected) in zip(Self.valid, python) {
            #expect(expected != "invalid", "tomllib refuses \(document.debugDescription)")
            do {
                let table = try TOMLDocument.parse(document)
                let json = try JSONSerialization.jsonObject(with: Data(expected.utf8))
                #expect(Self.same(.table(table), json), "\(document.debugDescription): PicoTOML read \(table), tomllib \(expected)")
            } catch {
                Issue.record("PicoTOML refuses \(document.debugDescription): \(error)")
            }
        }
    }

    @Test func invalidDocumentsAreRefusedByBoth() throws {
        let python = try Self.pythonReadings(of: Self.invalid)
        for (document, expected) in zip(Self.invalid, python) {
            #expect(expected == "invalid", "tomllib accepts \(document.debugDescription)")
            #expect(throws: TOMLError.self, "PicoTOML accepts \(document.debugDescription)") { try TOMLDocument.parse(document) }
        }
    }

    @Test func theListsCoverEnough() {
        #expect(Self.valid.count >= 80)
        #expect(Self.invalid.count >= 40)
    }

    // MARK: helpers

    /// One line of tomllib's answer per document: tagged JSON, or "invalid".
    static func pythonReadings(of documents: [String]) throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("picotoml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var paths: [String] = []
        for (index, document) in documents.enumerated() {
            let url = folder.appendingPathComponent("\(index).toml")
            try Data(document.utf8).write(to: url)
            paths.append(url.path)
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/toml_to_json.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + (paths.count == 1 ? paths + paths : paths)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(process.terminationStatus == 0)
        #expect(lines.count >= documents.count, "toml_to_json.py printed \(lines.count) lines for \(documents.count) documents")
        return lines
    }

    /// PicoTOML's value against toml-test's tagged JSON.
    static func same(_ value: TOMLValue, _ json: Any) -> Bool {
        func tagged(_ type: String, _ text: String) -> Bool {
            guard let object = json as? [String: Any], object.count == 2 else { return false }
            return object["type"] as? String == type && (object["value"] as? String).map { Array($0.unicodeScalars) } == Array(text.unicodeScalars)
        }
        switch value {
        case .string(let text): return tagged("string", text)
        case .integer(let number): return tagged("integer", String(number))
        case .bool(let flag): return tagged("bool", String(flag))
        case .float(let number):
            guard let object = json as? [String: Any], object["type"] as? String == "float",
                  let text = object["value"] as? String, let other = Double(text) else { return false }
            return number.isNaN ? other.isNaN : number == other && number.sign == other.sign
        case .offsetDateTime(let dateTime): return tagged("datetime", dateTime.dateText + "T" + Self.time(dateTime) + dateTime.offsetText)
        case .localDateTime(let dateTime): return tagged("datetime-local", dateTime.dateText + "T" + Self.time(dateTime))
        case .localDate(let date): return tagged("date-local", date.dateText)
        case .localTime(let time): return tagged("time-local", Self.time(time))
        case .array(let items):
            guard let list = json as? [Any], list.count == items.count else { return false }
            return zip(items, list).allSatisfy { same($0, $1) }
        case .table(let table):
            guard let object = json as? [String: Any], object.count == table.count else { return false }
            return table.allSatisfy { entry in object[entry.key].map { same(entry.value, $0) } ?? false }
        }
    }

    /// tomllib keeps microseconds: the fraction cut or padded to six digits, none when zero.
    static func time(_ value: TOMLDateTime) -> String {
        let micro = String((value.fraction + "000000").prefix(6))
        return value.timeText + (micro == "000000" ? "" : "." + micro)
    }
}
