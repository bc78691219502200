import ArgumentParser
import Foundation
import PicoBuild
import PicoCore
import PicoNostr

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a site into a verifiable, host-independent bundle.",
        discussion: """
        SITE with a pico.toml is a pico site: content/ (Markdown or HTML with YAML or TOML front \
        matter), templates/ (Mustache), static/ (copied as is). SITE without pico.toml is taken \
        as a finished static site (for example Hugo's public/) and bundled as it is.

        Every internal link is made relative and file://-safe; a link to a file the bundle does \
        not hold fails the build with its file:line:column. The bundle gets SHA256SUMS and \
        pico-manifest.json. OUT is replaced only when the whole build succeeded.

        Symbolic links to files inside SITE are followed; --follow-symlinks also follows links \
        to folders inside SITE, and --follow-symlinks-outside links to files outside it. Links \
        to hidden or secret files, special files and loops are never followed; files that hold \
        keys (by name or by content) are left out or fail the build. Pages, templates and the HTML \
        and CSS pico rewrites are read up to 16 MiB each ([build] max_page_mib in pico.toml).

        OUT defaults to SITE/public for a pico site and to NAME.bundle beside a finished site. \
        The bundle is named after pico.toml's title, or a finished site's index.html <title> \
        (else its folder); --name overrides both.

        Past 20 errors of one kind, the rest are counted and listed in a file in the temporary \
        folder; --json prints every error.
        """
    )

    @Argument(help: "The site folder.", completion: .directory)
    var site: String = "."

    @Option(name: .shortAndLong, help: "The bundle folder to write (replaced whole).")
    var output: String?

    @Option(help: "Sign the bundle id with this author key file (default: PICO_KEY, a key file or an nsec, then ~/.config/pico/author.key when it exists; the same rule as publish).", completion: .file())
    var key: String?

    @Flag(help: "Report links to missing files as warnings instead of failing.")
    var allowBrokenLinks = false

    @Option(help: ArgumentHelp("What the service worker caches when it installs: all, visited (the app shell, then pages as they are visited) or auto (all up to 10 MiB). Overrides [app] offline.",
                               valueName: "all|visited|auto"))
    var offline: OfflineMode?

    @Flag(name: .customLong("no-search"), help: "Leave the search index (pico-search/, search/index.html) out of the bundle, whatever [search] in pico.toml says.")
    var noSearch = false

    @Option(help: "The bundle's name (default: pico.toml's title, or the finished site's <title>).")
    var name: String?

    @Flag(help: "Copy what symbolic links to folders inside SITE point to.")
    var followSymlinks = false

    @Flag(help: "Also copy files outside SITE that symbolic links point to (never keys, hidden or special files).")
    var followSymlinksOutside = false

    @Flag(help: "Print one JSON object describing the result (on failure: every error).")
    var json = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let started = Date()
        var options = BundleBuilder.Options(input: URL(commandLinePath: site), output: output.map(URL.init(commandLinePath:)))
        options.allowBrokenLinks = allowBrokenLinks
        options.name = name
        options.symlinks = followSymlinksOutside ? .followIncludingOutsideFiles : followSymlinks ? .follow : .filesInside
        options.offline = offline
        options.search = !noSearch
        do { options.signer = try KeyFile.authorKey(option: key.map { URL(commandLinePath: $0).path }) } catch { Terminal.fail(error) }
        options.sourceDateEpoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int($0) }
        options.progress = Terminal.progressLine(enabled: !quiet && !json)
        let result: BundleBuilder.Result
        do {
            result = try BundleBuilder(options).build()
        } catch {
            Terminal.clearProgress(enabled: !quiet && !json)
            if json {
                let errors = (error as? FileErrors)?.errors ?? (error as? FileError).map { [$0] }
                let items = errors?.map(Terminal.json) ?? [.object(["message": .string(String(describing: error))])]
                print(JSONValue.object(["ok": .bool(false), "errors": .array(items)]).canonicalString)
                throw ExitCode(1)
            }
            Terminal.fail(error)
        }
        Terminal.clearProgress(enabled: !quiet && !json)
        if !result.warnings.isEmpty { Terminal.report(FileErrors(result.warnings)) }
        if !quiet, !json { for note in result.notes { Terminal.error("note: " + note) } }
        let seconds = Date().timeIntervalSince(started)
        let manifest = result.manifest
        if json {
            print(JSONValue.object([
                "output": .string(result.output.path), "id": .string(manifest.id), "name": .string(manifest.name),
                "files": .int(manifest.files.count), "bytes": .int(result.totalBytes), "pages": .int(result.pageCount),
                "kind": .string(result.kind.rawValue), "warnings": .int(result.warnings.count), "ok": .bool(true),
                "warning_list": .array(result.warnings.map(Terminal.json)),
                "notes": .array(result.notes.map(JSONValue.string)),
                "signer": manifest.signature.map { .string($0.pubkey) } ?? .null,
            ]).canonicalString)
        } else if !quiet {
            print("""
            Built \(result.kind.rawValue) "\(manifest.name)" into \(result.output.path)
              \(result.pageCount) pages, \(manifest.files.count) files, \(Terminal.bytes(result.totalBytes)) in \(String(format: "%.2f", seconds)) s
              bundle id \(manifest.id)\(manifest.signature.map { "\n  signed by " + PublicKeyArgument.npub($0.pubkey) } ?? "")
              open file://\(result.output.path)/index.html
            """)
        }
    }
}

extension OfflineMode: ExpressibleByArgument {}
