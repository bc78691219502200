import Foundation
import Mustache
import PicoCore
import PicoFiles

/// The site's Mustache templates: every `templates/**/*.mustache` registered by its path
/// without the extension (`page`, `partials/nav`; partials also by their bare name).
/// With `template = "blog"` in pico.toml, the starter site's templates the site does not have
/// are taken too. Missing `page` and `section` templates fall back to plain built-in ones.
struct TemplateSet: Sendable {
    let library: MustacheLibrary
    let names: Set<String>
    /// Every name the library answers (bare partial names and built-ins included) with the
    /// text it answers it with: `pico serve --watch` compares two loads by it.
    var registered: [String: String] = [:]

    static func load(siteFolder: URL, links: SiteLinks, limits: InputLimits,
                     starter: StarterTemplate? = nil) throws(FileErrors) -> TemplateSet {
        var library = MustacheLibrary()
        var names = Set<String>()
        var errors: [FileError] = []
        var texts: [String: String] = [:]
        var registered: [String: String] = [:]
        let folder: URL
        do { folder = try links.folder("templates", in: siteFolder) } catch { throw FileErrors([error]) }
        let entries = (try? FileTree.walk(folder)) ?? []
        // The site's own templates, then the starter's it does not have, registered in path order.
        var sources: [(path: String, shown: String, text: String)] = []
        for entry in entries where entry.kind != .other && entry.path.hasSuffix(".mustache") {
            let shown = "templates/" + entry.path
            let file: String
            switch links.file(at: folder.path + "/" + entry.path, shown: shown) {
            case .success(let path): file = path
            case .failure(let error): errors.append(error); continue
            }
            if let tooLarge = limits.pageTooLarge(entry.size, file: shown) {
                errors.append(tooLarge)
                continue
            }
            guard let data = try? FileTree.read(atPath: file), data.count <= limits.maxPageBytes,
                  let text = String(data: data, encoding: .utf8) else {
                errors.append(FileError("cannot read the template as UTF-8 text", at: SourceLocation(file: shown)))
                continue
            }
            sources.append((entry.path, shown, text))
        }
        if let starter {
            let own = Set(entries.map(\.path))
            for file in starter.embeddedFiles where file.path.hasPrefix("templates/") && file.path.hasSuffix(".mustache") {
                let path = String(file.path.dropFirst("templates/".count))
                if !own.contains(path) { sources.append((path, file.path + " (of the \(starter.rawValue) starter site)", file.text)) }
            }
            sources.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        }
        for (path, shown, text) in sources {
            let name = String(path.dropLast(".mustache".count))
            texts[name] = text
            do {
                let template = try MustacheTemplate(string: text)
                library.register(template, named: name)
                registered[name] = text
                names.insert(name)
                if name.hasPrefix("partials/") {
                    let bare = String(name.dropFirst("partials/".count))
                    if !names.contains(bare) {
                        library.register(template, named: bare)
                        registered[bare] = text
                    }
                }
            } catch let error as MustacheTemplate.ParserError {
                errors.append(FileError("template error: \(describe(error.error))",
                                        at: SourceLocation(file: shown, line: error.context.lineNumber, column: error.context.columnNumber),
                                        sourceLine: error.context.line,
                                        hint: "check that every {{#section}} is closed by {{/section}} with the same name"))
            } catch {
                errors.append(FileError("template error: \(error)", at: SourceLocation(file: shown)))
            }
        }
        if errors.isEmpty { errors = TemplateCycles.find(in: texts) }
        if !errors.isEmpty { throw FileErrors(errors) }
        for (name, text) in BuiltInTemplates.all where !names.contains(name) {
            if (try? library.register(text, named: name)) != nil { registered[name] = text }
        }
        return TemplateSet(library: library, names: names, registered: registered)
    }

    func has(_ name: String) -> Bool { names.contains(name) }

    /// The names whose text differs from `old`'s; nil when a name came or went (what a page
    /// or a partial tag resolves to may then differ, and so may the plan: `has`).
    func changedNames(since old: TemplateSet) -> Set<String>? {
        guard names == old.names, Set(registered.keys) == Set(old.registered.keys) else { return nil }
        return Set(registered.keys.filter { registered[$0] != old.registered[$0] })
    }

    /// The names a render with template `root` can look up: itself and every partial (`{{>name}}`) and
    /// parent (`{{<name}}`) it names, transitively (names not registered included: they render
    /// nothing, and would render something once registered), read by the scanner that finds
    /// include cycles (`TemplateCycles.includes`). Nil when that cannot be known (a dynamic name,
    /// `{{>*name}}`, which the context picks).
    func namesReached(from root: String) -> Set<String>? {
        var reached: Set<String> = [root]
        var pending = [root]
        while let name = pending.popLast() {
            guard let text = registered[name] else { continue }
            for include in TemplateCycles.includes(in: text) {
                if include.target.hasPrefix("*") { return nil }
                if reached.insert(include.target).inserted { pending.append(include.target) }
            }
        }
        return reached
    }

