import Foundation
import PicoArchive
import PicoCore
import PicoTestSupport
import Testing

/// Archives are untrusted input: the corpus of Tests/tools/make_hostile_archives.py is refused
/// with a clear message, and nothing is written outside the output folder.
@Suite(.serialized) struct HostileArchiveTests {
    /// Made once for the whole suite (the bombs take a few seconds to write).
    static let corpus: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pico-hostile-\(getpid())")
        let script = TestEnvironment.repository.appendingPathComponent("Tests/tools/make_hostile_archives.py").path
        _ = try? TestEnvironment.run("python3", [script, folder.path])
        return folder
    }()

    static let hostile = [
        "zip-slip.zip", "zip-slip.tar", "zip-slip.tar.gz", "absolute.zip", "absolute.tar", "symlink-escape.zip",
        "symlink-escape.tar", "hardlink.tar", "duplicate.zip", "duplicate.tar", "device.tar", "zip-bomb.zip",
        "zip-bomb.tar.gz", "too-many-entries.zip", "backslash.zip", "backslash.tar", "not-a-bundle.zip", "not-a-bundle.tar",
    ]

    @Test(arguments: hostile)
    func unpackRefusesAndWritesNothingOutside(_ name: String) throws {
        let archive = Self.corpus.appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: archive.path), "the corpus was not generated")
        let folder = TemporaryFolder()
        let out = folder.path("work/out")
        #expect {
            try BundleUnpacker(BundleVerifier()).unpack(archive: archive, to: out)
        } throws: { error in
            let message = "\(error)"
            return message.contains(name.split(separator: ".").first.map(String.init) ?? "") || message.contains("refusing")
        }
        // Nothing in or beside the output folder, nor where the hostile entries aimed.
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder.path("work").path)) ?? [] == [])
        #expect(!FileManager.default.fileExists(atPath: folder.path("evil.txt").path))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.txt"))
        #expect(!FileManager.default.fileExists(atPath: "/etc/pico-hostile-escape.txt"))
    }

    @Test(arguments: hostile)
    func verifyReportsTheProblem(_ name: String) throws {
        let report = ArchiveVerifier(BundleVerifier()).verify(archive: Self.corpus.appendingPathComponent(name))
        #expect(!report.isValid)
        #expect(!report.problems.isEmpty)
    }

    @Test func theKindOfEachProblemIsNamed() throws {
        func kinds(_ name: String) -> Set<VerificationProblem.Kind> {
            Set(ArchiveVerifier(BundleVerifier()).verify(archive: Self.corpus.appendingPathComponent(name)).problems.map(\.kind))
        }
        #expect(kinds("zip-slip.tar").contains(.unsafePath))
        #expect(kinds("absolute.zip").contains(.unsafePath))
        #expect(kinds("symlink-escape.tar").contains(.notRegularFile))
        #expect(kinds("symlink-escape.zip").contains(.notRegularFile))
        #expect(kinds("hardlink.tar").contains(.notRegularFile))
        #expect(kinds("device.tar").contains(.notRegularFile))
        #expect(kinds("duplicate.tar").contains(.duplicate))
        #expect(kinds("not-a-bundle.zip").contains(.manifest))
    }

    @Test(arguments: ["flipped-byte.zip", "flipped-byte.tar", "flipped-byte.tar.gz"])
    func aFlippedByteInsideAnArchiveIsFound(_ name: String) throws {
        let report = ArchiveVerifier(BundleVerifier()).verify(archive: Self.corpus.appendingPathComponent(name))
        #expect(report.problems.map(\.kind) == [.changed])
        #expect(report.problems.first?.path == "index.html")
    }
}
