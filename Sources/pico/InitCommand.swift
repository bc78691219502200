import ArgumentParser
import Foundation
import PicoBuild

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new site from a starter template.",
        discussion: "Templates: blog (posts, tags, about page), docs (sections, sidebar, previous/next) and app (an offline-first reading list whose data stays in the browser, with export and import)."
    )

    @Option(help: "The starter site: \(StarterTemplate.allCases.map(\.rawValue).joined(separator: ", ")).")
    var template: StarterTemplate = .blog

    @Argument(help: "The folder to create (must not exist or be empty).", completion: .directory)
    var directory: String

    func run() throws {
        let destination = URL(commandLinePath: directory)
        do { try template.create(at: destination) } catch { Terminal.fail(error) }
        print("""
        Created a \(template.rawValue) site in \(destination.path)
        Next:
          pico build \(directory)          # writes \(directory)/public
          pico verify \(directory)/public
          open file://\(destination.path)/public/index.html
        """)
    }
}

extension StarterTemplate: ExpressibleByArgument {}