    /// The names of the context a render with template `root` can look up: those of every
    /// template it reaches (`namesReached`, `TemplateTags.names`). Nil when any value may be
    /// read whole (`{{.}}`) or the templates reached cannot be known.
    func namesRead(from root: String) -> TemplateNames? {
        guard let reached = namesReached(from: root) else { return nil }
        var names = TemplateNames()
        for name in reached {
            guard let text = registered[name] else { continue }
            guard let read = TemplateTags.names(in: text) else { return nil }
            names.formUnion(read)
        }
        return names
    }

    /// Renders `page` (the source shown in errors) with the template `name`. A render that
    /// fails is an error naming both, never an empty page.
    func render(_ context: [String: Any], with name: String, for page: String) throws(FileError) -> Data {
        guard let html = library.render(context, withTemplate: name) else {
            throw FileError("the template \"\(name)\" could not be rendered for this page",
                            at: SourceLocation(file: page),
                            hint: "check templates/\(name).mustache and the partials and parents it names")
        }
        return Data(html.utf8)
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "\(error)" }
        return switch error {
        case .sectionCloseNameIncorrect: "this closing tag does not match the section it closes"
        case .unfinishedName: "a tag is not finished (missing }})"
        case .expectedSectionEnd: "a section is never closed"
        case .invalidSetDelimiter: "the set-delimiter tag is malformed"
        case .transformAppliedToInheritanceSection: "a transform cannot apply to an inheritance section"
        case .illegalTokenInsideInheritSection: "only blocks ({{$name}}) may appear inside {{<parent}}"
        case .textInsideInheritSection: "only blocks ({{$name}}) may appear inside {{<parent}}"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable: "the {{% ... }} tag is not understood"
        @unknown default: "\(error)"
        }
    }
}

/// Plain templates for sites that bring none (a folder of Markdown and nothing else):
/// Sources/PicoBuild/Assets/built-in-page.mustache and built-in-section.mustache, embedded at
/// build time (each ends in the line feed it renders, then the one the embedding drops).
enum BuiltInTemplates {
    static let page = EmbeddedAssets.built_in_page_mustache
    static let section = EmbeddedAssets.built_in_section_mustache
    static let all: [(String, String)] = [("page", page), ("section", section)]
}

/// Templates that include themselves with nothing to stop them: swift-mustache has no depth
/// limit, so it recursed until the stack overflowed and the build crashed. Being inside a
/// section is no stop either: Mustache looks a name up through every enclosing context, so
/// `{{#page}}{{>page}}{{/page}}` finds `page` again at every level. The one recursion that
/// always ends is through `{{#sections}}`: pico gives every section its own `sections` list
/// (empty at the leaves), so the lookup never climbs and the data's depth bounds the render.
enum TemplateCycles {
    struct Include {
        var target: String
        var line: Int
        /// Inside a `{{#sections}}` section, which bounds a recursion.
        var bounded = false
    }

    static func find(in texts: [String: String]) -> [FileError] {
        func resolve(_ name: String) -> String? {
            if texts[name] != nil { return name }
            if texts["partials/" + name] != nil { return "partials/" + name }
            return nil
        }
        var graph: [String: [Include]] = [:]
        for (name, text) in texts {
            graph[name] = includes(in: text).filter { !$0.bounded }.compactMap { include in
                resolve(include.target).map { Include(target: $0, line: include.line) }
            }
        }
        var errors: [FileError] = []
        var reported = Set<String>()
        for start in texts.keys.sorted() where !reported.contains(start) {
            // Depth-first from `start`, looking for a way back to it.
            var path: [(name: String, include: Include)] = []
            var visited = Set<String>()
            func walk(_ name: String) -> Bool {
                for include in graph[name] ?? [] {
                    path.append((name, include))
                    if include.target == start { return true }
                    if visited.insert(include.target).inserted, walk(include.target) { return true }
                    path.removeLast()
                }
                return false
            }
            guard walk(start), let first = path.first else { continue }
            let chain = ([start] + path.map(\.include.target)).joined(separator: " → ")
            reported.formUnion(path.map(\.name))
            errors.append(FileError("this template includes itself with nothing to stop it (\(chain)); rendering would never end",
                                    file: "templates/\(start).mustache", text: texts[start]!, line: first.include.line, column: 1,
                                    hint: "a template may include itself only inside {{#sections}}…{{/sections}}, "
                                        + "which ends with the site's deepest section"))
        }
        return errors
    }

    /// Every `{{>name}}` and `{{<name}}`, with its line and whether a `{{#sections}}` section
    /// holds it (TemplateTags reads the tags: set delimiters are followed, comments not read).
    static func includes(in text: String) -> [Include] {
        var sections: [Bool] = [] // true for `{{#sections}}`, which bounds a recursion
        var includes: [Include] = []
        for tag in TemplateTags.scan(text).tags {
            switch tag.sigil {
            case "#": sections.append(tag.name == "sections")
            case "^", "$": sections.append(false)
            case "<":
                includes.append(Include(target: tag.name, line: tag.line, bounded: sections.contains(true)))
                sections.append(false)
            case "/": if !sections.isEmpty { sections.removeLast() }
            case ">": includes.append(Include(target: tag.name, line: tag.line, bounded: sections.contains(true)))
            default: break
            }
        }
        return includes
    }
}
