import ArgumentParser
import Foundation
import PicoCore
import PicoNostr
import PicoSilo

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Put a bundle on one or more silos.",
        discussion: """
        SILO is a folder or thumb drive (a path or file:///abs/path), an S3-compatible bucket \
        (s3://bucket/prefix), a nostr relay (ws://, wss://) or a Blossom server (blossom+https://).

        A folder that holds bundles is a library: the bundle goes into its own sub-folder and \
        index.html at the top lists every bundle. A publish killed at any moment leaves the \
        previous version complete; running it again finishes the new one. Names FAT32/exFAT \
        cannot hold are reported as warnings (errors with --strict-portable).

        In S3 every file becomes one object keyed by its path under the prefix, with its \
        Content-Type and Cache-Control, so S3 website hosting serves the bundle as it is. \
        Credentials and endpoint come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, \
        AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL or AWS_PROFILE (~/.aws/credentials), \
        or from the address: s3://bucket/prefix?endpoint=URL&region=R&profile=P&addressing=path. \
        Only files that differ from the bucket's pico-manifest.json are sent; --prune then \
        deletes the objects the new manifest no longer lists.

        A nostr relay (ws://host:port or wss://host) gets each file's content as signed chunk \
        events, sized to the relay's NIP-11 limits, and then one NIP-5A site manifest event \
        (kind 35128, d = the bundle's name in a-z0-9-, or ?site=NAME; ?site=root publishes the \
        author's root site, kind 15128). Contents a relay already holds are not sent again. \
        Several --to relays are published to at once. The events are signed with --key (or \
        PICO_KEY, or ~/.config/pico/author.key); pico prints the nostr:naddr… address to fetch it. \
        The site id must be 1 to 13 of a-z, 0-9 and - (NIP-5A), not ending in -.

        A Blossom server (blossom+https://host, or blossom+http:// on this machine; several \
        allowed, always with the relays) gets every file as a blob (BUD-02 PUT /upload, \
        authorized by a kind-24242 event signed with the key); a blob another server already \
        holds is copied with PUT /mirror (BUD-04), and blobs a server holds are not sent again. \
        The site event then names the servers in server tags, so nsite gateways can show the \
        site. Without a Blossom server the files go to the relays as pico's own chunk events, \
        which only pico reads.

        The site event is the name's record: besides server tags it lists every place the \
        bundle lives, relay tags (the relays) and mirror tags (http(s) base URLs serving it as \
        plain files: an S3 target's ?public=https://… URL, or the endpoint's own URL for a \
        path-style server on this machine; --mirror URL for any web host). It keeps the places \
        of the newest record the relays hold, less those named with --drop (a server, relay or \
        mirror URL, or an s3:// address, meaning its mirror URL), and adds the ones this command \
        wrote to; so moving is --to the new place --drop the old one. A record older than one \
        pico has accepted for the name is refused. A folder library given in the same command \
        keeps the signed record beside the bundle (site-event.json), and its index.html shows \
        the bundle's name (naddr) and author.

        Every silo gets the manifest last, so a reader never sees a new manifest over old files.
        """
    )

    @Argument(help: "The bundle folder.", completion: .directory)
    var bundle: String

    @Option(name: .customLong("to"), help: "Where to publish (repeat for several silos).")
    var silos: [String]

    @Option(help: "The author key file that signs nostr events (default: PICO_KEY, then ~/.config/pico/author.key).", completion: .file())
    var key: String?

    @Flag(help: "Treat names that FAT32/exFAT cannot hold as errors.")
    var strictPortable = false

    @Flag(help: "S3: delete objects under the prefix that the new manifest does not list (after it is in place).")
    var prune = false

    @Flag(help: "nostr: also publish the author's Blossom server list (kind 10063) and relay list (kind 10002), merged with the ones the relays hold, so gateways find the site.")
    var announce = false

    @Option(name: .customLong("mirror"), help: "nostr: an http(s) base URL that serves the bundle as plain files, added to the record (repeat for several).")
    var mirrors: [String] = []

    @Option(name: .customLong("drop"), help: "nostr: a place the record must no longer list (a mirror, server or relay URL, or an s3:// address).")
    var drops: [String] = []

    @Flag(help: "Print one JSON object per silo.")
    var json = false

    func validate() throws {
        if silos.isEmpty { throw ValidationError("Give at least one --to SILO.") }
        if !(mirrors.isEmpty && drops.isEmpty), !silos.contains(where: { $0.hasPrefix("ws://") || $0.hasPrefix("wss://") }) {
            throw ValidationError("--mirror and --drop change the name's record, the site event on nostr relays: add --to wss://RELAY")
        }
        for mirror in mirrors where SitePlaces.mirrorBase(mirror) == nil {
            throw ValidationError("--mirror \(mirror) is not an http:// or https:// base URL (no query, no user part)")
        }
    }

    func run() async throws {
        var failed = false
        let destinations: [(address: String, silo: any Silo)]
        do {
            // The key rule build uses too: --key, PICO_KEY, or the default key file when it exists.
            destinations = try SiloAddress.publishDestinations(silos) { try KeyFile.authorKey(option: key.map { URL(commandLinePath: $0).path }) }
        } catch {
            Terminal.fail(error)
        }
        // --drop s3://…: the place the record lists for it is the bucket's mirror URL.
        var dropped: [String] = []
        for drop in drops {
            guard drop.hasPrefix("s3://") else { dropped.append(drop); continue }
            do {
                guard let base = (try SiloAddress.silo(for: drop) as? S3Silo)?.location.mirrorBase else {
                    Terminal.fail(SiloError("--drop \(drop): an S3 address without ?public=https://… (and not on this machine) names no mirror; drop the mirror URL itself"))
                }
                dropped.append(base)
            } catch {
                Terminal.fail(SiloError("--drop \(drop): \(error)"))
            }
        }
        // The record is written last: it lists every place the other silos now hold the bundle.
        let ordered = destinations.filter { !($0.silo is NostrSilo) } + destinations.filter { $0.silo is NostrSilo }
        var bucketMirrors: [String] = []
        var libraries: [FilesystemSilo] = []
        for (address, silo) in ordered {
            do {
                var options = PublishOptions()
                options.strictPortable = strictPortable
                options.prune = prune
                options.announce = announce
                // The buckets written to first, then --mirror hosts, as the record lists them.
                options.mirrors = bucketMirrors + mirrors.compactMap(SitePlaces.mirrorBase)
                options.drops = dropped
                options.history = RecordHistory.standard()
                options.progress = Terminal.transferBar("Publishing", enabled: !json)
                var result = try await silo.publish(bundle: URL(commandLinePath: bundle), options: options)
                Terminal.clearProgress(enabled: !json)
                if let base = (silo as? S3Silo)?.location.mirrorBase, !bucketMirrors.contains(base) { bucketMirrors.append(base) }
                if let library = silo as? FilesystemSilo { libraries.append(library) }
                if let event = result.siteEvent {
                    for library in libraries {
                        result.warnings += library.storeRecord(event, of: result.manifest)
                    }
                }
                for warning in result.warnings { Terminal.error("warning: \(warning)") }
                if json {
                    print(JSONValue.object([
                        "silo": .string(result.address), "id": .string(result.manifest.id),
                        "written": .int(result.written), "unchanged": .int(result.unchanged),
                        "removed": .int(result.removed), "bytes": .int(result.bytesWritten),
                        "requests": .object(result.requests.mapValues { .int($0) }), "retries": .int(result.retries),
                        "fetch": result.fetchAddress.map(JSONValue.string) ?? .null,
                        "record": result.siteEvent.map { JSONValue.string($0.id) } ?? .null,
                    ]).canonicalString)
                } else {
                    Terminal.output("Published \"\(result.manifest.name)\" to \(result.address): \(result.written) files written "
                          + "(\(Terminal.bytes(result.bytesWritten))), \(result.unchanged) unchanged, \(result.removed) removed")
                    Terminal.output("   bundle id \(result.manifest.id)")
                    if !result.requests.isEmpty {
                        let counts = result.requests.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                        Terminal.output("   requests: \(counts)" + (result.retries > 0 ? " (\(result.retries) retried)" : ""))
                    }
                    for line in result.details { Terminal.output("   \(line)") }
                    if let fetchAddress = result.fetchAddress { Terminal.output("   fetch it with: pico fetch \"\(fetchAddress)\" -o DIR") }
                }
            } catch {
                Terminal.clearProgress(enabled: !json)
                Terminal.error("error: publishing to \(address): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Copy a bundle from a silo into a new folder, verifying everything.",
        discussion: """
        Nothing is left in DIR unless the whole bundle verified. From S3 the files are \
        downloaded concurrently and each is hashed as it arrives; so they are from \
        https://host/path/, a bundle any web server serves as plain files.

        From nostr relays: nostr:npub1…?relay=wss://a&relay=wss://b (the author's root site, or \
        their only site; &site=NAME picks one) or the nostr:naddr1… that pico publish printed. \
        pico takes the author's newest site manifest event, checks every event's id and \
        signature, every chunk, every file's SHA-256 and the bundle's signature, and refuses \
        forged or altered events, naming the file they belong to.

        By name: nostr:naddr1…, nostr:npub1…/NAME or did:nostr:<hex>/NAME. pico reads the \
        newest record (site event) that verifies, then tries the places it lists in order: the \
        library given with --from DIR, mirror tags (plain http(s) files), Blossom servers, relay \
        chunk events. SHA256SUMS must hash to the signed bundle id; each file comes from the \
        first place whose bytes verify, and a place that serves a wrong byte is skipped and named. \
        With --from the record kept in the library is enough when no relay answers.
        """
    )

    @Argument(help: "The silo address of one bundle (a folder, file:///path, s3://bucket/prefix, https://host/path/ of any web server, or nostr:npub1…?relay=ws://…).")
    var silo: String

    @Option(name: .shortAndLong, help: "The folder to create.")
    var output: String

    @OptionGroup var from: LibraryOption

    @OptionGroup var signer: SignerOption

    func run() async throws {
        do {
            let destination = URL(commandLinePath: output)
            let report = try await from.target(silo).fetch(to: destination, verifier: signer.verifier)
            Terminal.output("Fetched and verified \(report.checkedFiles) files (\(Terminal.bytes(report.checkedBytes))) into \(destination.path)")
            Terminal.output("   bundle id \(report.manifest?.id ?? "")")
            if let note = report.note { Terminal.output("   note: \(note)") }
        } catch {
            Terminal.fail(error)
        }
    }
}
