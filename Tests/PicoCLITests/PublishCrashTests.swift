import Foundation
import PicoTestSupport
import Testing

/// `pico publish` to a folder killed with SIGKILL at random moments: each time the target
/// verifies as the old or the new bundle, and running the publish again finishes it.
@Suite struct PublishCrashTests {
    static func site(_ version: String) -> [String: String] {
        var files = ["index.html": "<h1>\(version)</h1>"]
        for i in 0..<150 { files["p\(i / 10)/\(i).html"] = "<p>\(version) page \(i) " + String(repeating: "x", count: 2000) + "</p>" }
        return files
    }

    func verifiedID(_ target: URL) throws -> String? {
        let result = try TestEnvironment.pico("verify", target.path, "--json")
        guard result.status == 0,
              let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else { return nil }
        return json["id"] as? String
    }

    @Test func killedAtTwentyRandomMomentsItLeavesOneWholeVersion() throws {
        let folder = TemporaryFolder()
        let v1 = try folder.makeBundle(Self.site("v1"), under: "v1", name: "Crash")
        let v2 = try folder.makeBundle(Self.site("v2"), under: "v2", name: "Crash")
        let (id1, id2) = (folder.bundleID(v1)!, folder.bundleID(v2)!)
        let drive = folder.path("drive")
        let target = drive.appendingPathComponent("crash")

        // How long one publish of v2 over v1 takes, to spread the kills over it.
        #expect(try TestEnvironment.pico("publish", v1.path, "--to", drive.path).status == 0)
        let started = Date()
        #expect(try TestEnvironment.pico("publish", v2.path, "--to", drive.path).status == 0)
        let duration = max(Date().timeIntervalSince(started), 0.05)

        var generator = SystemRandomNumberGenerator()
        var sawOld = false, sawNew = false
        // The kills spread over twice the measured time, and the rounds go on (up to 40) until
        // both sides were seen: with the other suites running beside it, one publish can take
        // much longer than the one measured, and twenty kills all landed before its commit.
        var round = 0
        while round < 20 || (round < 40 && !(sawOld && sawNew)) {
            defer { round += 1 }
            #expect(try TestEnvironment.pico("publish", v1.path, "--to", drive.path).status == 0)
            #expect(try verifiedID(target) == id1)

            let process = Process()
            process.executableURL = TestEnvironment.pico
            process.arguments = ["publish", v2.path, "--to", drive.path]
            process.standardOutput = TestEnvironment.devNull()
            process.standardError = TestEnvironment.devNull()
            try process.run()
            Thread.sleep(forTimeInterval: Double.random(in: 0...(2 * duration), using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let id = try verifiedID(target)
            #expect(id == id1 || id == id2, "round \(round): the target verifies as neither version")
            sawOld = sawOld || id == id1
            sawNew = sawNew || id == id2
            #expect(try TestEnvironment.pico("publish", v2.path, "--to", drive.path).status == 0)
            #expect(try verifiedID(target) == id2, "round \(round): the re-run did not finish the new version")
        }
        // The kills landed at different stages (not all before or all after the publish).
        #expect(sawOld && sawNew, "every kill landed on the same side of the commit: old \(sawOld), new \(sawNew)")
    }
}
