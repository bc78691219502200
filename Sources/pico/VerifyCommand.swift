import ArgumentParser
import Foundation
import PicoCore
import PicoNostr
import PicoSilo

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a bundle against its own manifest.",
        discussion: """
        Recomputes the SHA-256 of every file, reports every missing, changed and unlisted file \
        and every unsafe path, recomputes the bundle id from SHA256SUMS, and checks the author's \
        signature when there is one. Exits 1 when anything is wrong.
        """
    )

    @Argument(help: "A bundle folder, a bundle archive (.zip, .tar, .tar.gz, .tar.zst), or a silo: a library folder or drive, file:///path, s3://bucket/prefix, https://host/path/ (a bundle any web server serves as files).", completion: .file())
    var target: String

    @OptionGroup var signer: SignerOption

    @OptionGroup var from: LibraryOption

    @Flag(help: "Print one JSON object with the result and every problem.")
    var json = false

    func run() async throws {
        let reports: [VerificationReport]
        do {
            reports = try await from.target(target).verify(with: signer.verifier)
        } catch {
            Terminal.fail(error)
        }
        if json {
            print(reports.count == 1 ? reports[0].json.canonicalString : JSONValue.array(reports.map(\.json)).canonicalString)
        } else if reports.count == 1 {
            Self.printReport(reports[0])
        } else {
            Self.printTable(reports)
        }
        if !reports.allSatisfy(\.isValid) { throw ExitCode(1) }
    }

    static func printReport(_ report: VerificationReport) {
        if report.isValid {
            let signature: String = switch report.signature {
            case .valid(let key): "signed by \(PublicKeyArgument.npub(key))"
            case .unchecked(let key): "signature by \(key) not checked"
            case .absent, .invalid: "unsigned"
            }
            Terminal.output("OK \(report.target): \(report.checkedFiles) files, \(Terminal.bytes(report.checkedBytes)) verified; \(signature)")
            Terminal.output("   bundle id \(report.manifest!.id)")
            if let note = report.note { Terminal.output("   note: \(note)") }
        } else {
            for problem in report.problems { Terminal.error(problem.description) }
            Terminal.error("FAILED \(report.target): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")")
        }
    }

    /// A library (a drive with several bundles): one line per bundle.
    static func printTable(_ reports: [VerificationReport]) {
        var rows = [["BUNDLE", "FILES", "SIZE", "ID", "SIGNER", "STATUS"]]
        for report in reports {
            let signer: String = switch report.signature {
            case .valid(let key): String(key.prefix(12))
            case .invalid(let key), .unchecked(let key): String(key.prefix(12)) + "?"
            case .absent: "unsigned"
            }
            rows.append([URL(fileURLWithPath: report.target).lastPathComponent, String(report.checkedFiles),
                         Terminal.bytes(report.checkedBytes), String(report.manifest?.id.prefix(12) ?? "-"), signer,
                         report.isValid ? (report.note == nil ? "OK" : "OK (interrupted publish)") : "FAILED: \(report.problems.count) problems"])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            Terminal.output(zip(row, widths).enumerated().map { index, cell in
                let (text, width) = cell
                let pad = String(repeating: " ", count: width - text.count)
                return index == 1 || index == 2 ? pad + text : text + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        let failed = reports.filter { !$0.isValid }
        Terminal.output("\(reports.count) bundles, \(failed.count) failed")
        for report in failed {
            for problem in report.problems { Terminal.error("\(URL(fileURLWithPath: report.target).lastPathComponent): \(problem)") }
        }
    }
}

/// `--signer NPUB`, the same for every command that reads a bundle (verify, fetch, serve,
/// unpack), and the one verifier they all use: `@OptionGroup var signer: SignerOption`, then
/// `signer.verifier`.
struct SignerOption: ParsableArguments {
    @Option(help: "The author the bundle must be signed by: an npub1… or a hex public key. Without it a signature, when present, must still be valid.")
    var signer: String?

    func validate() throws {
        if let signer { _ = try PublicKeyArgument.hex(signer) }
    }

    /// The standard verifier (signatures always checked), requiring `--signer` when given.
    var verifier: BundleVerifier {
        BundleVerifier.standard(expectedSigner: signer.flatMap { try? PublicKeyArgument.hex($0) })
    }
}

struct VerifyFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
