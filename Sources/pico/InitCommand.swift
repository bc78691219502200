import ArgumentParser
import Foundation
import PicoCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new site from a starter template.",
        discussion: "Templates: blog (posts, tags, about page), docs (sections, sidebar, previous/next) and app (an offline-first reading list whose data stays in the browser, with export and import)."
    )

    enum Template: String, ExpressibleByArgument, CaseIterable { case blog, docs, app }

    @Option(help: "The starter site: \(Template.allCases.map(\.rawValue).joined(separator: ", ")).")
    var template: Template = .blog

    @Argument(help: "The folder to create (must not exist or be empty).", completion: .directory)
    var directory: String

    func run() throws {
        let destination = URL(commandLinePath: directory)
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path), !((try? fm.contentsOfDirectory(atPath: destination.path)) ?? []).isEmpty {
            // Terminal.fail adds the "error: " itself.
            Terminal.fail(VerifyFailure("\(destination.path) already exists and is not empty; pico init creates a new site"))
        }
        guard let source = StarterTemplates.folder(named: template.rawValue) else {
            Terminal.fail(VerifyFailure("""
                cannot find the starter templates (Templates/\(template.rawValue))
                hint: run pico from its source tree, install it with `make install`, or set PICO_TEMPLATES to the Templates folder
                """))
        }
        do {
            try fm.createDirectory(at: destination, withIntermediateDirectories: true)
            for entry in try FileTree.walk(source) where entry.kind == .file && !entry.path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                let target = destination.appendingPathComponent(entry.path)
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.copyItem(at: source.appendingPathComponent(entry.path), to: target)
            }
        } catch {
            Terminal.fail(error)
        }
        print("""
        Created a \(template.rawValue) site in \(destination.path)
        Next:
          pico build \(directory)          # writes \(directory)/public
          pico verify \(directory)/public
          open file://\(destination.path)/public/index.html
        """)
    }
}

/// Where the starter sites are: $PICO_TEMPLATES, beside the source tree the binary was built
/// in, or the installed share folder.
enum StarterTemplates {
    static func folder(named name: String) -> URL? {
        var candidates: [URL] = []
        if let custom = ProcessInfo.processInfo.environment["PICO_TEMPLATES"] {
            candidates.append(URL(fileURLWithPath: custom))
        }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if let executable = Bundle.main.executableURL { folder = executable.resolvingSymlinksInPath().deletingLastPathComponent() }
        for _ in 0..<6 {
            candidates.append(folder.appendingPathComponent("Templates"))
            candidates.append(folder.appendingPathComponent("share/pico/Templates"))
            folder = folder.deletingLastPathComponent()
        }
        return candidates.map { $0.appendingPathComponent(name) }
            .first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("pico.toml").path) }
    }
}
