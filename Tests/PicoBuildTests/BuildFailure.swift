import Foundation
@testable import PicoBuild
import PicoCore
import PicoTestSupport
import Testing

/// The errors the build of `files` stops with, after `prepare` has had the site folder (to add
/// what inline text cannot hold, such as images). A build that succeeds, or fails with anything
/// but file errors, is recorded as an issue and gives none.
func errorsOfBuilding(_ files: [String: String], in folder: TemporaryFolder = TemporaryFolder(),
                      prepare: (URL) throws -> Void = { _ in }) throws -> [FileError] {
    let site = folder.write(files, under: "site")
    try prepare(site)
    do {
        _ = try BundleBuilder(.init(input: site, output: folder.path("out"))).build()
        Issue.record("the build should have failed")
    } catch let errors as FileErrors {
        return errors.errors
    } catch let error as FileError {
        return [error]
    } catch {
        Issue.record("unexpected error \(error)")
    }
    return []
}
