// Feeds bytes to `pico verify FILE`'s archive pass: the input is written to one temporary file
// (named .zip, .tar.gz, .tar.zst or .tar after its first bytes, as a user would name it) and
// verified in the one streaming pass pico uses, with nothing unpacked.
import Foundation
import PicoArchive
import PicoCore

/// One file per fuzzing process, rewritten for every input.
let scratch: String = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pico-fuzz-archive-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    let ending = data.starts(with: [0x50, 0x4B]) ? "zip"
        : data.starts(with: [0x1F, 0x8B]) ? "tar.gz"
        : data.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) ? "tar.zst" : "tar"
    let file = URL(fileURLWithPath: scratch + "/input." + ending)
    guard (try? data.write(to: file)) != nil else { return 0 }
    defer { try? FileManager.default.removeItem(at: file) }
    let report = ArchiveVerifier(BundleVerifier()).verify(archive: file)
    _ = report.problems.map(\.description)
    _ = report.json
    return 0
}
