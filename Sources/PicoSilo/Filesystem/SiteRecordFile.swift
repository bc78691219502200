import Foundation
import PicoCore
import PicoNostr

/// `site-event.json` in a bundle folder of a library: the signed site event (the name's record,
/// issue 16) that `pico publish` sent to the relays in the same command, exactly as sent. With it
/// the drive alone proves name → bundle id → files, relays down. It is not one of the bundle's
/// files: verifying the folder passes it over (unless the manifest lists a file of that name,
/// which then is the bundle's and is never overwritten).
enum SiteRecordFile {
    static let name = "site-event.json"

    /// Writes `event` beside the bundle in `folder` when it is this bundle's record (its bundle
    /// tag is the folder's manifest id); returns a warning when it cannot.
    static func store(_ event: NostrEvent, in folder: URL) -> String? {
        guard let data = Durable.readSmallFile(folder.path + "/" + BundleManifest.fileName),
              let manifest = try? BundleManifest.decode(data) else {
            return "\(folder.path) holds no readable \(BundleManifest.fileName); the site event was not stored beside it"
        }
        if manifest.files.contains(where: { $0.path == name }) {
            return "the bundle in \(folder.path) has a file named \(name); the site event was not stored beside it"
        }
        guard let site = try? SiteManifest(event: event), site.bundleID == manifest.id else {
            return "the site event names another bundle than \(folder.path) holds; it was not stored beside it"
        }
        do {
            try Durable.writeAtomically(Data((event.json.canonicalString + "\n").utf8), to: folder.path + "/" + name)
        } catch {
            return "the site event could not be stored as \(folder.path)/\(name): \(error)"
        }
        return nil
    }

    /// The record kept in `folder`, when it is a validly signed site event of the bundle there.
    static func read(in folder: URL, bundleID: String) -> (event: NostrEvent, site: SiteManifest)? {
        guard let data = Durable.readSmallFile(folder.path + "/" + name), data.count < 64 << 20,
              let event = try? JSONDecoder().decode(NostrEvent.self, from: data), event.validity == .valid,
              let site = try? SiteManifest(event: event), site.bundleID == bundleID else { return nil }
        return (event, site)
    }

    /// `verifier.verify(folder:)`, the record beside the bundle not counted as an unlisted file.
    static func verify(folder: URL, with verifier: BundleVerifier) -> VerificationReport {
        var report = verifier.verify(folder: folder)
        report.problems.removeAll { $0.kind == .unlisted && $0.path == name }
        return report
    }
}
