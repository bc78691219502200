import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// Sites written by someone else (a cloned repository, a shared folder): links that leave the
/// site, key material under innocent names, slugs that are no path, values nested or expanded
/// beyond reason. Each gets an error naming the file and line, and nothing leaves the site.
@Suite struct HostileSiteTests {
    static let config = "title = \"x\"\n"
    /// A syntactically valid nsec (the NIP-19 example key): key material to be kept out.
    static let nsec = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
    static let hexKey = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"

    func errors(building site: URL, output: URL? = nil) -> [FileError] {
        do {
            _ = try BundleBuilder(.init(input: site, output: output)).build()
            Issue.record("the build should have failed")
        } catch let errors as FileErrors {
            return errors.errors
        } catch let error as FileError {
            return [error]
        } catch {
            return [FileError("\(error)", at: SourceLocation(file: "", line: 0, column: 0))]
        }
        return []
    }

    func link(_ path: URL, to target: String) throws {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path.path, withDestinationPath: target)
    }

    // MARK: links (point 8)

    @Test(arguments: ["static", "content", "templates"])
    func aSiteFolderLinkedOutsideTheSiteIsRefused(_ name: String) throws {
        let folder = TemporaryFolder()
        folder.write(["secret.txt": "outside-secret\n", "page.mustache": "outside {{page.title}}", "stolen.md": "outside page"],
                     under: "outside")
        let site = folder.write(["pico.toml": Self.config, "content/_index.md": "home"], under: "site")
        if name == "content" { try FileManager.default.removeItem(at: site.appendingPathComponent("content")) }
        try link(site.appendingPathComponent(name), to: folder.path("outside").path)
        let found = errors(building: site, output: folder.path("out"))
        #expect(found.map(\.location.file) == ["\(name)/"])
        #expect(found.first?.message.contains("outside the site") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.path("out").path))
    }

    @Test func aSiteFolderLinkedInsideTheSiteIsRead() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": Self.config, "content/_index.md": "home", "assets/style.css": "b{}"], under: "site")
        try link(site.appendingPathComponent("static"), to: "assets")
        let result = try BundleBuilder(.init(input: site)).build()
        #expect(result.manifest.files.contains { $0.path == "style.css" })
    }

    @Test func aPicoTomlLinkedOutsideTheSiteIsNeverRead() throws {
        let folder = TemporaryFolder()
        // Shaped like /etc/shadow: a parse error would have shown its first line.
        folder.write(["shadow": "root:$6$outside-secret-hash:19000:0:99999:7:::\n"], under: "etc")
        let site = folder.write(["content/_index.md": "home"], under: "site")
        try link(site.appendingPathComponent("pico.toml"), to: folder.path("etc/shadow").path)
        let found = errors(building: site)
        #expect(found.map(\.location) == [SourceLocation(file: "pico.toml")])
        #expect(found.first?.message.contains("outside the site") == true)
        #expect(!found.map(\.description).joined().contains("outside-secret"))
    }

    @Test func aFinishedSiteThatIsALinkIsRefused() throws {
        let folder = TemporaryFolder()
        folder.write(["index.html": "<p>outside</p>", "secret.txt": "outside"], under: "outside")
        try link(folder.path("public"), to: folder.path("outside").path)
        #expect { try BundleBuilder(.init(input: folder.path("public"))).build() } throws: { error in
            "\(error)".contains("is a symbolic link")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("public.bundle").path))
    }

    @Test func fileLinksAreTakenOnlyWhenTheyStayInsideTheSite() throws {
        let folder = TemporaryFolder()
        folder.write(["secret.txt": "outside"], under: "outside")
        let site = folder.write(["pico.toml": Self.config, "content/_index.md": "home", "assets/logo.svg": "<svg/>",
                                 ".env": "TOKEN=1"], under: "site")
        try link(site.appendingPathComponent("static/logo.svg"), to: "../assets/logo.svg")
        let built = try BundleBuilder(.init(input: site)).build()
        #expect(try Data(contentsOf: built.output.appendingPathComponent("logo.svg")) == Data("<svg/>".utf8))

        try link(site.appendingPathComponent("static/notes.txt"), to: folder.path("outside/secret.txt").path)
        try link(site.appendingPathComponent("static/config.txt"), to: "../.env")
        try link(site.appendingPathComponent("static/linked-folder"), to: "../assets")
        let found = errors(building: site)
        #expect(Set(found.map(\.location.file)) == ["static/notes.txt", "static/config.txt", "static/linked-folder"])
        #expect(found.first { $0.location.file == "static/notes.txt" }?.message.contains("outside the site") == true)
        #expect(found.first { $0.location.file == "static/config.txt" }?.message.contains("hidden or secret") == true)
    }

    @Test func templateAndConfigLinksFollowTheSameRule() throws {
        let folder = TemporaryFolder()
        folder.write(["page.mustache": "outside-template {{page.title}}"], under: "outside")
        let site = folder.write(["config/site.toml": Self.config, "content/a.md": "hi", "common/page.mustache": "<p>{{page.title}}</p>"],
                                under: "site")
        // Inside the site: followed.
        try link(site.appendingPathComponent("pico.toml"), to: "config/site.toml")
        try link(site.appendingPathComponent("templates/page.mustache"), to: "../common/page.mustache")
        _ = try BundleBuilder(.init(input: site)).build()
        // Outside: refused, and never read.
        try FileManager.default.removeItem(at: site.appendingPathComponent("templates/page.mustache"))
        try link(site.appendingPathComponent("templates/page.mustache"), to: folder.path("outside/page.mustache").path)
        let found = errors(building: site)
        #expect(found.map(\.location.file) == ["templates/page.mustache"])
        #expect(!found.map(\.description).joined().contains("outside-template"))
    }

    @Test func aFinishedSiteLinkingOutsideIsRefused() throws {
        let folder = TemporaryFolder()
        folder.write(["secret.txt": "outside"], under: "outside")
        let site = folder.write(["index.html": "<p>hi</p>"], under: "public")
        try link(site.appendingPathComponent("notes.txt"), to: folder.path("outside/secret.txt").path)
        let found = errors(building: site)
        #expect(found.map(\.location.file) == ["notes.txt"])
    }

    // MARK: key material (point 15)

    @Test func secretFileNamesStayOutEvenUnderABroadInclude() throws {
        let folder = TemporaryFolder()
        var files = ["pico.toml": "title = \"x\"\n[build]\ninclude = [\".*\", \".htaccess\"]\n", "content/_index.md": "home",
                     "static/.htaccess": "Options -Indexes", "static/ok.txt": "ok"]
        let secrets = ["id_rsa.bak", "id_ed25519.old", "server.key.orig", "putty.ppk", "passwords.kdbx", "terraform.tfstate",
                       "terraform.tfstate.backup", "secrets.json", ".npmrc", ".htpasswd", "credentials", "credentials.csv",
                       "site.pem.bak", ".env.production", ".ssh/config"]
        for name in secrets { files["static/" + name] = "not really a secret" }
        let result = try SiteBuildTests.build(files, in: folder)
        let paths = Set(result.manifest.files.map(\.path))
        #expect(paths.isDisjoint(with: secrets))
        #expect(paths.isSuperset(of: [".htaccess", "ok.txt"]))
        // The public half of a key is no secret.
        #expect(PathFilter().admits("id_rsa.pub"))
        // Named without wildcards, a secret-looking file is the author's choice.
        #expect(PathFilter(include: [".htpasswd"]).admits("private/.htpasswd"))
        #expect(!PathFilter(include: [".ht*"]).admits(".htpasswd"))
    }

    @Test func keyMaterialIsFoundByContentWhateverTheFileIsCalled() throws {
        let keyFile = "# pico author key: npub1...\n# Keep it secret: whoever has this file can sign as you.\n\(Self.nsec)\n"
        let cases: [(file: String, text: String, line: Int, kind: String)] = [
            ("static/author", keyFile, 3, "nsec"),
            ("static/notes.txt", "notes\n\nmy key \(Self.nsec)\n", 3, "nsec"),
            ("static/deploy", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n", 1, "OpenSSH"),
            ("static/tls.txt", "cert below\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n", 2, "PEM"),
            ("static/server.crt.js", "// -----BEGIN EC PRIVATE KEY-----\n", 1, "PEM"),
            ("static/hex", "# pico author key\n\(Self.hexKey)\n", 2, "64 hex"),
            ("static/app.html", "<!doctype html><p>\(Self.nsec)</p>", 1, "nsec"),
            ("content/post.md", "---\ntitle: Keys\n---\nIntro.\n\n    -----BEGIN PRIVATE KEY-----\n", 6, "PEM"),
            ("static/mixed.txt", "Keep your PRIVATE KEY safe.\n-----BEGIN PGP PRIVATE KEY BLOCK-----\n", 2, "PEM"),
            ("static/putty.txt", "PuTTY-User-Key-File-3: ssh-ed25519\n", 1, "PuTTY"),
        ]
        for item in cases {
            let folder = TemporaryFolder()
            let site = folder.write(["pico.toml": Self.config, "content/_index.md": "home", item.file: item.text], under: "site")
            let found = errors(building: site)
            #expect(found.map(\.location.file) == [item.file], "\(item.file)")
            #expect(found.first?.location.line == item.line, "\(item.file)")
            #expect(found.first?.message.contains(item.kind) == true, "\(item.file): \(found)")
            // The key itself is never printed.
            #expect(!found.map(\.description).joined().contains("vl029mgps"), "\(item.file)")
            #expect(!found.map(\.description).joined().contains(Self.hexKey), "\(item.file)")
        }
    }

    @Test func keyMaterialNamedInIncludeIsTheAuthorsChoice() throws {
        let folder = TemporaryFolder()
        let result = try SiteBuildTests.build([
            "pico.toml": "title = \"x\"\n[build]\ninclude = [\"demo-key.txt\", \"nostr.md\"]\n",
            "content/_index.md": "home", "static/demo-key.txt": "\(Self.nsec)\n",
            "content/nostr.md": "A test vector: \(Self.nsec)\n",
            // Hashes and media are not keys.
            "static/file.sha256": "\(Self.hexKey)\n", "static/photo.png": "\(Self.nsec)",
            // Words about keys are no keys.
            "static/security.txt": "Never share your PRIVATE KEY or your nsec1 key.\n",
        ], in: folder)
        #expect(Set(result.manifest.files.map(\.path)).isSuperset(of: ["demo-key.txt", "nostr/index.html", "file.sha256", "photo.png",
                                                                      "security.txt"]))
    }

    // MARK: slugs (point 16)

    @Test func aSlugThatIsNoBundlePathIsAnErrorAtItsLine() throws {
        let slugs: [(yaml: String, what: String)] = [
            ("'a\\b'", "backslash"), ("\"e\\u0301\"", "NFC"), ("'C:'", "drive"), ("\"a\\0b\"", "control"),
            ("\"x\\u001Bz\"", "control"), ("'x:y'", "drive"),
        ]
        for slug in slugs {
            let folder = TemporaryFolder()
            let site = folder.write(["pico.toml": Self.config, "content/_index.md": "home",
                                     "content/posts/p.md": "---\ntitle: P\nslug: \(slug.yaml)\n---\nbody\n"], under: "site")
            let found = errors(building: site)
            #expect(found.map(\.location) == [SourceLocation(file: "content/posts/p.md", line: 3, column: 7)], "\(slug.yaml)")
            #expect(found.first?.message.contains(slug.what) == true, "\(slug.yaml): \(found)")
            #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("public").path))
        }
    }

    // MARK: outputs that cannot exist on a disk (point 19)

    @Test func outputsThatCannotExistSideBySideAreBuildErrors() {
        var found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/_index.md": "home",
                                                   "static/a": "file", "content/a/b.md": "page"])
        #expect(found.map(\.location.file) == ["content/a/b.md"])
        #expect(found.first?.message.contains("/a is a file") == true || found.first?.message.contains("a is a file") == true)

        found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/_index.md": "home",
                                               "static/Logo.png": "1", "static/logo.png": "2"])
        #expect(found.count == 1)
        #expect(found.first?.message.contains("differ only in case") == true)

        found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/_index.md": "home", "static/sha256sums": "x"])
        #expect(found.first?.message.contains("differ only in case") == true)
    }

    @Test func bidiAndC1CharactersInNamesAreBuildErrors() {
        for name in ["static/invoice\u{202E}fdp.exe", "static/a\u{85}b.txt", "content/x\u{2066}y.md"] {
            let found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/_index.md": "home", name: "x"])
            #expect(found.map(\.location.file) == [name], "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(found.first?.message.contains("cannot go into a bundle") == true)
        }
    }

    // MARK: front matter and pico.toml beyond reason (point 9)

    @Test func aYAMLAliasBombIsRefusedWithoutExpandingIt() {
        var yaml = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for (name, previous) in zip("bcdefghi", "abcdefgh") {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
        }
        let found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/bomb.md": "---\n\(yaml)---\nbody\n"])
        #expect(found.map(\.location.file) == ["content/bomb.md"])
        #expect(found.first?.message.contains("expands to more than") == true)
    }

    @Test func deeplyNestedFrontMatterIsAnErrorAtItsLine() {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        var found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/a.md": "---\ntitle: t\nx: \(deep)\n---\n"])
        // The 65th level: the top mapping, then the 64th bracket (column 3 + 63).
        #expect(found.map(\.location) == [SourceLocation(file: "content/a.md", line: 3, column: 67)])
        #expect(found.first?.message.contains("nests more than 64") == true)

        var block = "---\n"
        for level in 0..<100 { block += String(repeating: " ", count: level) + "k\(level):\n" }
        found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/b.md": block + "---\n"])
        #expect(found.map(\.location.file) == ["content/b.md"])
        #expect(found.first?.location.line == 66)

        let dotted = "x." + Array(repeating: "a", count: 5000).joined(separator: ".") + " = 1"
        found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/c.md": "+++\ntitle = \"t\"\n\(dotted)\n+++\n"])
        #expect(found.map(\.location) == [SourceLocation(file: "content/c.md", line: 3, column: 1)])

        found = BuildErrorTests().buildErrors(["pico.toml": "title = \"x\"\n[params]\n" + dotted + "\n", "content/d.md": "d"])
        #expect(found.map(\.location) == [SourceLocation(file: "pico.toml", line: 3, column: 1)])
    }

    @Test func ordinaryNestingAndQuotingPassTheDepthCheck() {
        let yaml = """
        title: "A [quoted] {title}: with # no comment"
        tags: [a, b, 'it''s']
        params:
          nested: {a: [1, 2, {b: c}]}
          list:
            - - x
              - y
            - z
          text: |
            [[[[[[ not nesting
                  }}}}
        """
        #expect(YAMLShape.firstPosition(exceeding: 64, in: yaml) == nil)
        #expect(YAMLShape.firstPosition(exceeding: 3, in: "a:\n  b:\n    c:\n      d: [x]\n")?.line == 4)
        // Quotes that would fool a guess from the text: `a "b` is plain, the brackets below nest.
        let fooling = "x: [a \"b,\n" + String(repeating: "[", count: 100) + String(repeating: "]", count: 101) + "\n"
        #expect(YAMLShape.firstPosition(exceeding: 64, in: fooling) != nil)
        #expect(TOMLNesting.firstLine(exceeding: 64, in: "title = \"a.b.c [x]\"\n[params.a]\nb = [[1], [2]]\ns = '''\n[[[[\n'''\n") == nil)
    }

    @Test func aPageLargerThanTheBoundIsRefusedBeforeItIsRead() {
        let big = String(repeating: "word ", count: (1 << 20) / 5 + 10)
        let config = "title = \"x\"\n[build]\nmax_page_mib = 1\n"
        var found = BuildErrorTests().buildErrors(["pico.toml": config, "content/big.md": big])
        #expect(found.map(\.location) == [SourceLocation(file: "content/big.md")])
        #expect(found.first?.message.contains("up to 1 MiB") == true)
        // HTML and CSS are read whole to be rewritten, so they are bounded too.
        found = BuildErrorTests().buildErrors(["pico.toml": config, "content/_index.md": "home", "static/big.html": "<p>" + big])
        #expect(found.map(\.location.file) == ["static/big.html"])
        #expect(found.first?.message.contains("up to 1 MiB") == true)
        #expect(InputLimits.defaultMaxPageBytes == 16 << 20)
    }

    @Test func markdownNestedBeyondTheBoundIsAnErrorAtItsLine() {
        let deep = String(repeating: "- ", count: 5000) + "x\n" + String(repeating: "[", count: 1000) + "\n"
        var found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/a.md": "---\ntitle: t\n---\nintro\n\n" + deep])
        #expect(found.map(\.location) == [SourceLocation(file: "content/a.md", line: 6, column: 1)])
        found = BuildErrorTests().buildErrors(["pico.toml": Self.config, "content/q.md": String(repeating: ">", count: 100) + " quote\n"])
        #expect(found.map(\.location) == [SourceLocation(file: "content/q.md", line: 1, column: 1)])
    }

    // MARK: errors found while reading the code (point 20)

    @Test func aTOMLFrontMatterValueErrorPointsAtItsLine() {
        let found = BuildErrorTests().buildErrors(["pico.toml": Self.config,
                                                   "content/a.md": "+++\ntitle = \"ok\"\n\ndraft = \"yes\"\n+++\nbody\n"])
        #expect(found.map(\.location) == [SourceLocation(file: "content/a.md", line: 4, column: 9)])
        #expect(found.first?.sourceLine == "draft = \"yes\"")
    }

    @Test func aTemplateThatCannotRenderIsAnErrorNamingTemplateAndPage() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": Self.config], under: "site")
        let templates = try TemplateSet.load(siteFolder: site, links: SiteLinks(siteFolder: site), limits: InputLimits())
        #expect { try templates.render([:], with: "missing", for: "content/a.md") } throws: { error in
            let error = error as? FileError
            return error?.location.file == "content/a.md" && error?.message.contains("\"missing\"") == true
        }
    }
}
