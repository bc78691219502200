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
        SILO is a folder or thumb drive (a path or file:///abs/path). A folder that holds \
        bundles is a library: the bundle goes into its own sub-folder and index.html at the top \
        lists every bundle. Publishing is incremental (unchanged files are not written again), \
        the manifest goes last, and a publish killed at any moment leaves the previous version \
        complete; running it again finishes the new one. Names FAT32/exFAT cannot hold are \
        reported as warnings (errors with --strict-portable).
        """
    )

    @Argument(help: "The bundle folder.", completion: .directory)
    var bundle: String

    @Option(name: .customLong("to"), help: "Where to publish (repeat for several silos).")
    var silos: [String]

    @Flag(help: "Treat names that FAT32/exFAT cannot hold as errors.")
    var strictPortable = false

    @Flag(help: "Print one JSON object per silo.")
    var json = false

    func validate() throws {
        if silos.isEmpty { throw ValidationError("Give at least one --to SILO.") }
    }

    func run() async throws {
        var failed = false
        for address in silos {
            do {
                let silo = try SiloAddress.silo(for: address)
                var options = PublishOptions()
                options.strictPortable = strictPortable
                if !json, Terminal.stderrIsTerminal {
                    options.progress = { done, total in
                        FileHandle.standardError.write(Data("\r\u{1B}[2KCopying \(done)/\(total) files".utf8))
                    }
                }
                let result = try await silo.publish(bundle: URL(commandLinePath: bundle), options: options)
                Terminal.clearProgress(enabled: !json)
                for warning in result.warnings { Terminal.error("warning: \(warning)") }
                if json {
                    print(JSONValue.object([
                        "silo": .string(result.address), "id": .string(result.manifest.id),
                        "written": .int(result.written), "unchanged": .int(result.unchanged),
                        "removed": .int(result.removed), "bytes": .int(result.bytesWritten),
                    ]).canonicalString)
                } else {
                    print("Published \"\(result.manifest.name)\" to \(result.address): \(result.written) files written "
                          + "(\(Terminal.bytes(result.bytesWritten))), \(result.unchanged) unchanged, \(result.removed) removed")
                    print("   bundle id \(result.manifest.id)")
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
        discussion: "Nothing is left in DIR unless the whole bundle verified."
    )

    @Argument(help: "The silo address of one bundle (a folder or file:// path).")
    var silo: String

    @Option(name: .shortAndLong, help: "The folder to create.")
    var output: String

    func run() async throws {
        do {
            let destination = URL(commandLinePath: output)
            let report = try await SiloAddress.silo(for: silo).fetch(to: destination)
            print("Fetched and verified \(report.checkedFiles) files (\(Terminal.bytes(report.checkedBytes))) into \(destination.path)")
            print("   bundle id \(report.manifest?.id ?? "")")
        } catch {
            Terminal.fail(error)
        }
    }
}
