import Foundation
import PicoCore
import PicoFiles

/// The starter sites `pico init` copies: Templates/ in the source tree, embedded into the binary
/// at build time (Plugins/EmbedAssets), so that a pico copied anywhere still has them. A folder
/// on disk is used instead when there is one (PICO_TEMPLATES, beside the source tree the binary
/// was built in, share/pico/Templates once installed).
public enum StarterTemplate: String, CaseIterable, Sendable {
    case blog, docs, app

    /// Copies the starter site into `destination`, which must not exist or be empty. Hidden
    /// files of the template folder (an editor's, a VCS's) are left out. With no folder on disk
    /// the binary's own copy is written, unless PICO_TEMPLATES names a folder that does not hold it.
    public func create(at destination: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
                       executable: URL? = Bundle.main.executableURL) throws(StarterSiteError) {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path), !((try? fm.contentsOfDirectory(atPath: destination.path)) ?? []).isEmpty {
            throw StarterSiteError("\(destination.path) already exists and is not empty; pico init creates a new site")
        }
        guard let source = folder(environment: environment, executable: executable) else {
            if let custom = environment["PICO_TEMPLATES"] {
                throw StarterSiteError("""
                    cannot find the starter templates (Templates/\(rawValue)) in PICO_TEMPLATES=\(custom)
                    hint: point PICO_TEMPLATES at a folder holding \(rawValue)/pico.toml, or unset it to use pico's own starter sites
                    """)
            }
            do {
                for file in embeddedFiles {
                    let target = destination.appendingPathComponent(file.path)
                    try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(file.text.utf8).write(to: target, options: .withoutOverwriting)
                }
            } catch {
                throw StarterSiteError("cannot create the site in \(destination.path): \(error.localizedDescription)")
            }
            return
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

    /// The files of this starter site as the binary carries them (Templates/NAME/, hidden files
    /// left out), paths relative to the site, sorted.
    public var embeddedFiles: [(path: String, text: String)] {
        let prefix = rawValue + "/"
        return EmbeddedAssets.starterTemplates.filter { $0.path.hasPrefix(prefix) }.map { (String($0.path.dropFirst(prefix.count)), $0.text) }
    }

    /// Where this starter site is on disk: under $PICO_TEMPLATES, beside the source tree the binary was
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
