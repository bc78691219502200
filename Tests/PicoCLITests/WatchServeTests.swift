import Foundation
import PicoFiles
import PicoTestSupport
import Synchronization
import Testing

/// `pico serve SITE --watch` as a user runs it: a generated site, one page edited, the served
/// page changed, the manifest sealed again, and SITE/public what `pico build` makes of the tree.
@Suite(.serialized) struct WatchServeTests {
    static func site(in folder: TemporaryFolder) -> URL {
        var files = [
            "pico.toml": "title = \"Watched\"\nlanguage = \"en\"\n",
            "templates/page.mustache": "<!doctype html><html><head><title>{{page.title}}</title></head><body><h1>{{page.title}}</h1>{{{page.content}}}"
                + "{{#page.older}}<a href=\"{{root}}{{url}}\">{{title}}</a>{{/page.older}}</body></html>\n",
            "templates/section.mustache": "<!doctype html><html><head><title>{{page.title}}</title></head><body>{{#pages}}<a href=\"{{root}}{{url}}\">{{title}}</a>{{/pages}}</body></html>\n",
            "content/_index.md": "# Home\n",
        ]
        for number in 0..<40 {
            files["content/part-\(number % 4)/note-\(number).md"] = "---\ntitle: Note \(number)\ndate: 2024-02-\(String(format: "%02d", number % 28 + 1))\n---\n"
                + "First paragraph of note \(number).\n\nSee [note \((number + 4) % 40)](/part-\(number % 4)/note-\((number + 4) % 40)/).\n"
        }
        return folder.write(files, under: "site")
    }

    @Test func anEditOfOnePageIsServedAndThePublicFolderIsAFullBuild() throws {
        let folder = TemporaryFolder()
        let site = Self.site(in: folder)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", site.path, "--watch", "--port", "0"], timeout: 60)
        let page = server.url + "part-1/note-5/"
        #expect(try TestEnvironment.get(page).status == 200)
        let before = String(decoding: try TestEnvironment.get(server.url + "__pico/version").body, as: UTF8.self)
        // An open page's poll with `wait` is held until the rebuild lands, then says what changed.
        let waited = Mutex<String?>(nil)
        let answered = DispatchSemaphore(value: 0)
        let versionURL = server.url + "__pico/version?since=" + before + "&wait=1"
        Thread.detachNewThread {
            let body = (try? TestEnvironment.get(versionURL).body).map { String(decoding: $0, as: UTF8.self) }
            waited.withLock { $0 = body }
            answered.signal()
        }
        usleep(300_000)
        #expect(waited.withLock { $0 } == nil, "the poll with wait was answered before any change")

        let source = site.appendingPathComponent("content/part-1/note-5.md")
        try (try String(contentsOf: source, encoding: .utf8)).replacingOccurrences(of: "First paragraph", with: "Edited paragraph")
            .write(to: source, atomically: false, encoding: .utf8)
        var served = ""
        for _ in 0..<200 where !served.contains("Edited paragraph") {
            usleep(25_000)
            let response = try TestEnvironment.get(page)
            #expect(response.status == 200, "a request during the rebuild was refused")
            served = String(decoding: response.body, as: UTF8.self)
        }
        #expect(served.contains("Edited paragraph of note 5."))
        #expect(answered.wait(timeout: .now() + 10) == .success)
        let held = waited.withLock { $0 } ?? ""
        #expect(!held.hasPrefix(before) && held.contains("part-1/note-5/index.html"), "\(held)")
        // The version changed, and since the one before, the page is what changed (and the
        // offline policy, whose sizes moved).
        let answer = String(decoding: try TestEnvironment.get(server.url + "__pico/version?since=" + before).body, as: UTF8.self)
        let lines = answer.split(separator: "\n").map(String.init)
        #expect(lines.first != before)
        // (The search index, sealed in after the page, changes too.)
        #expect(Set(lines.dropFirst().filter { !$0.hasPrefix("pico-search/") }).isSubset(of: ["part-1/note-5/index.html", "pico-offline.json"])
                && lines.contains("part-1/note-5/index.html"),
                "\(answer)")
        // The rebuild's seal was handed to the server in memory: what it serves as the manifest
        // and SHA256SUMS is what landed on disk.
        let public_ = site.appendingPathComponent("public")
        // Once the search index is sealed in as well (a second seal, a moment later).
        for _ in 0..<400 {
            let served = try TestEnvironment.get(server.url + "pico-manifest.json").body
            if served == (try? Data(contentsOf: public_.appendingPathComponent("pico-manifest.json"))) { break }
            usleep(25_000)
        }
        for name in ["pico-manifest.json", "SHA256SUMS"] {
            #expect(try TestEnvironment.get(server.url + name).body == Data(contentsOf: public_.appendingPathComponent(name)), "\(name)")
        }
        // A manifest on disk that pico did not write is verified, and refused: the last good
        // version stays served.
        let manifest = public_.appendingPathComponent("pico-manifest.json")
        let sealed = try Data(contentsOf: manifest)
        var forged = [UInt8](sealed)
        let key = Array(#""sha256":""#.utf8)
        let at = (0...(forged.count - key.count)).first { Array(forged[$0..<($0 + key.count)]) == key }! + key.count
        forged[at] = forged[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0") // an entry's hash, no longer SHA256SUMS's
        try Data(forged).write(to: manifest)
        #expect(try TestEnvironment.get(page).status == 200)
        #expect(try TestEnvironment.get(server.url + "pico-manifest.json").body == sealed)
        try sealed.write(to: manifest)
        let log = server.stop()
        #expect(log.contains("re-rendered part-1/note-5/index.html"), "\(log)")
        #expect(log.contains("still serving bundle"), "\(log)")

        // Sealed again: it verifies, and it is byte for byte a fresh build of the same tree.
        #expect(try TestEnvironment.pico("verify", public_.path).status == 0)
        let fresh = folder.path("fresh")
        #expect(try TestEnvironment.pico("build", site.path, "-o", fresh.path, "-q").status == 0)
        let ours = try FileTree.walk(public_).map(\.path), theirs = try FileTree.walk(fresh).map(\.path)
        #expect(ours == theirs)
        for path in ours where theirs.contains(path) {
            #expect(try Data(contentsOf: public_.appendingPathComponent(path)) == Data(contentsOf: fresh.appendingPathComponent(path)), "\(path)")
        }
    }
}
