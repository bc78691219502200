// Feeds a `pico-manifest.json` and a `SHA256SUMS` to the verifier's check, as every silo does
// after fetching them. Input: the manifest bytes, a NUL byte, the SHA256SUMS bytes (no NUL: no
// SHA256SUMS). The files the manifest lists are taken as present with the size and hash it
// claims, as a hostile S3 listing or archive can report them, so the check runs to its end.
import Foundation
import PicoCore
import PicoNostr

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    let split = bytes.firstIndex(of: 0)
    let manifestData = Data(bytes[..<(split ?? count)])
    let checksumsData = split.map { Data(bytes[($0 + 1)...]) }

    var present: [String: PresentFile] = [:]
    if let manifest = try? BundleManifest.decode(manifestData) {
        _ = manifest.canonicalJSON
        _ = manifest.createdEpoch
        _ = Checksums.bundleID(of: Checksums.render(manifest.files))
        for (index, file) in manifest.files.enumerated() {
            // Every third file is missing, so the "missing" and "unlisted" paths run too.
            if index % 3 == 2 { continue }
            present[file.path] = PresentFile(isRegularFile: index % 5 != 4, size: file.size, sha256: file.sha256.lowercased())
        }
        present["unlisted.html"] = PresentFile(isRegularFile: true, size: 1, sha256: nil)
    }
    let verifier = BundleVerifier(signatureChecker: SchnorrSignatureChecker(),
                                  expectedSigner: String(repeating: "ab", count: 32))
    let report = verifier.check(target: "fuzz", manifestData: manifestData, checksumsData: checksumsData, present: present)
    _ = report.json
    _ = report.problems.map(\.description)
    return 0
}
