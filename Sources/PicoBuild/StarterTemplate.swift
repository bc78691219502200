import Foundation
import PicoCore

/// The starter sites `pico init` copies (Templates/ in the source tree, share/pico/Templates
/// once installed).
public enum StarterTemplate: String, CaseIterable, Sendable {
    case blog, docs, app

    /// Copies the starter site into `destination`, which must not exist or be empty. Hidden
    /// files of the template folder (an editor's, a VCS's) are left out.
    public func create(at destination: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
                       executable: URL? = Bundle.main.executableURL) throws(StarterSiteError) {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path), !((try? fm.contentsOfDirectory(atPath: destination.path)) ?? []).isEmpty {
            throw StarterSiteError("\(destination.path) already exists and is not empty; pico init creates a new site")
        }
        guard let source = folder(environment: environment, executable: executable) else {
            throw StarterSiteError("""
                cannot find the starter templates (Templates/\(rawValue))
                hint: run pico from its source tree, install it with `make install`, or set PICO_TEMPLATES to the Templates folder
                """)
        }
        do {
            try fm.createDirectory(at: destination, withIntermediateDirectories: true)
            for entry in try FileTree.walk(source) where entry.kind == .file && !entry.path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                let target = destination.appendingPathComponent(entry.path)
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.copyItem(at: source.appendingPathComponent(entry.path), to: target)
            }
        } catch {
            throw StarterSiteError("cannot create the site in \(destination.path): \(error.localizedDescription)")
        }
    }

    /// Where this starter site is: under $PICO_TEMPLATES, beside the source tree the binary was
    /// built in, or in the installed share folder; nil when none holds it.
    public func folder(environment: [String: String] = ProcessInfo.processInfo.environment,
                       executable: URL? = Bundle.main.executableURL) -> URL? {
        var candidates: [URL] = []
        if let custom = environment["PICO_TEMPLATES"] {
            candidates.append(URL(fileURLWithPath: custom))
        }
        var folder = (executable ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(folder.appendingPathComponent("Templates"))
            candidates.append(folder.appendingPathComponent("share/pico/Templates"))
            folder = folder.deletingLastPathComponent()
        }
        return candidates.map { $0.appendingPathComponent(rawValue) }
            .first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(SiteConfig.fileName).path) }
    }
}

public struct StarterSiteError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
