import Foundation
@testable import PicoBuild
import PicoTestSupport
import Synchronization
import Testing

/// `pico serve --watch`'s watcher: the kernel's change events, counted through the site's own
/// path filter. Each test runs a real watcher on a real folder.
@Suite(.serialized) struct SiteWatcherTests {
    /// A watcher running on its own thread, counting rebuilds.
    final class Running: Sendable {
        let watcher: SiteWatcher
        let rebuilds = Mutex(0)
        let finished = Mutex(false)

        init(_ site: URL) throws {
            watcher = try SiteWatcher(site: site, output: site.appendingPathComponent("public"), quietPeriod: .milliseconds(250))
            Thread.detachNewThread { [self] in
                try? watcher.run { rebuilds.withLock { $0 += 1 } }
                finished.withLock { $0 = true }
            }
        }

        var count: Int { rebuilds.withLock { $0 } }

        /// Waits until `expected` rebuilds happened (up to 5 s), then longer than the quiet
        /// period to see that no more come; returns the count. (A quiet period well above the
        /// default keeps a loaded machine from splitting one save into two bursts.)
        func settle(at expected: Int) -> Int {
            for _ in 0..<100 where count < expected { usleep(50_000) }
            usleep(800_000)
            return count
        }

        func stop() {
            watcher.stop()
            for _ in 0..<100 where !finished.withLock({ $0 }) { usleep(20_000) }
        }
    }

    static func site(_ folder: TemporaryFolder, config: String = "title = \"t\"\n") -> URL {
        folder.write(["pico.toml": config, "content/_index.md": "# home\n", "content/posts/a.md": "# a\n",
                      "templates/page.mustache": "{{{content}}}", "public/index.html": "old", "notes.txt": "mine"], under: "site")
    }

    @Test func aChangeToAContentFileIsOneRebuild() throws {
        let folder = TemporaryFolder()
        let site = Self.site(folder)
        let running = try Running(site)
        defer { running.stop() }
        try "# a, changed\n".write(to: site.appendingPathComponent("content/posts/a.md"), atomically: true, encoding: .utf8)
        #expect(running.settle(at: 1) == 1)
        // Written in place, in several writes: still one.
        let handle = try FileHandle(forWritingTo: site.appendingPathComponent("content/_index.md"))
        for line in ["one\n", "two\n", "three\n"] { handle.write(Data(line.utf8)) }
        try handle.close()
        #expect(running.settle(at: 2) == 2)
        // pico.toml and templates are read by the build too.
        try "title = \"t2\"\n".write(to: site.appendingPathComponent("pico.toml"), atomically: true, encoding: .utf8)
        #expect(running.settle(at: 3) == 3)
        try "<main>{{{content}}}</main>".write(to: site.appendingPathComponent("templates/page.mustache"), atomically: true, encoding: .utf8)
        #expect(running.settle(at: 4) == 4)
    }

    @Test func theOutputHiddenAndSecretFilesAndOtherFilesDoNotRebuild() throws {
        let folder = TemporaryFolder()
        let site = Self.site(folder)
        folder.write(["static/site.css": "body{}"], under: "site")
        let running = try Running(site)
        defer { running.stop() }
        folder.write(["public/index.html": "new build", "public/deep/x.html": "x", ".public.pico-staging-1/a": "a",
                      "content/.hidden.md": "# no", "content/posts/.a.md.swp": "swap", "content/.git/HEAD": "ref",
                      "content/server.key": "secret", "static/.env": "A=1", "notes.txt": "changed",
                      "templates/.page.mustache.swp": "swap", "templates/notes.txt": "not a template"], under: "site")
        try FileManager.default.removeItem(at: site.appendingPathComponent("public"))
        #expect(running.settle(at: 0) == 0)
    }

    @Test func whatIncludeAdmitsRebuildsAndWhatExcludeLeavesOutDoesNot() throws {
        let folder = TemporaryFolder()
        let site = Self.site(folder, config: "title = \"t\"\n[build]\ninclude = [\".well-known/**\"]\nexclude = [\"drafts/**\"]\n")
        folder.write(["static/.well-known/security.txt": "a", "content/drafts/x.md": "# x"], under: "site")
        let running = try Running(site)
        defer { running.stop() }
        folder.write(["content/drafts/x.md": "# x, changed", "static/.other/y": "y"], under: "site")
        #expect(running.settle(at: 0) == 0)
        folder.write(["static/.well-known/security.txt": "b"], under: "site")
        #expect(running.settle(at: 1) == 1)
    }

    @Test func aNewSubFolderIsWatched() throws {
        let folder = TemporaryFolder()
        let site = Self.site(folder)
        let running = try Running(site)
        defer { running.stop() }
        try FileManager.default.createDirectory(at: site.appendingPathComponent("content/new/deeper"), withIntermediateDirectories: true)
        let afterFolders = running.settle(at: 1)
        #expect(afterFolders == 1)
        folder.write(["content/new/deeper/b.md": "# b"], under: "site")
        #expect(running.settle(at: afterFolders + 1) == afterFolders + 1)
        // A folder made where there was none: static/ did not exist when watching began.
        try FileManager.default.createDirectory(at: site.appendingPathComponent("static"), withIntermediateDirectories: true)
        let afterStatic = running.settle(at: afterFolders + 2)
        folder.write(["static/style.css": "body{}"], under: "site")
        #expect(running.settle(at: afterStatic + 1) == afterStatic + 1)
        // A folder moved away and back is followed under its new name.
        try FileManager.default.moveItem(at: site.appendingPathComponent("content/new"), to: site.appendingPathComponent("content/renamed"))
        let afterMove = running.settle(at: afterStatic + 2)
        folder.write(["content/renamed/deeper/c.md": "# c"], under: "site")
        #expect(running.settle(at: afterMove + 1) == afterMove + 1)
    }

    @Test func stopEndsTheWatcher() throws {
        let folder = TemporaryFolder()
        let running = try Running(Self.site(folder))
        running.stop()
        #expect(running.finished.withLock { $0 })
    }

    @Test func theRuleIsTheSitesPathFilter() {
        let filter = PathFilter(include: [".well-known/**"], exclude: ["drafts/**"])
        let cases: [(String, Bool)] = [
            ("pico.toml", true), ("content/a.md", true), ("content/img/x.png", true), ("static/a.css", true),
            ("templates/page.mustache", true), ("content", true),
            ("public/index.html", false), ("notes.txt", false), (".git/HEAD", false), ("content/.a.md.swp", false),
            ("content/drafts/x.md", false), ("static/.well-known/security.txt", true), ("static/.env", false),
            ("content/id_rsa", false), ("templates/.page.mustache.swp", false), ("templates/readme.txt", false),
        ]
        for (path, expected) in cases {
            #expect(SiteWatcher.triggersRebuild(path, isFolder: false, filter: filter) == expected, "\(path)")
        }
    }
}
