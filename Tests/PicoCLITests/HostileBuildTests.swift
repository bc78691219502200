import Foundation
import PicoTestSupport
import Testing

/// `pico build` of a site made to hurt it, run as a child process so that a crash is a failed
/// test, not a crashed test runner. Each attack ends in exit 1 with an error naming the file,
/// within a stated memory bound (peak RSS measured by GNU time), and writes no output.
@Suite struct HostileBuildTests {
    /// Peak memory any attack below may cost. A small site builds in about 40 MB; every one
    /// of these used more than 1 GB, crashed or never finished before the fix.
    static let memoryBoundKB = 300 * 1024

    struct Measured {
        var output: ProcessOutput
        var peakKB: Int
        var seconds: Double
        var crashed: Bool { output.stderr.contains("terminated by signal") || output.status > 128 }
    }

    /// Runs `pico build SITE -o OUT` under /usr/bin/time, which reports the child's peak RSS.
    static func build(_ site: URL, output: URL) throws -> Measured {
        let started = Date()
        var result = try TestEnvironment.run("/usr/bin/time", ["-f", "peak-rss-kb=%M", TestEnvironment.pico.path, "build", site.path,
                                                               "-o", output.path])
        let seconds = Date().timeIntervalSince(started)
        var peak = 0
        if let line = result.stderr.split(separator: "\n").last(where: { $0.hasPrefix("peak-rss-kb=") }) {
            peak = Int(line.dropFirst("peak-rss-kb=".count)) ?? 0
            result.stderr = result.stderr.replacingOccurrences(of: line + "\n", with: "")
        }
        return Measured(output: result, peakKB: peak, seconds: seconds)
    }

    static func site(_ files: [String: String], in folder: TemporaryFolder) -> URL {
        folder.write(["pico.toml": "title = \"x\"\n"].merging(files) { $1 }, under: "site")
    }

    func expectRefused(_ measured: Measured, naming file: String, saying phrase: String,
                       output: URL, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!measured.crashed, "crashed: \(measured.output.stderr)", sourceLocation: sourceLocation)
        #expect(measured.output.status == 1, "\(measured.output.stderr)", sourceLocation: sourceLocation)
        #expect(measured.output.stderr.contains(file), "\(measured.output.stderr)", sourceLocation: sourceLocation)
        #expect(measured.output.stderr.contains(phrase), "\(measured.output.stderr)", sourceLocation: sourceLocation)
        #expect(measured.peakKB > 0 && measured.peakKB < Self.memoryBoundKB, "peak RSS \(measured.peakKB) KB",
                sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: output.path), sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs GNU time"))
    func aYAMLAliasBombEndsInAnError() throws {
        // The 396-byte bomb of the report, one level deeper (it passed 6 GB).
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for (name, previous) in zip("bcdefghi", "abcdefgh") {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        let folder = TemporaryFolder()
        let site = Self.site(["content/bomb.md": "---\n\(yaml)---\nbody\n"], in: folder)
        expectRefused(try Self.build(site, output: folder.path("out")), naming: "content/bomb.md", saying: "expands to more than",
                      output: folder.path("out"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs GNU time"),
          arguments: ["yaml-brackets", "yaml-braces", "toml-brackets", "toml-dotted", "config-dotted", "config-tables"])
    func deeplyNestedValuesEndInAnError(_ attack: String) throws {
        let deep = 5000
        let brackets = String(repeating: "[", count: deep) + String(repeating: "]", count: deep)
        let dotted = Array(repeating: "a", count: deep).joined(separator: ".")
        let (file, text): (String, String) = switch attack {
        case "yaml-brackets": ("content/a.md", "---\ntitle: t\nx: \(brackets)\n---\n")
        case "yaml-braces": ("content/a.md", "---\nx: " + String(repeating: "{a: ", count: deep) + "1" + String(repeating: "}", count: deep) + "\n---\n")
        case "toml-brackets": ("content/a.md", "+++\nx = \(brackets)\n+++\n")
        case "toml-dotted": ("content/a.md", "+++\nx.\(dotted) = 1\n+++\n")
        case "config-dotted": ("pico.toml", "title = \"x\"\n[params]\n\(dotted) = 1\n")
        default: ("pico.toml", "title = \"x\"\n[\(dotted)]\nb = 1\n")
        }
        let folder = TemporaryFolder()
        let site = Self.site([file: text, "content/_index.md": "home"], in: folder)
        expectRefused(try Self.build(site, output: folder.path("out")), naming: file, saying: "nest", output: folder.path("out"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs GNU time"))
    func aHugePageIsRefusedWithoutBeingRead() throws {
        let folder = TemporaryFolder()
        let site = Self.site(["content/_index.md": "home"], in: folder)
        // 200 MB, sparse: the bound is checked before a byte is read.
        let page = site.appendingPathComponent("content/huge.md")
        FileManager.default.createFile(atPath: page.path, contents: nil)
        let handle = try FileHandle(forWritingTo: page)
        try handle.truncate(atOffset: 200 << 20)
        try handle.close()
        let measured = try Self.build(site, output: folder.path("out"))
        expectRefused(measured, naming: "content/huge.md", saying: "up to 16 MiB", output: folder.path("out"))
        #expect(measured.peakKB < 100 * 1024)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs GNU time"))
    func deeplyNestedMarkdownEndsInAnErrorQuickly() throws {
        // 5,000 nested list items over a line of brackets: cmark took minutes.
        let folder = TemporaryFolder()
        let site = Self.site(["content/_index.md": String(repeating: "- ", count: 5000) + "x\n" + String(repeating: "[", count: 100_000) + "\n"],
                             in: folder)
        let measured = try Self.build(site, output: folder.path("out"))
        expectRefused(measured, naming: "content/_index.md:1:1", saying: "nest more than 64", output: folder.path("out"))
        #expect(measured.seconds < 20)
    }

    @Test func aTemplateIncludingItselfEndsInAnError() throws {
        let folder = TemporaryFolder()
        let site = Self.site(["content/a.md": "hi", "templates/page.mustache": "<main>\n{{>partials/loop}}\n</main>",
                              "templates/partials/loop.mustache": "{{<page}}{{/page}}"], in: folder)
        let result = try TestEnvironment.pico("build", site.path, "-o", folder.path("out").path)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("templates/page.mustache:2:1") || result.stderr.contains("templates/partials/loop.mustache:1:1"),
                "\(result.stderr)")
        #expect(result.stderr.contains("includes itself"))
    }

    @Test func aPicoTomlLinkedOutsideTheSiteNeverShowsItsContents() throws {
        let folder = TemporaryFolder()
        folder.write(["shadow": "root:$6$outside-secret-hash:19000:0:99999:7:::\n"], under: "etc")
        let site = folder.write(["content/_index.md": "home"], under: "site")
        try FileManager.default.createSymbolicLink(atPath: site.appendingPathComponent("pico.toml").path,
                                                   withDestinationPath: folder.path("etc/shadow").path)
        let result = try TestEnvironment.pico("build", site.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("pico.toml"))
        #expect(!result.stderr.contains("outside-secret") && !result.stdout.contains("outside-secret"))
    }

    @Test func initSaysErrorOnce() throws {
        let folder = TemporaryFolder()
        folder.write(["keep.txt": "x"], under: "full")
        let result = try TestEnvironment.pico("init", folder.path("full").path)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(!result.stderr.contains("error: error:"), "\(result.stderr)")
    }
}
