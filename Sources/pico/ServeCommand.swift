import ArgumentParser
import Foundation
import PicoBuild
import PicoCore
import PicoNostr
import PicoServer
import PicoSilo

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a bundle on 127.0.0.1, checking every file as it is served.",
        discussion: """
        TARGET is a bundle folder, a bundle archive (.zip, .tar, .tar.gz, .tar.zst), served \
        straight out of the archive without unpacking it, a library folder that holds one \
        bundle (file:///path), or a bundle in S3 \
        (s3://bucket/prefix), read object by object, or on nostr relays \
        (nostr:npub1…?relay=ws://… or nostr:naddr1…), read event by event. Every response is checked against \
        the manifest's SHA-256: a file that does not match gets an error response and a log \
        line, never its bytes. The manifest is verified first (id, SHA256SUMS, paths, and a \
        signature when there is one, which must be valid; with --signer it must be that \
        author's): a bundle that fails is not served at all. Idle connections, and requests \
        whose header does not arrive, are closed after 10 s. --base serves the bundle under a sub-path, to try it as it \
        would be on any host.

        pico serve --gateway [--relay wss://…]… [--port N] [--cache DIR] is a local nsite (NIP-5A) gateway instead: \
        each request's host names a site, http://NPUB.localhost:PORT/ an author's root site (kind 15128), \
        http://PUBKEYB36D.localhost:PORT/ a named site (kind 35128: the key as 50 base36 characters, then the site's d). \
        The site event is read from the relays, a path is the exact path, a folder's index.html, else the site's \
        /404.html with status 404. Every blob is checked against its path tag's SHA-256 before a byte is sent: a \
        server with other bytes is passed over for the next (the server tags, then the author's kind-10063 list), and \
        with no good copy the answer is a 502 page naming the problem. Verified blobs and site events are kept in \
        DIR (default ~/.cache/pico: blobs/, at most 1 GiB, the least recently used removed first; sites/), so a site \
        visited once is still served with the relays and servers gone; the relays are asked again after --refresh \
        seconds, in the background. Browsers resolve *.localhost to this machine.
        """
    )

    @Argument(help: "A bundle folder, archive, file:///library, s3://bucket/prefix, https://host/path/ (any web server), or nostr:npub1…?relay=ws://… (none with --gateway).", completion: .file())
    var target: String?

    @Option(help: "The port on 127.0.0.1 (0 picks a free one).")
    var port = 8080

    @Option(help: "The path the bundle appears under, e.g. /a/b/.")
    var base = "/"

    @Flag(help: "With a pico site: rebuild on every change and reload open pages.")
    var watch = false

    @Flag(help: "Be a local nsite gateway: sites by host name, NPUB.localhost:PORT and PUBKEYB36D.localhost:PORT.")
    var gateway = false

    @Option(name: .customLong("relay"), help: "With --gateway: a relay to read site events from (ws:// or wss://; several allowed).")
    var relays: [String] = []

    @Option(help: "With --gateway: the cache folder (default ~/.cache/pico).", completion: .directory)
    var cache: String?

    @Option(help: "With --gateway: seconds a site event is used before the relays are asked again, in the background.")
    var refresh = 30

    @OptionGroup var signer: SignerOption

    @OptionGroup var from: LibraryOption

    func validate() throws {
        if gateway {
            if let target { throw ValidationError("--gateway serves sites by host name, not \(target): leave TARGET out") }
            if watch || base != "/" || signer.signer != nil {
                throw ValidationError("--watch, --base and --signer are for serving one bundle, not with --gateway")
            }
            for relay in relays { _ = try RelayTarget(parsing: relay) }
        } else {
            if target == nil { throw ValidationError("give the bundle to serve (TARGET), or --gateway") }
            if !relays.isEmpty || cache != nil { throw ValidationError("--relay and --cache are for --gateway") }
        }
        if refresh < 1 || refresh > 86_400 { throw ValidationError("--refresh is 1 to 86400 seconds") }
    }

    func run() async throws {
        guard let target else { return try await runGateway() }
        let source: any BundleReader
        var sealed: SealedVersions?
        do {
            let parsed = try from.target(target)
            if case .site(let site) = parsed.form {
                if watch { sealed = SealedVersions() }
                source = try Self.build(site, watching: watch, handingTo: sealed)
            } else if watch {
                throw VerifyFailure("--watch needs a pico site (a folder with \(SiteConfig.fileName)) to rebuild; \(target) is not one")
            } else {
                source = try parsed.reader()
            }
        } catch {
            Terminal.fail(error)
        }
        var server = BundleServer(source: source, port: port, basePath: base, verifier: signer.verifier) { line in
            Terminal.error("pico serve: \(line)")
        }
        server.reloadsPages = watch
        server.sealed = sealed
        do {
            try await server.run { address in
                // Written unbuffered: scripts and tests read the address as soon as it is there.
                FileHandle.standardOutput.write(Data("Serving \(source.description) at \(address)  (Ctrl-C stops)\n".utf8))
            }
        } catch {
            await source.close()
            Terminal.fail(error)
        }
        // After Ctrl-C or SIGTERM the server returns; a remote source's HTTP client must be shut
        // down before it goes away (AsyncHTTPClient stops the process otherwise).
        await source.close()
    }

    func runGateway() async throws {
        let folder = cache.map { URL(fileURLWithPath: $0) } ?? NsiteGateway.defaultCacheFolder()
        let log: @Sendable (String) -> Void = { Terminal.error("pico serve: \($0)") }
        var gateway = NsiteGateway(port: port, relays: relays, cacheFolder: folder,
                                   openReader: { NostrSilo.gatewayReader(for: $0, warn: log) }, log: log)
        gateway.refreshAfter = .seconds(refresh)
        do {
            try await gateway.run { address, port in
                FileHandle.standardOutput.write(Data("""
                    Serving the nsite gateway at \(address)  (Ctrl-C stops)
                       sites at http://NPUB.localhost:\(port)/ and http://PUBKEYB36D.localhost:\(port)/; \
                    relays: \(relays.isEmpty ? "none (cached sites only)" : relays.joined(separator: ", ")); cache: \(folder.path)

                    """.utf8))
            }
        } catch {
            Terminal.fail(error)
        }
    }

    /// Builds the site into SITE/public, and with `watching` rebuilds it on every change the
    /// build would see (only what the change affects, when that can be told: WatchBuilder);
    /// the reader of what it built.
    /// A rebuild made page by page hands its seal to `sealed` (the server's), in memory.
    static func build(_ site: URL, watching: Bool, handingTo sealed: SealedVersions? = nil) throws -> any BundleReader {
        let output = BundleBuilder.defaultOutput(for: site, isPicoSite: true)
        // Watching starts before the first build, so a change made during it is seen.
        let watcher = watching ? try SiteWatcher(site: site, output: output) : nil
        var options = BundleBuilder.Options(input: site, output: output)
        options.sourceDateEpoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int($0) }
        // Signed as pico build signs (PICO_KEY, else the default key file), so what serve
        // leaves in SITE/public is what pico build would have made.
        do { options.signer = try KeyFile.authorKey(option: nil) } catch { Terminal.fail(error) }
        let builder = WatchBuilder(options)
        builder.indexesInBackground = watching
        builder.indexed = { Terminal.error("pico serve: \($0)") }
        if let sealed {
            builder.sealed = { sealed.hand($0) }
        }
        rebuild(builder, after: nil, failHard: true)
        if let watcher {
            // Its own thread: a rebuild blocks while it runs, and must not hold up serving.
            Thread.detachNewThread {
                do { try watcher.run { changes in rebuild(builder, after: changes, failHard: false) } } catch {
                    Terminal.error("pico serve: no longer watching \(site.path): \(error)")
                }
            }
        }
        return FolderBundleReader(root: output)
    }

    /// Builds the site; errors are printed (and end pico when `failHard`, at the start).
    static func rebuild(_ builder: WatchBuilder, after changes: Set<String>?, failHard: Bool) {
        let started = Date()
        do {
            let outcome = try builder.build(after: changes)
            let shown = outcome.rerendered.count <= 5 ? outcome.rerendered.joined(separator: ", ")
                : outcome.rerendered.prefix(5).joined(separator: ", ") + " and \(outcome.rerendered.count - 5) more"
            let made = outcome.rendered.count
            let what = outcome.plannedAgain
                ? "planned again, rendered \(made) page\(made == 1 ? "" : "s"), rewrote \(outcome.rerendered.isEmpty ? "no page" : shown)"
                : outcome.rerendered.isEmpty ? "built \(outcome.fileCount) files" + (changes == nil ? "" : outcome.wholeBecause.map { " (whole: \($0))" } ?? "")
                : "re-rendered \(shown)"
            Terminal.error(String(format: "pico serve: %@ in %.3f s (bundle %@)", what,
                                  Date().timeIntervalSince(started), String(outcome.manifest.id.prefix(12))))
        } catch {
            if failHard { Terminal.fail(error) }
            Terminal.error("pico serve: the rebuild failed; still serving the last good build:\n\(error)")
        }
    }
}
