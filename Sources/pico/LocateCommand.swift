import ArgumentParser
import Foundation
import PicoCore
import PicoSilo

struct LocateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locate",
        abstract: "Check every place a bundle's name record lists, at once.",
        discussion: """
        NAME is nostr:naddr1…, nostr:npub1…/NAME or did:nostr:<hex>/NAME (?relay=wss://… adds relays). \
        pico reads the newest record that verifies, then checks each place it lists (mirror, \
        Blossom server, relay chunks, and the library given with --from) concurrently: current \
        (every file verifies), stale (it holds another bundle id), tampered (the first bad file \
        is named) or unreachable (the error). Exit 1 when any place is not current.
        """
    )

    @Argument(help: "The bundle's name (nostr:naddr1…, nostr:npub1…/NAME, did:nostr:<hex>/NAME).")
    var name: String

    @OptionGroup var from: LibraryOption

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let report: NamedBundle.LocateReport
        do {
            let name = try SiteName(parsing: name)
            report = try await NamedBundle(name: name, library: from.library).locate()
        } catch {
            Terminal.fail(error)
        }
        if json {
            print(JSONValue.object([
                "name": .string(report.name), "bundle": .string(report.bundleID), "record": .string(report.recordSource),
                "resolve_seconds": .string(String(format: "%.3f", report.resolveSeconds)),
                "places": .array(report.places.map { place in
                    .object(["place": .string(place.location), "kind": .string(place.kind.rawValue), "state": .string(place.state.word),
                             "detail": .string(place.state.detail), "seconds": .string(String(format: "%.3f", place.seconds))])
                }),
            ]).canonicalString)
        } else {
            Terminal.output("\(report.name)")
            Terminal.output("   bundle id \(report.bundleID), record from \(report.recordSource) (\(String(format: "%.2f", report.resolveSeconds)) s)")
            let width = min(60, report.places.map(\.location.count).max() ?? 5)
            Terminal.output("PLACE".padding(toLength: width, withPad: " ", startingAt: 0) + "  KIND     STATE        TIME     DETAIL")
            for place in report.places {
                let shown = place.location.count > width ? String(place.location.prefix(width - 1)) + "…" : place.location
                Terminal.output(shown.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                                + place.kind.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0) + "  "
                                + place.state.word.padding(toLength: 11, withPad: " ", startingAt: 0) + "  "
                                + String(format: "%6.2f s", place.seconds) + "  " + place.state.detail)
            }
        }
        if !report.allCurrent { throw ExitCode(1) }
    }
}

/// `--from DIR`: a folder library read first when a bundle is named (fetch, verify, serve, locate).
struct LibraryOption: ParsableArguments {
    @Option(name: .customLong("from"), help: "With a name: a folder library (or drive) to read first; it keeps each bundle's record, so it also works offline.", completion: .directory)
    var from: String?

    var library: URL? { from.map { URL(commandLinePath: $0) } }

    /// What the command reads: the name through the library when --from is given.
    func target(_ text: String) throws -> BundleTarget {
        guard let library else { return try BundleTarget(parsing: text) }
        return try BundleTarget(name: text, library: library)
    }
}
