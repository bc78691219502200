import ArgumentParser
import Foundation
import PicoArchive
import PicoCore
import PicoNostr

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a bundle against its own manifest.",
        discussion: """
        Recomputes the SHA-256 of every file, reports every missing, changed and unlisted file \
        and every unsafe path, recomputes the bundle id from SHA256SUMS, and checks the author's \
        signature when there is one. Exits 1 when anything is wrong.
        """
    )

    @Argument(help: "A bundle folder or a bundle archive (.zip, .tar, .tar.gz, .tar.zst).", completion: .file())
    var target: String

    @Flag(help: "Print one JSON object with the result and every problem.")
    var json = false

    func run() throws {
        let url = URL(commandLinePath: target)
        let verifier = BundleVerifier(signatureChecker: SchnorrSignatureChecker())
        let report: VerificationReport
        if FileTree.isDirectory(url) {
            report = verifier.verify(folder: url)
        } else if FileManager.default.fileExists(atPath: url.path) {
            report = ArchiveVerifier(verifier).verify(archive: url)
        } else {
            Terminal.fail(VerifyFailure("error: \(url.path) does not exist"))
        }
        if json {
            print(report.json.canonicalString)
        } else if report.isValid {
            let signature: String = switch report.signature {
            case .valid(let key): "signed by \(key)"
            case .unchecked(let key): "signature by \(key) not checked"
            case .absent, .invalid: "unsigned"
            }
            print("OK \(report.target): \(report.checkedFiles) files, \(Terminal.bytes(report.checkedBytes)) verified; \(signature)")
            print("   bundle id \(report.manifest!.id)")
        } else {
            for problem in report.problems { Terminal.error(problem.description) }
            Terminal.error("FAILED \(report.target): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")")
        }
        if !report.isValid { throw ExitCode(1) }
    }
}

struct VerifyFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
