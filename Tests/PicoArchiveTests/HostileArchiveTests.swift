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

    // MARK: - files that are not archives at all

    static let unreadable = ["zip", "tar", "tar.gz", "tar.zst"].flatMap { ending in
        ["empty", "random", "text", "cut"].map { "unreadable-\($0).\(ending)" }
    }

    /// These crashed pico (a double free in ArchiveReader) and left unpack's staging folder.
    @Test(arguments: unreadable)
    func aFileThatIsNoArchiveIsSaidToBeOne(_ name: String) throws {
        let archive = Self.corpus.appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: archive.path), "the corpus was not generated")
        let report = ArchiveVerifier(BundleVerifier()).verify(archive: archive)
        #expect(!report.isValid)
        #expect(report.problems.contains { $0.message.contains("not an archive pico can read") }, "\(report.problems)")
        let folder = TemporaryFolder()
        #expect {
            try BundleUnpacker(BundleVerifier()).unpack(archive: archive, to: folder.path("work/out"))
        } throws: { "\($0)".contains("not an archive pico can read") }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder.path("work").path)) ?? [] == [])
    }

    // MARK: - archives other readers read as other files

    static let differentials = [
        "tar-plus-zip.zip", "tar-plus-zip.tar", "tar-plus-zip.tar.gz", "gzip-trailing.tar.gz", "tar-trailing.tar",
        "zip-comment.zip", "zip-prefix.zip", "zip-name-mismatch.zip", "zip-unicode-path.zip", "zip-hidden-local.zip",
        "zip-no-utf8-flag.zip", "pax-path.tar", "pax-path.tar.gz", "pax-path.tar.zst", "pax-size.tar", "pax-global.tar", "pax-cut-collision.tar",
    ]

    @Test(arguments: differentials)
    func anArchiveOtherReadersSeeDifferentlyIsRefused(_ name: String) throws {
        let archive = Self.corpus.appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: archive.path), "the corpus was not generated")
        let report = ArchiveVerifier(BundleVerifier()).verify(archive: archive)
        #expect(!report.isValid)
        #expect(report.problems.contains {
            $0.message.contains("other archive readers would see other files") || $0.message.contains("not an archive pico can read")
        }, "\(report.problems)")
        let folder = TemporaryFolder()
        #expect(throws: (any Error).self) { try BundleUnpacker(BundleVerifier()).unpack(archive: archive, to: folder.path("work/out")) }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder.path("work").path)) ?? [] == [])
    }

    /// The corpus really is what it claims: in each archive, some other reader sees files that
    /// pico's libarchive (bsdtar, seeking) does not.
    @Test func otherReadersReallySeeOtherFilesInTheDifferentials() throws {
        func lines(_ output: ProcessOutput) -> Set<String> { Set(output.stdout.split(separator: "\n").map(String.init)) }
        func corpus(_ name: String) -> String { Self.corpus.appendingPathComponent(name).path }
        let bundle: Set<String> = ["pico-manifest.json", "SHA256SUMS", "index.html"]
        for name in ["tar-plus-zip.zip", "tar-plus-zip.tar", "tar-plus-zip.tar.gz"] {
            #expect(lines(try TestEnvironment.run("bsdtar", ["-tf", corpus(name)])) == bundle, "\(name)")
            #expect(lines(try TestEnvironment.run("unzip", ["-Z1", corpus(name)])).contains("evil.html"), "\(name)")
        }
        #expect(lines(try TestEnvironment.run("unzip", ["-Z1", corpus("zip-name-mismatch.zip")])).contains("index.html"))
        #expect(lines(try TestEnvironment.run("bsdtar", ["-tf", corpus("zip-name-mismatch.zip")])).contains("indey.html"))
        #expect(lines(try TestEnvironment.run("unzip", ["-Z1", corpus("zip-unicode-path.zip")])).contains("evil.html"))
        let python = try TestEnvironment.run("python3", ["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
                                                        corpus("zip-unicode-path.zip")])
        #expect(lines(python).contains("index.html"), "\(python.stderr)")
        // A streaming reader walks local headers and finds the entry the central directory hides.
        let streamed = try TestEnvironment.run("/bin/sh", ["-c", "cat '\(corpus("zip-hidden-local.zip"))' | bsdtar -tf -"])
        #expect(lines(streamed).contains("evil.html"))
        #expect(!lines(try TestEnvironment.run("unzip", ["-Z1", corpus("zip-hidden-local.zip")])).contains("evil.html"))
        let cp437 = try TestEnvironment.run("python3", ["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
                                                       corpus("zip-no-utf8-flag.zip")])
        let libarchiveNames = lines(try TestEnvironment.run("bsdtar", ["-tf", corpus("zip-no-utf8-flag.zip")]))
        #expect(!lines(cp437).contains("caf\u{E9}.html") && libarchiveNames.contains("caf\u{E9}.html"))
        // A reader that ignores pax headers takes the ustar name field.
        let ustar = try TestEnvironment.run("python3", ["-c", "import sys; d = open(sys.argv[1], 'rb').read(); print(d[3072:3172].rstrip(b'\\0').decode())",
                                                       corpus("pax-path.tar")])
        #expect(ustar.stdout == "other.html\n")
        #expect(lines(try TestEnvironment.run("tar", ["-tf", corpus("pax-path.tar")])).contains("index.html"))
        let gzip = try TestEnvironment.run("gzip", ["-t", corpus("gzip-trailing.tar.gz")])
        #expect(gzip.stderr.contains("trailing garbage"), "\(gzip.stderr)")
    }

    /// What other tools write is read as before: the checks refuse ambiguity, not writers.
    @Test func bundlesPackedByOtherToolsStillVerify() throws {
        let folder = TemporaryFolder()
        var files: [String: String] = ["index.html": "<h1>Home</h1>", "posts/caf\u{E9}/index.html": "<p>accent</p>",
                                        "a/" + String(repeating: "long-folder-name/", count: 9) + "page.html": "<p>deep</p>",
                                        "b/" + String(repeating: "x", count: 120) + ".html": "<p>a long name</p>",
                                        String(repeating: "q", count: 150) + "/" + String(repeating: "r", count: 150) + "/"
                                            + String(repeating: "s", count: 110) + ".html": "<p>longer than ustar can split</p>"]
        files["img/blob.bin"] = String(repeating: "\u{1}\u{7F}", count: 5000)
        let bundle = try folder.makeBundle(files, created: "2024-05-06T07:08:09Z")
        let sources = try FileManager.default.contentsOfDirectory(atPath: bundle.path).sorted()
        let writers: [(String, [String])] = [
            ("gnu.tar", ["tar", "--format=gnu", "-cf"]), ("posix.tar", ["tar", "--format=posix", "-cf"]),
            ("gnu.tar.gz", ["tar", "--format=gnu", "-czf"]), ("posix.tar.zst", ["tar", "--format=posix", "--zstd", "-cf"]),
            ("bsd.tar", ["bsdtar", "--format", "paxr", "-cf"]), ("bsd.zip", ["bsdtar", "--format", "zip", "-cf"]),
            ("bsd.tar.xz", ["bsdtar", "-cJf"]),
        ]
        for (name, command) in writers {
            let out = folder.path(name).path
            let made = try TestEnvironment.run(command[0], Array(command.dropFirst()) + [out] + sources, in: bundle)
            try #require(made.status == 0, "\(name): \(made.stderr)")
            let report = ArchiveVerifier(BundleVerifier()).verify(archive: folder.path(name))
            #expect(report.isValid, "\(name): \(report.problems)")
        }
        let script = """
        import os, sys, tarfile, zipfile
        root, out = sys.argv[1], sys.argv[2]
        paths = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
        with zipfile.ZipFile(out + '/py.zip', 'w', zipfile.ZIP_DEFLATED) as z:
            for p in paths: z.write(os.path.join(root, p), p)
        class Unseekable:   # zipfile then writes data descriptors after each entry
            def __init__(self, f): self.f = f
            def write(self, b): return self.f.write(b)
            def flush(self): pass
        with open(out + '/py-stream.zip', 'wb') as f, zipfile.ZipFile(Unseekable(f), 'w', zipfile.ZIP_DEFLATED) as z:
            for p in paths: z.write(os.path.join(root, p), p)
        for fmt, name in ((tarfile.PAX_FORMAT, 'py-pax.tar'), (tarfile.GNU_FORMAT, 'py-gnu.tar')):
            with tarfile.open(out + '/' + name, 'w', format=fmt) as t:
                for p in paths: t.add(os.path.join(root, p), p)
        """
        let python = try TestEnvironment.run("python3", ["-c", script, bundle.path, folder.url.path])
        try #require(python.status == 0, "\(python.stderr)")
        for name in ["py.zip", "py-stream.zip", "py-pax.tar", "py-gnu.tar"] {
            let report = ArchiveVerifier(BundleVerifier()).verify(archive: folder.path(name))
            #expect(report.isValid, "\(name): \(report.problems)")
        }
        // pico's own packs of the same bundle.
        for ending in ["zip", "tar", "tar.gz", "tar.zst"] {
            _ = try BundlePacker().pack(bundle: bundle, to: folder.path("pico.\(ending)"))
            let report = ArchiveVerifier(BundleVerifier()).verify(archive: folder.path("pico.\(ending)"))
            #expect(report.isValid, "pico.\(ending): \(report.problems)")
        }
        // Info-ZIP's zip: ASCII names verify; its non-ASCII names (no UTF-8 flag, a Unicode Path
        // field instead) read differently in Python, so they are refused.
        if TestEnvironment.hasProgram("zip") {
            let ascii = try folder.makeBundle(["index.html": "<h1>Home</h1>", "css/site.css": "body{}"], under: "ascii")
            let zipped = try TestEnvironment.run("zip", ["-qr", folder.path("infozip.zip").path, "."], in: ascii)
            try #require(zipped.status == 0, "\(zipped.stderr)")
            let report = ArchiveVerifier(BundleVerifier()).verify(archive: folder.path("infozip.zip"))
            #expect(report.isValid, "infozip.zip: \(report.problems)")
            // Written to a pipe: data descriptors after the entries.
            let streamed = try TestEnvironment.run("/bin/sh", ["-c", "zip -qr - . | cat > '\(folder.path("infozip-stream.zip").path)'"], in: ascii)
            try #require(streamed.status == 0, "\(streamed.stderr)")
            let streamReport = ArchiveVerifier(BundleVerifier()).verify(archive: folder.path("infozip-stream.zip"))
            #expect(streamReport.isValid, "infozip-stream.zip: \(streamReport.problems)")
            _ = try TestEnvironment.run("zip", ["-qr", folder.path("infozip-accents.zip").path, "."], in: bundle)
            let accents = ArchiveVerifier(BundleVerifier()).verify(archive: folder.path("infozip-accents.zip"))
            #expect(accents.problems.contains { $0.message.contains("without the zip's UTF-8 flag") }, "\(accents.problems)")
        }
    }

    /// Damaged archives of every form, made by flipping bytes and cutting pico's own packs at
    /// fixed pseudo-random places: verify reports a problem or passes, and never crashes (the
    /// layout checks do arithmetic on sizes and offsets the archive gives).
    @Test(arguments: ["zip", "tar", "tar.gz", "tar.zst"])
    func damagedArchivesNeverCrashTheReader(_ ending: String) throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<h1>Home</h1>", "a/" + String(repeating: "n", count: 120) + ".html": "long",
                                            "caf\u{E9}.html": "<p>accent</p>"])
        let packed = folder.path("b.\(ending)")
        _ = try BundlePacker().pack(bundle: bundle, to: packed)
        let original = try [UInt8](Data(contentsOf: packed))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let damaged = folder.path("d.\(ending)")
        for round in 0..<150 {
            var bytes = original
            if round % 3 == 0 {
                bytes.removeLast(1 + random(bytes.count - 1))
            } else {
                for _ in 0...random(4) { bytes[random(bytes.count)] ^= UInt8(1 + random(255)) }
            }
            try Data(bytes).write(to: damaged)
            let report = ArchiveVerifier(BundleVerifier()).verify(archive: damaged)
            // A cut zip loses its end record; a cut tar may lose only padding and stay whole.
            if round % 3 == 0, ending == "zip" { #expect(!report.isValid) }
        }
    }
}
