import ArgumentParser
import Foundation
import PicoCore
import PicoServer
import PicoSilo

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a bundle on 127.0.0.1, checking every file as it is served.",
        discussion: """
        TARGET is a bundle folder, a bundle archive (.zip, .tar, .tar.gz, .tar.zst), served \
        straight out of the archive without unpacking it, or a bundle in S3 \
        (s3://bucket/prefix), read object by object, or on nostr relays \
        (nostr:npub1…?relay=ws://… or nostr:naddr1…), read event by event. Every response is checked against \
        the manifest's SHA-256: a file that does not match gets an error response and a log \
        line, never its bytes. --base serves the bundle under a sub-path, to try it as it \
        would be on any host.
        """
    )

    @Argument(help: "A bundle folder, archive, s3://bucket/prefix, or nostr:npub1…?relay=ws://….", completion: .file())
    var target: String

    @Option(help: "The port on 127.0.0.1 (0 picks a free one).")
    var port = 8080

    @Option(help: "The path the bundle appears under, e.g. /a/b/.")
    var base = "/"

    func run() async throws {
        let source: any BundleSource
        if target.contains("://") || target.hasPrefix("nostr:") {
            let silo: any Silo
            do { silo = try SiloAddress.silo(for: target) } catch { Terminal.fail(error) }
            guard let remote = silo as? any Silo & RemoteBundle else {
                Terminal.fail(VerifyFailure("\(target): pico serve reads bundle folders, archives, s3:// and nostr: addresses"))
            }
            source = SiloSource(silo: remote)
        } else {
            let url = URL(commandLinePath: target)
            source = FileTree.isDirectory(url) ? FolderSource(root: url) : ArchiveSource(archive: url)
        }
        let server = BundleServer(source: source, port: port, basePath: base) { line in
            Terminal.error("pico serve: \(line)")
        }
        do {
            try await server.run { address in
                // Written unbuffered: scripts and tests read the address as soon as it is there.
                FileHandle.standardOutput.write(Data("Serving \(source.description) at \(address)  (Ctrl-C stops)\n".utf8))
            }
        } catch {
            Terminal.fail(error)
        }
    }
}
