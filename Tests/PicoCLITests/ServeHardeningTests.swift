import Foundation
import PicoTestSupport
import Testing

/// `pico serve` under attack: archives whose entries (or manifest) unpack to far more than they
/// should, a crowd of idle connections, and bundles whose signature is forged or by someone else.
/// Memory is measured on the real process (VmHWM, the peak resident set, from /proc).
@Suite struct ServeHardeningTests {
    /// The bound every case here must stay under: the server itself (about 45 MB resident in a debug build),
    /// a few chunks in flight, and libarchive's buffers.
    static let peakBoundKiB = 100 << 10

    static func peakKiB(of process: Process) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? Int.max
    }

    static var hardDescriptorLimit: UInt64 {
        var limit = rlimit()
        return getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? UInt64(limit.rlim_max) : 0
    }

    static func makeZip(_ kind: String, size: Int, at url: URL) throws {
        let script = TestEnvironment.repository.appendingPathComponent("Tests/tools/serve_zip.py").path
        let made = try TestEnvironment.run("python3", [script, kind, url.path, "--size", String(size)])
        try #require(made.status == 0, "\(made.stderr)")
    }

    @Test func aLargeZipEntryIsStreamedWithBoundedMemory() throws {
        let folder = TemporaryFolder()
        let zip = folder.path("big.zip")
        let size = 300_000_000
        try Self.makeZip("big", size: size, at: zip)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", zip.path, "--port", "0"])
        let got = try TestEnvironment.run("sh", ["-c", "curl -s \"$0\" | sha256sum", server.url + "big.bin"])
        let zeros = try TestEnvironment.run("sh", ["-c", "head -c \(size) /dev/zero | sha256sum"])
        #expect(got.stdout.prefix(64) == zeros.stdout.prefix(64), "the streamed file is not the 300 MB of the entry")
        let head = try TestEnvironment.run("curl", ["-sI", server.url + "big.bin"])
        #expect(head.stdout.contains("Content-Length: \(size)"), "\(head.stdout)")
        #expect(try TestEnvironment.get(server.url).status == 200)
        let peak = Self.peakKiB(of: server.process)
        _ = server.stop()
        #expect(peak < Self.peakBoundKiB, "pico serve peaked at \(peak >> 10) MiB serving a 300 MB entry")
    }

    @Test func anEntryThatUnpacksToMoreThanItsManifestSaysIsCutOffEarly() throws {
        let folder = TemporaryFolder()
        let zip = folder.path("lying.zip")
        try Self.makeZip("lying-entry", size: 1 << 30, at: zip) // index.html: 1 GiB where 46 bytes are listed
        let server = try ServerProcess(TestEnvironment.pico, ["serve", zip.path, "--port", "0"])
        let started = Date()
        let page = try TestEnvironment.get(server.url)
        #expect(page.status == 500)
        #expect(page.body.count < 200)
        #expect(Date().timeIntervalSince(started) < 5, "the whole bomb was read")
        let peak = Self.peakKiB(of: server.process)
        let log = server.stop()
        #expect(log.contains("refused /index.html: it is larger than the 46 bytes the manifest says"), "\(log)")
        #expect(peak < Self.peakBoundKiB, "pico serve peaked at \(peak >> 10) MiB")
    }

    @Test func aHugeManifestIsRefusedBeforeItIsRead() throws {
        let folder = TemporaryFolder()
        let zip = folder.path("manifest-bomb.zip")
        try Self.makeZip("manifest-bomb", size: 1 << 30, at: zip)
        let run = try TestEnvironment.run("timeout", ["30", "/usr/bin/time", "-f", "peak-rss-kib %M",
                                                      TestEnvironment.pico.path, "serve", zip.path, "--port", "0"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("pico-manifest.json in \(zip.path) is larger than 64 MiB"), "\(run.stderr)")
        let peak = run.stderr.components(separatedBy: "peak-rss-kib ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? Int.max
        #expect(peak < Self.peakBoundKiB + (64 << 10), "pico serve peaked at \(peak >> 10) MiB reading a 1 GiB manifest")
    }

    /// 1,100 idle connections (every tenth with a header that never ends) against a server
    /// started with the usual soft limit of 1,024 descriptors: pages are still served during the
    /// flood, the idle connections are closed after the 10 s timeout, and the server lives on.
    @Test(.enabled(if: hardDescriptorLimit >= 4096, "the flood needs a hard descriptor limit above 1,100 connections"))
    func aCrowdOfIdleConnectionsNeitherStopsNorCrashesTheServer() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["index.html": "<!doctype html><title>x</title><h1>Still here</h1>\n"], under: "site")
        let bundle = folder.path("bundle")
        #expect(try TestEnvironment.pico("build", site.path, "-o", bundle.path, "-q").status == 0)
        let server = try ServerProcess(URL(fileURLWithPath: "/bin/sh"),
                                       ["-c", "ulimit -Sn 1024 && exec \"$0\" serve \"$1\" --port 0", TestEnvironment.pico.path, bundle.path])
        let port = try #require(URL(string: server.url)?.port)
        let script = TestEnvironment.repository.appendingPathComponent("Tests/tools/serve_flood.py").path
        let flood = try TestEnvironment.run("python3", [script, String(port), "--connections", "1100", "--wait", "40"])
        let result = try #require(try JSONSerialization.jsonObject(with: Data(flood.stdout.utf8)) as? [String: Any], "\(flood.stderr)")
        let opened = result["opened"] as? Int ?? 0
        let probes = result["probes"] as? [Int] ?? []
        #expect(opened == 1100, "\(result)")
        #expect(!probes.isEmpty && probes.allSatisfy { $0 == 200 }, "normal requests during the flood: \(probes)")
        #expect(result["closed"] as? Int == opened, "the server did not close the idle connections: \(result)")
        #expect((result["seconds_to_close"] as? Double ?? 99) < 30, "\(result)")
        #expect(server.process.isRunning)
        #expect(try TestEnvironment.get(server.url).status == 200)
        let log = server.stop()
        #expect(!log.contains("Fatal error"), "\(log)")
    }

    /// pico serve verifies the manifest with the same policy as verify and fetch: a forged
    /// signature is refused from a folder and from an archive, and --signer demands the author.
    @Test func aForgedSignatureOrAnotherSignerIsNotServed() throws {
        let folder = TemporaryFolder()
        let signed = try SignaturePolicyTests.signedBundle(in: folder)
        let other = try SignaturePolicyTests.signedBundle(in: folder, named: "other")
        func serve(_ arguments: String...) throws -> ProcessOutput {
            // A server that starts would run until the timeout: 124 is a failure here.
            try TestEnvironment.run("timeout", ["10", TestEnvironment.pico.path, "serve"] + arguments + ["--port", "0"])
        }

        let right = try ServerProcess(TestEnvironment.pico, ["serve", signed.bundle.path, "--port", "0", "--signer", signed.npub])
        #expect(try TestEnvironment.get(right.url).status == 200)
        _ = right.stop()
        let wrong = try serve(signed.bundle.path, "--signer", other.npub)
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("signer: signed by \(signed.hex), not by the required \(other.hex)"), "\(wrong.stderr)")
        let site = folder.write(["index.html": "<!doctype html><title>u</title>\n"], under: "site-unsigned")
        #expect(try TestEnvironment.pico("build", site.path, "-o", folder.path("unsigned").path, "-q").status == 0)
        let unsigned = try serve(folder.path("unsigned").path, "--signer", other.npub)
        #expect(unsigned.status == 1 && unsigned.stderr.contains("not signed, but a signer was required"), "\(unsigned.stderr)")

        try SignaturePolicyTests.forgeSignature(of: signed.bundle)
        let forged = try serve(signed.bundle.path)
        #expect(forged.status == 1)
        #expect(forged.stderr.contains("signature: the signature does not match the bundle id"), "\(forged.stderr)")
        let zip = folder.path("forged.zip")
        #expect(try TestEnvironment.pico("pack", signed.bundle.path, "-o", zip.path).status == 0)
        let forgedZip = try serve(zip.path)
        #expect(forgedZip.status == 1 && forgedZip.stderr.contains("signature: the signature does not match"), "\(forgedZip.stderr)")
    }

    /// A served folder replaced by a bundle with a forged signature: the new version is refused
    /// and the last good one stays served; a good rebuild is picked up.
    @Test func aReplacementWithAForgedSignatureIsRefusedWhileServing() throws {
        let folder = TemporaryFolder()
        let signed = try SignaturePolicyTests.signedBundle(in: folder)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", signed.bundle.path, "--port", "0"])
        let before = try TestEnvironment.get(server.url + "pico-manifest.json")
        #expect(before.status == 200)
        try SignaturePolicyTests.forgeSignature(of: signed.bundle)
        let after = try TestEnvironment.get(server.url + "pico-manifest.json")
        #expect(after.body == before.body, "the forged manifest was served")
        #expect(try TestEnvironment.get(server.url).status == 200)
        let log = server.stop()
        #expect(log.contains("signature: the signature does not match") && log.contains("the last one that verified"), "\(log)")
    }

    /// A large file is checked, then streamed in a second pass; changed in place meanwhile, it
    /// is cut off before its last bytes, so the client never has a complete response that does
    /// not match the manifest (curl: "transfer closed with bytes remaining", exit 18).
    @Test func aLargeFileChangedWhileItIsSentIsCutOffBeforeItsEnd() throws {
        let folder = TemporaryFolder()
        let size = 40 << 20
        let site = folder.write(["index.html": "<!doctype html><title>x</title>\n"], under: "site")
        try Data(count: size).write(to: site.appendingPathComponent("big.bin"))
        let bundle = folder.path("bundle")
        #expect(try TestEnvironment.pico("build", site.path, "-o", bundle.path, "-q").status == 0)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", bundle.path, "--port", "0"])
        let received = folder.path("received.bin")
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "--limit-rate", "4M", "-o", received.path, server.url + "big.bin"]
        try curl.run()
        var started = false
        for _ in 0..<200 where !started {
            usleep(50_000)
            started = ((try? FileManager.default.attributesOfItem(atPath: received.path)[.size] as? Int) ?? 0) > 1 << 20
        }
        #expect(started, "the download did not start")
        let file = try FileHandle(forWritingTo: bundle.appendingPathComponent("big.bin"))
        try file.seek(toOffset: UInt64(size - 1))
        try file.write(contentsOf: Data([1]))
        try file.close()
        curl.waitUntilExit()
        let got = (try? FileManager.default.attributesOfItem(atPath: received.path)[.size] as? Int) ?? 0
        #expect(curl.terminationStatus == 18, "curl should see a cut-off transfer")
        #expect(got < size, "the changed file was sent whole")
        let log = server.stop()
        #expect(log.contains("cut off /big.bin: it changed"), "\(log)")
    }

    /// The same manifest limit for a bundle in S3: the client stops reading the object there.
    @Test func aHugeManifestInS3IsRefusedAtTheLimit() throws {
        let s3 = try S3TestServer()
        let folder = TemporaryFolder()
        let bundle = try BlogFixture.build(in: folder)
        try s3.makeBucket("sites")
        let published = try s3.pico(["publish", bundle.path, "--to", "s3://sites/blog"])
        try #require(published.status == 0, "\(published.stderr)")
        let bomb = folder.path("bomb.json")
        #expect(FileManager.default.createFile(atPath: bomb.path, contents: nil))
        let handle = try FileHandle(forWritingTo: bomb)
        try handle.truncate(atOffset: 200 << 20)
        try handle.close()
        let copied = try s3.aws(["s3", "cp", "--quiet", bomb.path, "s3://sites/blog/pico-manifest.json"])
        try #require(copied.status == 0, "\(copied.stderr)")
        let run = try TestEnvironment.run("timeout", ["60", "/usr/bin/time", "-f", "peak-rss-kib %M",
                                                      TestEnvironment.pico.path, "serve", "s3://sites/blog", "--port", "0"],
                                          environment: s3.environment)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("s3://sites/blog/pico-manifest.json is larger than \(64 << 20) bytes"), "\(run.stderr)")
        let peak = run.stderr.components(separatedBy: "peak-rss-kib ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? Int.max
        print("peak RSS, 200 MiB manifest in S3: \(peak >> 10) MiB")
        #expect(peak < Self.peakBoundKiB + (128 << 10), "pico serve peaked at \(peak >> 10) MiB reading a 200 MiB manifest from S3")
    }

    /// Clients that ask for a streamed file and never read it: the idle timeout does not apply
    /// while a response is being written, so a connection that cannot be written to for 10 s is
    /// closed. (A buffered answer is handed to NIO whole, and then the idle timeout applies.)
    @Test func clientsThatNeverReadTheirAnswerAreClosed() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["index.html": "<!doctype html><title>x</title>\n"], under: "site")
        try Data(count: 4 << 20).write(to: site.appendingPathComponent("page.bin")) // streamed: over 1 MiB
        let bundle = folder.path("bundle")
        #expect(try TestEnvironment.pico("build", site.path, "-o", bundle.path, "-q").status == 0)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", bundle.path, "--port", "0"])
        let pid = server.process.processIdentifier
        func descriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0 }
        let before = descriptors()
        let port = try #require(URL(string: server.url)?.port)

        let readers = Process()
        let output = Pipe()
        readers.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        readers.arguments = [TestEnvironment.repository.appendingPathComponent("Tests/tools/serve_slow_readers.py").path,
                             String(port), "--connections", "200", "--path", "/page.bin", "--hold", "45"]
        readers.standardOutput = output
        try readers.run()
        defer { readers.terminate() }
        _ = output.fileHandleForReading.availableData // {"opened": 200}: every request is sent
        usleep(1_000_000)
        let during = descriptors()
        #expect(during >= before + 200, "the server holds \(during - before) of the 200 connections")
        var after = during
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, after > before + 10 {
            usleep(500_000)
            after = descriptors()
        }
        #expect(readers.isRunning, "the readers gave up first")
        #expect(after <= before + 10, "still \(after - before) connections open after 30 s")
        #expect(try TestEnvironment.get(server.url).status == 200)
        // No memory bound asserted here: until they are closed, 200 stalled streams were
        // measured at 1.5 to 3 MiB each, more than the two chunks each holds; not yet explained.
        _ = server.stop()
    }
}
