import Foundation
import PicoCore
import TOMLKit
#if canImport(Glibc)
import Glibc
#endif

/// `pico.toml`: the site's title and language, `[params]` for templates, `[app]` for the
/// web app manifest, `[build]` include/exclude patterns.
public struct SiteConfig: Sendable {
    public static let fileName = "pico.toml"

    public var title = "Untitled site"
    public var description = ""
    public var language = "en"
    public var author = ""
    public var params: [String: MetaValue] = [:]
    public var app: [String: MetaValue] = [:]
    /// Paths (globs, relative to `content/` or `static/`) to take although hidden by default.
    public var include: [String] = []
    /// Paths (globs) to leave out.
    public var exclude: [String] = []
    /// Bounds on each source file; `[build] max_page_mib` raises or lowers the page size.
    public var limits = InputLimits()

    public init() {}

    public static func load(siteFolder: URL) throws(FileError) -> SiteConfig {
        try load(siteFolder: siteFolder, links: SiteLinks(siteFolder: siteFolder))
    }

    static func load(siteFolder: URL, links: SiteLinks) throws(FileError) -> SiteConfig {
        // A pico.toml linked from outside the site is never read: a parse error would show a
        // line of whatever it points to (it showed /etc/shadow's first line).
        let path = try links.file(at: siteFolder.appendingPathComponent(fileName).path, shown: fileName).get()
        let at = SourceLocation(file: fileName, line: 1, column: 1)
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw FileError("cannot read \(fileName): it is not a regular file", at: at)
        }
        guard Int(info.st_size) <= InputLimits.maxConfigBytes else {
            throw FileError("\(fileName) is \(info.st_size) bytes; pico reads at most \(InputLimits.maxConfigBytes >> 20) MiB of settings", at: at)
        }
        guard let data = try? FileTree.read(atPath: path), data.count <= InputLimits.maxConfigBytes else {
            throw FileError("cannot read \(fileName)", at: at)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileError("\(fileName) is not UTF-8 text", at: SourceLocation(file: fileName, line: 1, column: 1))
        }
        return try parse(text)
    }

    public static func parse(_ text: String) throws(FileError) -> SiteConfig {
        if let line = TOMLNesting.firstLine(exceeding: InputLimits.maxValueDepth, in: text) {
            throw FileError("\(fileName) nests more than \(InputLimits.maxValueDepth) levels deep", file: fileName, text: text,
                            line: line, column: 1, hint: "flatten the tables and arrays (dotted keys a.b.c count as levels)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw FileError("could not read \(fileName): \(error.description)", file: fileName, text: text,
                            line: error.source.begin.line, column: error.source.begin.column)
        } catch {
            throw FileError("could not read \(fileName): \(error)", file: fileName, text: text, line: 1, column: 1)
        }
        let values = MetaValue.table(toml: table)
        var config = SiteConfig()
        func string(_ key: String, in table: [String: MetaValue]) throws(FileError) -> String? {
            guard let value = table[key] else { return nil }
            guard case .string(let s) = value else {
                throw FileError("`\(key)` must be a string", file: fileName, text: text,
                                line: Self.line(of: key, in: text), column: 1, hint: "write \(key) = \"...\"")
            }
            return s
        }
        func strings(_ key: String, in table: [String: MetaValue]) throws(FileError) -> [String] {
            guard let value = table[key] else { return [] }
            guard case .array(let items) = value, items.allSatisfy({ if case .string = $0 { true } else { false } }) else {
                throw FileError("`\(key)` must be a list of strings", file: fileName, text: text,
                                line: Self.line(of: key, in: text), column: 1, hint: "write \(key) = [\"a/**\", \"b.txt\"]")
            }
            return items.compactMap(\.string)
        }
        config.title = try string("title", in: values) ?? config.title
        config.description = try string("description", in: values) ?? ""
        config.language = try string("language", in: values) ?? "en"
        config.author = try string("author", in: values) ?? ""
        if case .table(let params) = values["params"] { config.params = params }
        if case .table(let app) = values["app"] { config.app = app }
        if case .table(let build) = values["build"] {
            config.include = try strings("include", in: build)
            config.exclude = try strings("exclude", in: build)
            if let value = build["max_page_mib"] {
                guard case .int(let mib) = value, (1...4096).contains(mib) else {
                    throw FileError("`max_page_mib` must be a whole number of MiB from 1 to 4096", file: fileName, text: text,
                                    line: Self.line(of: "max_page_mib", in: text), column: 1, hint: "write max_page_mib = 64")
                }
                config.limits.maxPageBytes = mib << 20
            }
        }
        return config
    }

    /// The line a top-level or table key is written on, for errors about its value.
    static func line(of key: String, in text: String) -> Int {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.hasPrefix(key), trimmed.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix("=") {
                return index + 1
            }
        }
        return 1
    }
}
