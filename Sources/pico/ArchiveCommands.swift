import ArgumentParser
import Foundation
import PicoArchive
import PicoCore
import PicoNostr

struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack a bundle folder into one file to carry by hand.",
        discussion: """
        The format follows FILE's ending: .zip, .tar, .tar.gz or .tar.zst. Packing is \
        deterministic (fixed order, the manifest's build time, mode 0644, owner 0): packing \
        twice gives identical bytes. Media that is already compressed is stored in a zip, not \
        deflated again. Every file is checked against the manifest as it is packed; a damaged \
        bundle is not packed. GNU tar, unzip and bsdtar read the result.
        """
    )

    @Argument(help: "The bundle folder.", completion: .directory)
    var bundle: String

    @Option(name: .shortAndLong, help: "The file to write (replaced only when complete).")
    var output: String

    @Option(help: "Deflate level for .zip and .tar.gz: 1 fastest … 9 smallest (zip -r uses 6).")
    var level = 3

    @Flag(help: "Print one JSON object describing the result.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        guard (1...9).contains(level) else { throw ValidationError("--level must be between 1 and 9.") }
    }

    func run() throws {
        let started = Date()
        let out = URL(commandLinePath: output)
        let result: BundlePacker.Result
        do {
            result = try BundlePacker(level: level).pack(bundle: URL(commandLinePath: bundle), to: out)
        } catch {
            Terminal.fail(error)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int) ?? 0
        if json {
            print(JSONValue.object(["output": .string(out.path), "format": .string(result.format.rawValue),
                                    "files": .int(result.files), "bytes": .int(size)]).canonicalString)
        } else if !quiet {
            print("Packed \(result.files) files (\(Terminal.bytes(result.bytes))) into \(out.path): "
                  + "\(Terminal.bytes(size)) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        }
    }
}

struct UnpackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack",
        abstract: "Unpack a bundle archive into a new folder, safely.",
        discussion: """
        Refuses entries that would land outside DIR (.., absolute paths), symlinks, hard links, \
        devices, duplicate names, and archives that unpack to far more than their size or hold \
        too many entries (zip bombs), and archives that other readers (unzip, GNU tar, bsdtar, \
        Python) would read as other files. Writes into a new temporary folder beside DIR and \
        moves it into DIR only after the whole bundle verified, its signature included: a \
        signature that does not check is refused, and with --signer so is a bundle that is \
        unsigned or signed by anyone else.
        """
    )

    @Argument(help: "The archive (.zip, .tar, .tar.gz, .tar.zst).", completion: .file())
    var file: String

    @Option(name: .shortAndLong, help: "The folder to create (must not exist, or be empty).")
    var output: String

    @Option(help: "The author the bundle must be signed by: an npub1… or a hex public key.")
    var signer: String?

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if let signer { _ = try PublicKeyArgument.hex(signer) }
    }

    func run() throws {
        let destination = URL(commandLinePath: output)
        do {
            let verifier = BundleVerifier(signatureChecker: SchnorrSignatureChecker(), expectedSigner: try signer.map(PublicKeyArgument.hex))
            let report = try BundleUnpacker(verifier)
                .unpack(archive: URL(commandLinePath: file), to: destination)
            if quiet { return }
            print("Unpacked and verified \(report.checkedFiles) files (\(Terminal.bytes(report.checkedBytes))) into \(destination.path)")
            print("   bundle id \(report.manifest?.id ?? "")")
            if case .valid(let key) = report.signature { print("   signed by \(PublicKeyArgument.npub(key))") } else { print("   unsigned") }
        } catch {
            Terminal.fail(error)
        }
    }
}
