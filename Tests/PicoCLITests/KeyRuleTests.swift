import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// One rule decides the key for `pico build` (the bundle's signature) and `pico publish` (the
/// nostr events): --key, else PICO_KEY, else the default key file. publish used to fall back to
/// the default file and build did not, so the two could sign with different keys.
@Suite(.serialized) struct KeyRuleTests {
    /// A tiny site, and an environment whose default key folder is inside `folder`.
    static func setUp(_ folder: TemporaryFolder) -> (site: URL, environment: [String: String]) {
        let site = folder.write(["pico.toml": "title = \"Keys\"\n", "content/_index.md": "# Keys\n"], under: "site")
        return (site, ["XDG_CONFIG_HOME": folder.path("config").path, "PICO_KEY": ""])
    }

    static func newKey(_ arguments: [String], environment: [String: String]) throws -> String {
        let made = try TestEnvironment.run(TestEnvironment.pico.path, ["key", "new", "--json"] + arguments, environment: environment)
        try #require(made.status == 0, "\(made.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: String])
        return try #require(json["pubkey"])
    }

    /// The hex key `pico build` signed with (nil: unsigned).
    static func buildSigner(_ site: URL, into output: URL, _ extra: [String] = [], environment: [String: String]) throws -> String? {
        let built = try TestEnvironment.run(TestEnvironment.pico.path, ["build", site.path, "-o", output.path, "--json"] + extra,
                                            environment: environment)
        try #require(built.status == 0, "\(built.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(built.stdout.utf8)) as? [String: Any])
        return json["signer"] as? String
    }

    /// Publishes to the relay and returns the hex key of the author the relay now holds a site by
    /// (the one `verify --signer` accepts).
    static func publishAndCheck(_ bundle: URL, relay: NostrTestRelay, signer: String, _ extra: [String] = [],
                                environment: [String: String]) throws {
        let published = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", bundle.path, "--to", relay.url, "--json"] + extra,
                                                environment: environment)
        try #require(published.status == 0, "\(published.stderr)")
        #expect(!published.stderr.contains("not signed"), "\(published.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(published.stdout.utf8)) as? [String: Any])
        let address = try #require(json["fetch"] as? String)
        let verified = try TestEnvironment.run(TestEnvironment.pico.path, ["verify", address, "--signer", signer], environment: environment)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test func buildAndPublishBothTakeTheDefaultKeyFile() throws {
        let relay = try NostrTestRelay()
        let folder = TemporaryFolder()
        let (site, environment) = Self.setUp(folder)
        let key = try Self.newKey([], environment: environment)
        #expect(FileManager.default.fileExists(atPath: folder.path("config/pico/author.key").path))
        let bundle = folder.path("bundle")
        #expect(try Self.buildSigner(site, into: bundle, environment: environment) == key)
        try Self.publishAndCheck(bundle, relay: relay, signer: key, environment: environment)
    }

    @Test func picoKeyComesBeforeTheDefaultFileAndKeyBeforeBoth() throws {
        let relay = try NostrTestRelay()
        let folder = TemporaryFolder()
        var (site, environment) = Self.setUp(folder)
        _ = try Self.newKey([], environment: environment)
        let fromEnvironment = try Self.newKey(["-o", folder.path("env.key").path], environment: environment)
        environment["PICO_KEY"] = folder.path("env.key").path
        let bundle = folder.path("bundle")
        #expect(try Self.buildSigner(site, into: bundle, environment: environment) == fromEnvironment)
        try Self.publishAndCheck(bundle, relay: relay, signer: fromEnvironment, environment: environment)

        let fromOption = try Self.newKey(["-o", folder.path("option.key").path], environment: environment)
        let other = folder.path("other")
        #expect(try Self.buildSigner(site, into: other, ["--key", folder.path("option.key").path], environment: environment) == fromOption)
        try Self.publishAndCheck(other, relay: relay, signer: fromOption, ["--key", folder.path("option.key").path], environment: environment)
    }

    @Test func withNoKeyAnywhereTheBundleIsUnsigned() throws {
        let folder = TemporaryFolder()
        let (site, environment) = Self.setUp(folder)
        #expect(try Self.buildSigner(site, into: folder.path("bundle"), environment: environment) == nil)
    }
}
