import Foundation
import PicoFiles
import PicoTestSupport
import Synchronization
import Testing

/// A folder built beside its destination and swapped in whole (build output, fetched bundles).
@Suite struct StagingFolderTests {
    /// While a StagingFolder replaces its destination again and again, a reader never finds the
    /// destination missing or half there (renameat2 with RENAME_EXCHANGE).
    @Test func commitReplacesTheDestinationWithNoMomentWithoutIt() throws {
        let folder = TemporaryFolder()
        let destination = folder.path("public")
        func publish(_ version: Int) throws {
            let staging = try StagingFolder(replacing: destination)
            try FileTree.write(Data("\(version)".utf8), to: "index.html", under: staging.url)
            try staging.commit()
        }
        try publish(0)
        let stop = Atomic(false)
        let misses = Atomic(0)
        let checks = Atomic(0)
        let watcher = Thread {
            let path = destination.path + "/index.html"
            while !stop.load(ordering: .relaxed) {
                if access(path, F_OK) != 0 { misses.add(1, ordering: .relaxed) }
                checks.add(1, ordering: .relaxed)
            }
        }
        watcher.start()
        for version in 1...300 { try publish(version) }
        stop.store(true, ordering: .relaxed)
        while checks.load(ordering: .relaxed) == 0 { usleep(1000) }
        usleep(10_000)
        #expect(misses.load(ordering: .relaxed) == 0, "index.html was missing \(misses.load(ordering: .relaxed)) times")
        #expect(folder.read("public/index.html") == "300")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["public"])
        var info = stat()
        #expect(stat(destination.path, &info) == 0 && info.st_mode & 0o777 == 0o755)
    }

    /// A planted symlink at the old fixed staging name is not followed by StagingFolder either.
    @Test func stagingFolderIsAlwaysANewFolder() throws {
        let folder = TemporaryFolder()
        let victim = folder.path("victim")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: folder.path(".public.pico-staging-\(getpid())"), withDestinationURL: victim)
        let staging = try StagingFolder(replacing: folder.path("public"))
        #expect(staging.url.lastPathComponent != ".public.pico-staging-\(getpid())")
        try FileTree.write(Data("new".utf8), to: "index.html", under: staging.url)
        try staging.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim.path) == [])
        #expect(folder.read("public/index.html") == "new")
    }
}
