import Foundation
@testable import PicoBuild
import PicoCore
import Testing

/// pico.toml and `+++` front matter are read by PicoTOML: hostile TOML is an error at its line and
/// column, and values (dates included) reach the templates as before.
@Suite struct TOMLInputTests {
    static let config = "title = \"x\"\n"

    /// The fuzz finding: `[&` aborted pico (an `assert` inside toml++, TOMLKit 0.6.0).
    @Test func aTableHeaderWithABadKeyIsAnErrorNotACrash() {
        var found = BuildErrorTests().buildErrors(["pico.toml": "[&\n", "content/_index.md": "home"])
        #expect(found.map(\.location) == [SourceLocation(file: "pico.toml", line: 1, column: 2)])
        #expect(found.first?.message == "could not read pico.toml: expected a key (letters, digits, - and _ or a quoted string), saw '&'")
        found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/a.md": "+++\ntitle = \"t\"\n[&\n+++\nbody\n"])
        #expect(found.map(\.location) == [SourceLocation(file: "content/a.md", line: 3, column: 2)])
        #expect(found.first?.message.contains("could not read the TOML front matter: expected a key") == true)
    }

    @Test func picoTomlErrorsPointAtTheValue() {
        var found = BuildErrorTests().buildErrors(["pico.toml": "# site\ntitle =  42\n", "content/_index.md": "home"])
        #expect(found.map(\.location) == [SourceLocation(file: "pico.toml", line: 2, column: 10)])
        #expect(found.first?.message == "`title` must be a string")
        found = BuildErrorTests().buildErrors(["pico.toml": "title = \"x\"\n[build]\ninclude = [\"a\", 1]\n", "content/_index.md": "home"])
        #expect(found.map(\.location) == [SourceLocation(file: "pico.toml", line: 3, column: 11)])
        found = BuildErrorTests().buildErrors(["pico.toml": "title = \"x\"\n[build]\nmax_page_mib = 0\n", "content/_index.md": "home"])
        #expect(found.map(\.location) == [SourceLocation(file: "pico.toml", line: 3, column: 16)])
        found = BuildErrorTests().buildErrors(["pico.toml": "title = \"x\"\n[params]\na = 1\n[params]\n", "content/_index.md": "home"])
        #expect(found.map(\.location) == [SourceLocation(file: "pico.toml", line: 4, column: 2)])
        #expect(found.first?.message.contains("the table [params] is defined twice (first at line 2, column 2)") == true)
    }

    @Test func tomlNestedBeyondTheLimitIsAnErrorAtTheLevelTooDeep() {
        let deep = "a = " + String(repeating: "{b = ", count: 100) + "1" + String(repeating: "}", count: 100) + "\n"
        let found = BuildErrorTests().buildErrors(["pico.toml": Self.config + deep, "content/_index.md": "home"])
        #expect(found.first?.location.file == "pico.toml")
        #expect(found.first?.location.line == 2)
        #expect(found.first?.message == "pico.toml nests more than 64 levels deep")
    }

    @Test func frontMatterValuesKeepTheirTypesAndDatesTheirText() throws {
        let front = try FrontMatter.parse("""
            +++
            title = "T"
            weight = 3
            ratio = 0.5
            draft = false
            odt = 1979-05-27T07:32:00.999-07:00
            utc = 1979-05-27 07:32:00Z
            ldt = 1979-05-27T07:32:00
            date = 1979-05-27
            time = 07:32:00.5
            tags = ["a", "b"]
            [extra]
            n = 1
            +++
            body
            """, file: "content/a.md")
        #expect(front.values["title"] == .string("T"))
        #expect(front.values["weight"] == .int(3))
        #expect(front.values["ratio"] == .double(0.5))
        #expect(front.values["draft"] == .bool(false))
        #expect(front.values["odt"] == .string("1979-05-27T07:32:00-07:00"))
        #expect(front.values["utc"] == .string("1979-05-27T07:32:00Z"))
        #expect(front.values["ldt"] == .string("1979-05-27T07:32:00"))
        #expect(front.values["date"] == .string("1979-05-27"))
        #expect(front.values["time"] == .string("07:32:00"))
        #expect(front.values["tags"] == .array([.string("a"), .string("b")]))
        #expect(front.values["extra"] == .table(["n": .int(1)]))
        // Positions are the values' (the front matter starts on line 2).
        #expect(front.positions["weight"]?.line == 3)
        #expect(front.positions["weight"]?.column == 10)
        #expect(front.positions["extra"]?.line == 12)
        #expect(front.positions["extra"]?.column == 2)
    }
}
